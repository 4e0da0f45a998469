import { createDocument, type CreateDocumentOptions, type ZodOpenApiPathsObject } from "zod-openapi";
import { CoreError } from "../errors.ts";
import type { RestRoute } from "../http/types.ts";
import { errorBody } from "./error-schema.ts";
import { openApiPath, routeOperation } from "./operation.ts";
import { securitySchemes } from "./security.ts";

export type OpenApiDocument = ReturnType<typeof createDocument>;

export interface DocumentInfo {
  version: string;
}

/**
 * How schemas become JSON Schema, here and wherever a schema is converted to compare with the document. A
 * `z.custom` check (the data API's `where`) has no JSON form: it is described as any value.
 */
export const CONVERSION_OPTIONS: CreateDocumentOptions = { allowEmptySchema: { custom: true } };

const ZOD_OBJECT_ONLY = "params and query schemas must be z.object(...) so each key becomes one parameter";

/** The OpenAPI 3.1 description of every REST route below /api/v1, built from their `schemas` and `docs`. */
export function buildOpenApiDocument(routes: readonly RestRoute[], info: DocumentInfo): OpenApiDocument {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    for (const part of ["params", "query"] as const) {
      const schema = route.schemas?.[part];
      if (schema && schema._zod.def.type !== "object") throw new CoreError("INTERNAL", `${route.method} ${route.path}: ${ZOD_OBJECT_ONLY}`);
    }
    const path = openApiPath(route.path);
    const item = (paths[path] ??= {});
    item[route.method.toLowerCase() as "get"] = routeOperation(route);
  }
  const tags = [...new Set(Object.values(paths).flatMap((item) => Object.values(item).flatMap((op) => (op as { tags?: string[] }).tags ?? [])))].sort();
  return createDocument({
    openapi: "3.1.0",
    info: {
      title: "RootCX Core",
      version: info.version,
      description: "The REST API of RootCX Core. Every error answer is `{\"error\": \"…\"}` with the status of the error table.",
    },
    servers: [{ url: "/api/v1" }],
    tags: tags.map((name) => ({ name })),
    paths,
    components: { securitySchemes, schemas: { Error: errorBody } },
  }, CONVERSION_OPTIONS);
}
