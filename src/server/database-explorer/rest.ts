import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { queryInput, queryResult, schemaInfo, schemaName, tableInfo } from "./schema.ts";
import * as service from "./service.ts";

const tags = ["database"];

export const databaseExplorerRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/db/schemas",
    docs: { summary: "The database's schemas with their table counts (admin)", tags, responses: { 200: z.array(schemaInfo) } },
    handler: async ({ core, principal }) => ({ body: await service.listSchemas(core, await principal()) }),
  }),
  defineRoute({
    method: "GET",
    path: "/db/schemas/:schema/tables",
    schemas: { params: z.object({ schema: schemaName }) },
    docs: { summary: "A schema's tables with their columns (admin)", tags, responses: { 200: z.array(tableInfo) } },
    handler: async ({ core, principal, input }) => ({ body: await service.listTables(core, await principal(), input.params.schema) }),
  }),
  defineRoute({
    method: "POST",
    path: "/db/query",
    schemas: { body: queryInput },
    docs: {
      summary: "Run SQL in the database console (admin)",
      description: "A refusal from PostgreSQL answers 400 with `position`, `hint` and `detail` next to `error` where PostgreSQL gives them.",
      tags,
      responses: { 200: queryResult, 404: { description: "The schema the query names does not exist." } },
    },
    handler: async ({ core, principal, input }) => ({ body: await service.runQuery(core, await principal(), input.body) }),
  }),
];
