import type { IncomingMessage, ServerResponse } from "node:http";
import type { HTTPMethod } from "find-my-way";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";

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
  handler(req: RestRequest): Promise<RestResult> | RestResult;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const UPLOAD_BODY_LIMIT = 50 * 1024 * 1024;
