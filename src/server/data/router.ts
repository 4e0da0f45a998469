import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import { federatedQuery } from "./federated.ts";
import { queryBody } from "./schema.ts";
import * as service from "./service.ts";

/** A record as the Data API returns it: the row's columns, by name. */
export type DataRecord = Record<string, unknown> & { id: string; created_at: string; updated_at: string };

const target = z.object({ appId: z.string().max(100), entity: z.string().max(100) });
const record = z.record(z.string(), z.unknown());
const parse = <T>(text: { json: string }) => JSON.parse(text.json) as T;
/** Linked records from other apps (spec §2.6): true for every app of the entity's identity kind, or the named apps. */
const linked = queryBody.shape.linked;

/** A linked record as `_linked` holds it, under its app's id. */
export interface LinkedRecord {
  entity: string;
  recordId: string;
  data: DataRecord;
}
export type WithLinked<T> = T & { _linked?: Record<string, LinkedRecord> };

/** The same operations as /apps/{app}/collections/{entity}, for typed clients and the Studio. */
export const dataRouter = router({
  list: authedProcedure
    .input(target.extend({ filters: z.record(z.string(), z.string()).default({}), limit: z.number().int().min(1).max(1000).optional(), offset: z.number().int().min(0).optional(), sort: z.string().optional(), order: z.enum(["asc", "desc"]).optional(), linked }))
    .query(async ({ ctx, input }) => {
      const entity = await service.entityOf(ctx.core, input.appId, input.entity);
      return parse<WithLinked<DataRecord>[]>(await service.listRecords(ctx.core, ctx.principal, entity, input));
    }),
  query: authedProcedure.input(target.extend(queryBody.shape)).query(async ({ ctx, input }) => {
    const entity = await service.entityOf(ctx.core, input.appId, input.entity);
    return parse<{ data: WithLinked<DataRecord>[]; total: number }>(await service.queryRecords(ctx.core, ctx.principal, entity, input));
  }),
  get: authedProcedure.input(target.extend({ id: z.string(), linked })).query(async ({ ctx, input }) => {
    const entity = await service.entityOf(ctx.core, input.appId, input.entity);
    return parse<WithLinked<DataRecord>>(await service.getRecord(ctx.core, ctx.principal, entity, input.id, input.linked));
  }),
  /** POST /federated/{identityKind}/query's twin: every entity of the kind, each row with `_source`. */
  federated: authedProcedure.input(queryBody.extend({ identityKind: z.string().max(100) })).query(async ({ ctx, input }) => {
    return parse<{ data: (DataRecord & { _source: { app: string; entity: string } })[]; total: number }>(await federatedQuery(ctx.core, ctx.principal, input.identityKind, input));
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
