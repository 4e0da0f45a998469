import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import { RawJson } from "../http/respond.ts";
import type { RestRoute } from "../http/types.ts";
import { buildOpenApiDocument } from "./document.ts";

const documentShape = z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });

/**
 * `GET /openapi.json`: public. The route table is fixed at start-up, so the document is built and serialised once
 * per Core version and then sent as the same text on every call.
 */
export function openApiRoute(routes: () => readonly RestRoute[]): RestRoute {
  let cached: { version: string; json: RawJson } | undefined;
  return defineRoute({
    method: "GET",
    path: "/openapi.json",
    docs: { summary: "This OpenAPI 3.1 document", tags: ["system"], auth: "none", responses: { 200: documentShape } },
    handler: ({ core }) => {
      if (cached?.version !== core.version) cached = { version: core.version, json: new RawJson(JSON.stringify(buildOpenApiDocument(routes(), { version: core.version }))) };
      return { body: cached.json, headers: { "cache-control": "public, max-age=300" } };
    },
  });
}
