import type { RestRoute } from "../http/types.ts";
import { queryInput, schemaName } from "./schema.ts";
import * as service from "./service.ts";

export const databaseExplorerRoutes: RestRoute[] = [
  { method: "GET", path: "/db/schemas", handler: async ({ core, principal }) => ({ body: await service.listSchemas(core, await principal()) }) },
  {
    method: "GET",
    path: "/db/schemas/:schema/tables",
    handler: async ({ core, principal, params }) => ({ body: await service.listTables(core, await principal(), schemaName.parse(params.schema)) }),
  },
  { method: "POST", path: "/db/query", handler: async ({ core, principal, body }) => ({ body: await service.runQuery(core, await principal(), queryInput.parse(body)) }) },
];
