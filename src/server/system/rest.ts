import type { RestRoute } from "../http/types.ts";
import * as service from "./service.ts";

export const systemRoutes: RestRoute[] = [
  {
    method: "GET",
    path: "/status",
    handler: async ({ core, principal }) => {
      await principal();
      return { body: await service.status(core) };
    },
  },
  { method: "GET", path: "/version", handler: ({ core }) => ({ body: service.version(core) }) },
];
