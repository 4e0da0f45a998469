import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { status, version } from "./schema.ts";
import * as service from "./service.ts";

const tags = ["system"];

export const systemRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/status",
    docs: { summary: "The runtime's state, the database and the workers (admin)", tags, responses: { 200: status } },
    handler: async ({ core, principal }) => ({ body: await service.status(core, await principal()) }),
  }),
  defineRoute({
    method: "GET",
    path: "/version",
    docs: { summary: "The Core's, Node's and PostgreSQL's versions", tags, auth: "none", responses: { 200: version } },
    handler: ({ core }) => ({ body: service.version(core) }),
  }),
];
