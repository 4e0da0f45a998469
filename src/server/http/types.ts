import type { IncomingMessage, ServerResponse } from "node:http";
import type { HTTPMethod } from "find-my-way";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import type { z } from "zod";

export interface RestRequest {
  core: Core;
  requestId: string;
  ip: string;
  userAgent: string | null;
  raw: IncomingMessage;
  /** The caller, from its bearer token; rejects with 401 when there is none or it is no longer valid. */
  principal(): Promise<Principal>;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  /** The parsed JSON body; undefined when the request had none, or when the route reads `raw` itself. */
  body: unknown;
  /** `params`, `query` and `body` as validated by the route's `schemas` (each undefined where none is declared). */
  input: { params: unknown; query: unknown; body: unknown };
}

/** How a route's answers and access are described in the OpenAPI document (src/server/http/define-route.ts). */
export interface RouteDocs {
  summary: string;
  /** More about the route than the summary says (a query language, what a stream sends), shown under it. */
  description?: string;
  /** Groups in the API reference; defaults to the first path segment. */
  tags?: string[];
  /**
   * "bearer" (the default): a user's access token or a service account's API key; "none": public; "share": a
   * public-share token or none; "optional": a user's token or API key, or none (public resources answer anyone,
   * private ones 401); "any": a user's token, API key, share token, or none.
   */
  auth?: "bearer" | "none" | "share" | "optional" | "any";
  /**
   * Answers by status: a zod schema for JSON, a media type for streamed answers (files, SSE), or only a description
   * for an answer without a body (a redirect). Errors share one documented shape.
   */
  responses?: Record<number, z.ZodType | { mediaType?: string; description?: string }>;
  /**
   * What the body is when no `schemas.body` describes it: "none" for a POST/PUT/PATCH that reads no body, or the
   * media type a `body: "raw"` route streams (multipart uploads name their file field). Raw routes default to
   * application/octet-stream.
   */
  requestBody?: "none" | { mediaType: string; fileField?: string; description?: string };
}

export interface RestResult {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Takes the response over instead of a JSON body (Server-Sent Events, file downloads): the dispatcher calls
   * it and writes nothing itself. It owns ending the response, including when the client goes away.
   */
  stream?: (res: ServerResponse) => void | Promise<void>;
}

export interface RestRoute {
  method: HTTPMethod;
  /** Path below /api/v1, with find-my-way parameters: `/apps/:appId/secrets`. */
  path: string;
  /** Largest accepted body in bytes; 1 MiB unless the route says otherwise (deploy and uploads take 50 MiB). */
  bodyLimit?: number;
  /**
   * "json" (the default): the dispatcher reads and parses the body. "raw": it does not touch it, and the handler
   * streams `raw` itself (multipart uploads), honouring `bodyLimit`.
   */
  body?: "json" | "raw";
  /** Validated by the dispatcher before the handler runs; declare routes with `defineRoute` to get typed `input`. */
  schemas?: { params?: z.ZodType; query?: z.ZodType; body?: z.ZodType };
  docs?: RouteDocs;
  /**
   * Runs after authentication and before `schemas` are checked: for a route that must refuse a caller without the
   * right permission before saying anything about its input (a 403, not a 400 that reveals the input's rules).
   */
  guard?(req: RestRequest): Promise<void>;
  handler(req: RestRequest): Promise<RestResult> | RestResult;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const UPLOAD_BODY_LIMIT = 50 * 1024 * 1024;
