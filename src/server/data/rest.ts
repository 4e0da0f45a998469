import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import { optionalBody } from "../http/optional-body.ts";
import { RawJson } from "../http/respond.ts";
import type { RestRequest, RestRoute } from "../http/types.ts";
import { parseLinkedParam } from "./linked.ts";
import { assertUtf8Query, parseListQuery, queryBody } from "./schema.ts";
import * as service from "./service.ts";

const BASE = "/apps/:appId/collections/:entity";
/** 1000 rows of up to 65,535 cells in all. */
const BULK_BODY_LIMIT = 8 * 1024 * 1024;

/** Names as the service reads them: it answers a malformed or unknown app or entity itself (400 or 404). */
const collection = z.object({ appId: z.string(), entity: z.string() });
const oneRecord = collection.extend({ id: z.string().meta({ description: "The record's UUID" }) });
const LINKED_PARAM = "`linked=true` attaches `_linked: {<app>: {entity, recordId, data}}`, the records of every other app whose entity of this entity's identity kind has the same identity value (one per app, the earliest created; only records the caller may read); `linked=app1,app2` names the apps. 400 for an entity without `identityKind`, an unknown app, or an app without an entity of that kind.";
const linkedQuery = z.object({ linked: z.string({ error: "linked is given once: true, false or app1,app2" }).max(10_000).optional().meta({ description: LINKED_PARAM }) });

/**
 * A record's fields are the entity's, known only at run time: the service checks them against the entity's
 * manifest (types, required fields, unknown names), so the route declares the shape without refusing anything.
 */
const recordFields = z.unknown().meta({
  description: "The record's fields, as the entity's manifest defines them",
  override: { type: "object", additionalProperties: true },
});
const recordList = z.unknown().meta({
  description: "Up to 1000 records, each as for a single create",
  override: { type: "array", items: { type: "object", additionalProperties: true }, maxItems: 1000 },
});
const record = z.record(z.string(), z.unknown()).meta({ id: "Record", description: "A record: `id`, `created_at`, `updated_at` and the entity's fields" });
const tags = ["data"];

/** Authenticates, then resolves the entity: an unknown app or entity is a 404 only for a signed-in caller. */
async function target(req: RestRequest) {
  const principal = await req.principal();
  const model = service.entityOf(req.core, req.params.appId ?? "", req.params.entity ?? "");
  return { principal, entity: model instanceof Promise ? await model : model };
}

export const dataRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: BASE,
    schemas: { params: collection },
    docs: {
      summary: "List an entity's records (governed by row-level security)",
      description: `Any other query key filters by that column's value. \`limit\` (1..1000) and \`offset\` page; \`sort\` names a column and \`order\` is asc or desc. ${LINKED_PARAM}`,
      tags,
      responses: { 200: z.array(record) },
    },
    handler: async (req) => {
      const { principal, entity } = await target(req);
      assertUtf8Query(req.raw.url ?? "");
      return { body: new RawJson((await service.listRecords(req.core, principal, entity, parseListQuery(req.query))).json) };
    },
  }),
  defineRoute({
    method: "POST",
    path: BASE,
    schemas: { params: collection, body: recordFields },
    docs: { summary: "Create a record", tags, responses: { 201: record } },
    handler: async (req) => {
      const { principal, entity } = await target(req);
      return { status: 201, body: new RawJson((await service.createRecord(req.core, principal, entity, req.body)).json) };
    },
  }),
  defineRoute({
    method: "POST",
    path: `${BASE}/query`,
    schemas: { params: collection, body: optionalBody(queryBody) },
    docs: { summary: "Query an entity's records with the query language (where, orderBy, limit, offset, linked)", tags },
    // The entity is resolved (404) before the query is read, as for every other collection route.
    guard: async (req) => void (await target(req)),
    handler: async (req) => {
      const { principal, entity } = await target(req);
      return { body: new RawJson((await service.queryRecords(req.core, principal, entity, req.input.body)).json) };
    },
  }),
  defineRoute({
    method: "POST",
    path: `${BASE}/bulk`,
    bodyLimit: BULK_BODY_LIMIT,
    schemas: { params: collection, body: recordList },
    docs: { summary: "Create up to 1000 records in one transaction", tags, responses: { 201: z.array(record) } },
    handler: async (req) => {
      const { principal, entity } = await target(req);
      return { status: 201, body: new RawJson((await service.bulkCreate(req.core, principal, entity, req.body)).json) };
    },
  }),
  defineRoute({
    method: "GET",
    path: `${BASE}/:id`,
    schemas: { params: oneRecord, query: linkedQuery },
    docs: { summary: "Read one record", description: LINKED_PARAM, tags, responses: { 200: record } },
    handler: async (req) => {
      const { principal, entity } = await target(req);
      const linked = parseLinkedParam(req.input.query.linked ?? null);
      return { body: new RawJson((await service.getRecord(req.core, principal, entity, req.input.params.id, linked)).json) };
    },
  }),
  defineRoute({
    method: "PATCH",
    path: `${BASE}/:id`,
    schemas: { params: oneRecord, body: recordFields },
    docs: { summary: "Change some of a record's fields", tags, responses: { 200: record } },
    handler: async (req) => {
      const { principal, entity } = await target(req);
      return { body: new RawJson((await service.updateRecord(req.core, principal, entity, req.input.params.id, req.body)).json) };
    },
  }),
  defineRoute({
    method: "DELETE",
    path: `${BASE}/:id`,
    schemas: { params: oneRecord },
    docs: { summary: "Delete a record", tags },
    handler: async (req) => {
      const { principal, entity } = await target(req);
      return { body: await service.deleteRecord(req.core, principal, entity, req.input.params.id) };
    },
  }),
];
