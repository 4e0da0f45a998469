import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import { queryInput, queryResult, schemaInfo, schemaName, tableInfo } from "./schema.ts";
import * as service from "./service.ts";

export const databaseRouter = router({
  schemas: authedProcedure.output(z.array(schemaInfo)).query(({ ctx }) => service.listSchemas(ctx.core, ctx.principal)),
  tables: authedProcedure
    .input(z.object({ schema: schemaName }))
    .output(z.array(tableInfo))
    .query(({ ctx, input }) => service.listTables(ctx.core, ctx.principal, input.schema)),
  query: authedProcedure.input(queryInput).output(queryResult).mutation(({ ctx, input }) => service.runQuery(ctx.core, ctx.principal, input)),
});
