import { RawJson } from "../http/respond.ts";
import type { RestRequest, RestRoute } from "../http/types.ts";
import { assertUtf8Query, parseListQuery, queryBody } from "./schema.ts";
import * as service from "./service.ts";

const BASE = "/apps/:appId/collections/:entity";
/** 1000 rows of up to 65,535 cells in all. */
const BULK_BODY_LIMIT = 8 * 1024 * 1024;

/** Authenticates, then resolves the entity: an unknown app or entity is a 404 only for a signed-in caller. */
async function target(req: RestRequest) {
  const principal = await req.principal();
  const entity = await service.entityOf(req.core, req.params.appId ?? "", req.params.entity ?? "");
  return { principal, entity };
}

export const dataRoutes: RestRoute[] = [
  {
    method: "GET",
    path: BASE,
    handler: async (req) => {
      const { principal, entity } = await target(req);
      assertUtf8Query(req.raw.url ?? "");
      return { body: new RawJson((await service.listRecords(req.core, principal, entity, parseListQuery(req.query))).json) };
    },
  },
  {
    method: "POST",
    path: BASE,
    handler: async (req) => {
      const { principal, entity } = await target(req);
      return { status: 201, body: new RawJson((await service.createRecord(req.core, principal, entity, req.body)).json) };
    },
  },
  {
    method: "POST",
    path: `${BASE}/query`,
    handler: async (req) => {
      const { principal, entity } = await target(req);
      return { body: new RawJson((await service.queryRecords(req.core, principal, entity, queryBody.parse(req.body ?? {}))).json) };
    },
  },
  {
    method: "POST",
    path: `${BASE}/bulk`,
    bodyLimit: BULK_BODY_LIMIT,
    handler: async (req) => {
      const { principal, entity } = await target(req);
      return { status: 201, body: new RawJson((await service.bulkCreate(req.core, principal, entity, req.body)).json) };
    },
  },
  {
    method: "GET",
    path: `${BASE}/:id`,
    handler: async (req) => {
      const { principal, entity } = await target(req);
      return { body: new RawJson((await service.getRecord(req.core, principal, entity, req.params.id ?? "")).json) };
    },
  },
  {
    method: "PATCH",
    path: `${BASE}/:id`,
    handler: async (req) => {
      const { principal, entity } = await target(req);
      return { body: new RawJson((await service.updateRecord(req.core, principal, entity, req.params.id ?? "", req.body)).json) };
    },
  },
  {
    method: "DELETE",
    path: `${BASE}/:id`,
    handler: async (req) => {
      const { principal, entity } = await target(req);
      return { body: await service.deleteRecord(req.core, principal, entity, req.params.id ?? "") };
    },
  },
];
