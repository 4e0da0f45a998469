import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import { queryBody } from "./schema.ts";
import * as service from "./service.ts";

/** A record as the Data API returns it: the row's columns, by name. */
export type DataRecord = Record<string, unknown> & { id: string; created_at: string; updated_at: string };

const target = z.object({ appId: z.string().max(100), entity: z.string().max(100) });
const record = z.record(z.string(), z.unknown());
const parse = <T>(text: { json: string }) => JSON.parse(text.json) as T;

/** The same operations as /apps/{app}/collections/{entity}, for typed clients and the Studio. */
export const dataRouter = router({
  list: authedProcedure
    .input(target.extend({ filters: z.record(z.string(), z.string()).default({}), limit: z.number().int().min(1).max(1000).optional(), offset: z.number().int().min(0).optional(), sort: z.string().optional(), order: z.enum(["asc", "desc"]).optional() }))
    .query(async ({ ctx, input }) => {
      const entity = await service.entityOf(ctx.core, input.appId, input.entity);
      return parse<DataRecord[]>(await service.listRecords(ctx.core, ctx.principal, entity, input));
    }),
  query: authedProcedure.input(target.extend(queryBody.shape)).query(async ({ ctx, input }) => {
    const entity = await service.entityOf(ctx.core, input.appId, input.entity);
    return parse<{ data: DataRecord[]; total: number }>(await service.queryRecords(ctx.core, ctx.principal, entity, input));
  }),
  get: authedProcedure.input(target.extend({ id: z.string() })).query(async ({ ctx, input }) => {
    const entity = await service.entityOf(ctx.core, input.appId, input.entity);
    return parse<DataRecord>(await service.getRecord(ctx.core, ctx.principal, entity, input.id));
  }),
  create: authedProcedure.input(target.extend({ record })).mutation(async ({ ctx, input }) => {
    const entity = await service.entityOf(ctx.core, input.appId, input.entity);
    return parse<DataRecord | { id: string }>(await service.createRecord(ctx.core, ctx.principal, entity, input.record));
  }),
  bulkCreate: authedProcedure.input(target.extend({ records: z.array(record).max(1000) })).mutation(async ({ ctx, input }) => {
    const entity = await service.entityOf(ctx.core, input.appId, input.entity);
    return parse<DataRecord[] | { id: string }[]>(await service.bulkCreate(ctx.core, ctx.principal, entity, input.records));
  }),
  update: authedProcedure.input(target.extend({ id: z.string(), patch: record })).mutation(async ({ ctx, input }) => {
    const entity = await service.entityOf(ctx.core, input.appId, input.entity);
    return parse<DataRecord>(await service.updateRecord(ctx.core, ctx.principal, entity, input.id, input.patch));
  }),
  delete: authedProcedure.input(target.extend({ id: z.string() })).mutation(async ({ ctx, input }) => {
    const entity = await service.entityOf(ctx.core, input.appId, input.entity);
    return service.deleteRecord(ctx.core, ctx.principal, entity, input.id);
  }),
});
