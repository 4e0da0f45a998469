import type { z } from "zod";
import type { oas31, ZodOpenApiContentObject, ZodOpenApiOperationObject, ZodOpenApiResponsesObject } from "zod-openapi";
import type { RestRoute } from "../http/types.ts";
import { errorBody } from "./error-schema.ts";
import { securityOf } from "./security.ts";

const PARAM = /:([A-Za-z0-9_]+)(\([^)]*\))?/g;

/** find-my-way's `/apps/:appId/secrets` (or `:id(^\d+)`) as OpenAPI's `/apps/{appId}/secrets`. */
export const openApiPath = (path: string) => path.replace(PARAM, "{$1}");

/** The `:name`s of a find-my-way path, in order. */
export const pathParamNames = (path: string) => [...path.matchAll(PARAM)].map((m) => m[1] as string);

/** `POST /apps/:appId/worker/start` → `postAppsAppIdWorkerStart`: stable, unique per method and path, readable in generated clients. */
export function operationId(route: RestRoute): string {
  const words = route.path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return route.method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
}

/** Whether the body may be left out: the schema accepts undefined (a refusal may also be thrown, as CoreError). */
function acceptsMissing(schema: z.ZodType): boolean {
  try {
    return schema.safeParse(undefined).success;
  } catch {
    return false;
  }
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH"]);

function requestBody(route: RestRoute): ZodOpenApiOperationObject["requestBody"] {
  const declared = route.docs?.requestBody;
  if (route.body === "raw") {
    const raw = declared && declared !== "none" ? declared : { mediaType: "application/octet-stream" };
    const binary: oas31.SchemaObject = { type: "string", contentMediaType: "application/octet-stream" };
    const schema: oas31.SchemaObject = raw.fileField
      ? { type: "object", properties: { [raw.fileField]: binary }, required: [raw.fileField] }
      : binary;
    return { required: true, description: raw.description, content: { [raw.mediaType]: { schema } } };
  }
  const body = route.schemas?.body;
  if (!body) return undefined;
  return { required: !acceptsMissing(body), content: { "application/json": { schema: body } } };
}

const errorContent: ZodOpenApiContentObject = { "application/json": { schema: errorBody } };
const errorResponse = (description: string) => ({ description, content: errorContent });

function successResponses(route: RestRoute): ZodOpenApiResponsesObject {
  const out: ZodOpenApiResponsesObject = {};
  for (const [status, answer] of Object.entries(route.docs?.responses ?? {})) {
    const key = status as `${1 | 2 | 3 | 4 | 5}${string}`;
    if ("_zod" in answer) {
      out[key] = { description: describeStatus(Number(status)), content: { "application/json": { schema: answer } } };
    } else if (answer.mediaType) {
      const { mediaType, description } = answer;
      // Streams (SSE, files) are described by their media type; their bytes have no JSON schema.
      const schema: oas31.SchemaObject = mediaType.startsWith("text/") ? { type: "string" } : { type: "string", contentMediaType: mediaType };
      out[key] = { description: description ?? mediaType, content: { [mediaType]: { schema } } };
    } else if (Number(status) >= 400) {
      // A refusal particular to the route (409 on data loss, 502 from a worker): the one error envelope.
      out[key] = errorResponse(answer.description ?? String(status));
    } else {
      out[key] = { description: answer.description ?? describeStatus(Number(status)) };
    }
  }
  // A route that documents no success answer still answers JSON; its shape is simply not described.
  if (!Object.keys(out).some((s) => s.startsWith("2") || s.startsWith("3"))) out["200"] = { description: "OK", content: { "application/json": { schema: {} } } };
  return out;
}

/** The refusals a route can give, each with the one error envelope; `default` covers the rest (429, 5xx). */
function errorResponses(route: RestRoute): ZodOpenApiResponsesObject {
  const out: ZodOpenApiResponsesObject = {};
  const auth = route.docs?.auth ?? "bearer";
  const takesInput = route.schemas?.params ?? route.schemas?.query ?? route.schemas?.body ?? route.body === "raw";
  if (takesInput || WRITE_METHODS.has(route.method)) out["400"] = errorResponse("The request is malformed or a value is invalid; `error` names the field.");
  if (auth === "bearer") out["401"] = errorResponse("No bearer token, or it is invalid, expired or revoked.");
  // Where a token is optional, one that is sent must still be valid, and a private resource needs one.
  else if (auth !== "none") out["401"] = errorResponse("The bearer token sent is invalid, expired or revoked, or what is asked for is not public and needs one.");
  if (auth !== "none") out["403"] = errorResponse("The caller lacks the permission this needs; `error` names it.");
  if (pathParamNames(route.path).length) out["404"] = errorResponse("What the path names does not exist (or is not visible to the caller).");
  if (WRITE_METHODS.has(route.method)) out["413"] = errorResponse("The body is larger than this route accepts.");
  out.default = errorResponse("Any other refusal or failure (409 conflict, 429 rate limit with Retry-After, 5xx).");
  return out;
}

function describeStatus(status: number): string {
  const names: Record<number, string> = { 200: "OK", 201: "Created", 202: "Accepted", 204: "No content", 302: "Redirect" };
  return names[status] ?? String(status);
}

/** The OpenAPI operation of one route, from the same schema objects the dispatcher validates with. */
export function routeOperation(route: RestRoute): ZodOpenApiOperationObject {
  const docs = route.docs;
  const schemas = route.schemas ?? {};
  const declared = new Set(Object.keys((schemas.params as z.ZodObject | undefined)?.shape ?? {}));
  // Every templated path parameter must be described; one the route does not validate is a plain string.
  const undeclared: oas31.ParameterObject[] = pathParamNames(route.path)
    .filter((name) => !declared.has(name))
    .map((name) => ({ name, in: "path", required: true, schema: { type: "string" } }));
  return {
    operationId: operationId(route),
    summary: docs?.summary,
    description: docs?.description,
    tags: docs?.tags ?? [route.path.split("/")[1] ?? "api"],
    security: securityOf(docs?.auth),
    requestParams: {
      ...(schemas.params && { path: schemas.params as z.ZodObject }),
      ...(schemas.query && { query: schemas.query as z.ZodObject }),
    },
    parameters: undeclared.length ? undeclared : undefined,
    requestBody: requestBody(route),
    // The route's own answers win over the generic refusals (its 401 or 404 says more).
    responses: { ...errorResponses(route), ...successResponses(route) },
  };
}
