import type { IncomingMessage, ServerResponse } from "node:http";
import Router from "find-my-way";
import { authenticate } from "../auth/authenticate.ts";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { z } from "zod";
import { CoreError, formatZodError, toCoreError } from "../errors.ts";
import { claimRoute } from "../tracing/context.ts";
import { readJsonBody } from "./body.ts";
import { sendError, sendJson } from "./respond.ts";
import { DEFAULT_BODY_LIMIT, type RestRequest, type RestRoute } from "./types.ts";

export const REST_PREFIX = "/api/v1";

const METHODS: Router.HTTPMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
/**
 * Longer than any path segment Node accepts (its request line and headers together default to 16 KiB): a parameter
 * of any length reaches its route, whose schema or service answers it (a 5000-character webhook token: `no webhook
 * at this URL`), rather than the router's `no route for …`.
 */
const MAX_PARAM_LENGTH = 64 * 1024;
/** How much of an unknown path a 404 repeats: enough to spot a typo, never a whole hostile URL. */
const MAX_ECHOED_PATH = 200;

const echoed = (path: string) => (path.length > MAX_ECHOED_PATH ? `${path.slice(0, MAX_ECHOED_PATH)}…` : path);

export interface RestDispatcher {
  dispatch(req: IncomingMessage, res: ServerResponse, ctx: { core: Core; requestId: string; ip: string }): Promise<void>;
}

/** Routes `/api/v1/*` to the subsystems' REST routes; every failure leaves as `{"error": …}` JSON. */
export function createRestDispatcher(routes: RestRoute[]): RestDispatcher {
  const router = Router({ ignoreTrailingSlash: true, caseSensitive: true, maxParamLength: MAX_PARAM_LENGTH });
  for (const route of routes) router.on(route.method, route.path, () => undefined, route);
  // Each route's template as metrics and spans label it, built once (`/api/v1/apps/:appId/rpc`, never the raw path).
  const templates = new Map(routes.map((r) => [r, `${REST_PREFIX}${r.path}`]));

  return {
    async dispatch(req, res, ctx) {
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      const path = (q === -1 ? url : url.slice(0, q)).slice(REST_PREFIX.length) || "/";
      let found: ReturnType<typeof router.find> = null;
      try {
        found = router.find(req.method as Router.HTTPMethod, path);
        if (!found) {
          const allowed = METHODS.filter((m) => router.find(m, path));
          if (allowed.length) throw new CoreError("METHOD_NOT_ALLOWED", `method ${req.method} not allowed`, { headers: { allow: allowed.join(", ") } });
          throw new CoreError("NOT_FOUND", `no route for ${req.method} ${echoed(`${REST_PREFIX}${path}`)}`);
        }
        const route = found.store as RestRoute;
        claimRoute(templates.get(route)!);
        const body = req.method === "GET" || req.method === "HEAD" || route.body === "raw" ? undefined : await readJsonBody(req, route.bodyLimit ?? DEFAULT_BODY_LIMIT);
        const query = new URLSearchParams(q === -1 ? "" : url.slice(q + 1));
        const authenticated = authenticateOnce(ctx.core, req.headers.authorization);
        // A route documented as needing a bearer token refuses an unauthenticated caller before saying anything about its input.
        if (route.docs && (route.docs.auth ?? "bearer") === "bearer") await authenticated();
        // Every field written out, not `...ctx`: V8 missed its property-definition cache on the spread literal
        // on every request (perf: 6 % of the Core's CPU under the data bench).
        const request: RestRequest = {
          core: ctx.core,
          requestId: ctx.requestId,
          ip: ctx.ip,
          userAgent: req.headers["user-agent"] ?? null,
          principal: authenticated,
          raw: req,
          params: found.params,
          query,
          body,
          input: { params: undefined, query: undefined, body: undefined },
        };
        if (route.guard) await route.guard(request);
        request.input = {
          params: route.schemas?.params ? validate(route.schemas.params, found.params, "params") : undefined,
          query: route.schemas?.query ? validate(route.schemas.query, queryObject(query), "query") : undefined,
          body: route.schemas?.body ? route.schemas.body.parse(body) : undefined,
        };
        const result = await route.handler(request);
        if (result.stream) {
          if (result.headers) for (const [k, v] of Object.entries(result.headers)) res.setHeader(k, v);
          await result.stream(res);
          return;
        }
        sendJson(res, result.status ?? 200, result.body, result.headers);
      } catch (err) {
        const e = toCoreError(err);
        if (e.code === "INTERNAL") ctx.core.log.error({ err, requestId: ctx.requestId }, "request failed");
        // A body we stopped reading (too large) would otherwise be answered on a half-read connection.
        if (e.code === "PAYLOAD_TOO_LARGE" || (found?.store as RestRoute | undefined)?.body === "raw") res.setHeader("connection", "close");
        sendError(res, e);
      }
    },
  };
}

/**
 * The request's principal, authenticated at most once however often a route asks. Built here rather than as a
 * named arrow in dispatch: tsx's keepNames would give that closure its name with Object.defineProperty on every request.
 */
function authenticateOnce(core: Core, authorization: string | undefined): () => Promise<Principal> {
  let principal: Promise<Principal> | undefined;
  return () => (principal ??= authenticate(core, authorization));
}

/** A query string as an object for schema validation: a key given once maps to its string, several times to an array. */
export function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>; // `__proto__` is a key like any other
  for (const [k, v] of query) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/**
 * Path and query values as their schemas read them. A path segment has no field name the caller wrote, so its
 * refusal is the bare sentence ("invalid app id"); a query refusal is prefixed with its key unless the sentence
 * already starts with it ("detail must be …"), as the handlers answered before the schemas moved here.
 */
function validate(schema: z.ZodType, value: unknown, where: "params" | "query"): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const named = parsed.error.issues.map((i) => {
    const key = String(i.path[0] ?? "");
    return where === "params" || i.message.startsWith(key) ? { ...i, path: [] } : i;
  });
  throw new CoreError("BAD_REQUEST", formatZodError(new z.ZodError(named)), { cause: parsed.error });
}
