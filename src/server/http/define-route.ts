import type { z } from "zod";
import type { RestRequest, RestResult, RestRoute, RouteDocs } from "./types.ts";

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a route declares it accepts: the dispatcher validates with these, and the OpenAPI document is built from them. */
export interface RouteSchemas<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  /** Path parameters, as an object of strings keyed by the `:name`s of the path. */
  params?: P;
  /** The query string, as an object: a key given once is a string, a key given several times an array of strings. */
  query?: Q;
  /** The parsed JSON body (never used with `body: "raw"`). */
  body?: B;
}

export interface TypedRestRequest<P, Q, B> extends RestRequest {
  input: { params: P; query: Q; body: B };
}

/**
 * A REST route whose inputs are validated by the dispatcher before the handler runs (a failure is a 400 naming the
 * field) and documented in /api/v1/openapi.json from the same schema objects, so the two cannot drift.
 */
export function defineRoute<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  route: Omit<RestRoute, "handler" | "schemas" | "docs"> & {
    schemas?: RouteSchemas<P, Q, B>;
    docs?: RouteDocs;
    handler(req: TypedRestRequest<Out<P>, Out<Q>, Out<B>>): Promise<RestResult> | RestResult;
  },
): RestRoute {
  return route as unknown as RestRoute;
}
