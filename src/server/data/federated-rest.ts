import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import { optionalBody } from "../http/optional-body.ts";
import { RawJson } from "../http/respond.ts";
import type { RestRoute } from "../http/types.ts";
import { federatedQuery } from "./federated.ts";
import { queryBody } from "./schema.ts";

const params = z.object({ identityKind: z.string().max(100, { error: "identityKind is longer than 100 characters" }).meta({ description: "The identity kind entities declare in their manifest (`identityKind`)" }) });
const sourced = z.record(z.string(), z.unknown()).meta({
  id: "FederatedRecord",
  description: "A record of one source entity, with `_source: {app, entity}` naming where it comes from",
});

export const federatedRoutes: RestRoute[] = [
  defineRoute({
    method: "POST",
    path: "/federated/:identityKind/query",
    schemas: { params, body: optionalBody(queryBody) },
    docs: {
      summary: "Query every entity, in every app, that declares an identity kind (governed by row-level security)",
      description:
        "The body is /query's: `where` (over fields the sources share; a source without a field reads it as NULL), `orderBy` (default created_at; every source that has the field must give it the same column type, else 400), `order` (default desc), `limit`, `offset`. Each row carries `_source: {app, entity}`; ties are ordered by source then id; `total` counts every matching row. A source the caller may not read contributes nothing and is never named. `linked` is refused here.",
      tags: ["data"],
      responses: { 200: z.object({ data: z.array(sourced), total: z.number().int() }) },
    },
    handler: async (req) => {
      const principal = await req.principal();
      return { body: new RawJson((await federatedQuery(req.core, principal, req.input.params.identityKind, req.input.body)).json) };
    },
  }),
];
