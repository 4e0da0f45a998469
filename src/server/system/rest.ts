import type { RestRoute } from "../http/types.ts";
import * as service from "./service.ts";

export const systemRoutes: RestRoute[] = [
  {
    method: "GET",
    path: "/status",
    handler: async ({ core, principal }) => ({ body: await service.status(core, await principal()) }),
  },
  { method: "GET", path: "/version", handler: ({ core }) => ({ body: service.version(core) }) },
];
