import type { IncomingMessage, ServerResponse } from "node:http";
import { CoreError } from "../errors.ts";

/**
 * The headers of every answer that carries a secret shown once (a share token, an API key): no cache, the
 * browser's own or a proxy's, may keep a copy of it. `pragma` for HTTP/1.0 caches that ignore Cache-Control.
 * REST routes return them as their result's `headers`.
 */
export const ONE_TIME_SECRET_HEADERS: Readonly<Record<string, string>> = { "cache-control": "no-store", pragma: "no-cache" };

/**
 * For a tRPC procedure whose answer carries a one-time secret: puts the headers on the response, which tRPC's
 * adapter writes after the procedure has run. A streamed batch (`trpc-accept: application/jsonl`) sends its
 * headers before any procedure ends, so such a call is refused before it makes a secret nobody could protect.
 * Call it before the secret is made.
 */
export function answerCarriesOneTimeSecret(req: IncomingMessage, res: ServerResponse): void {
  if (req.headers["trpc-accept"] === "application/jsonl" || res.headersSent) {
    throw new CoreError("BAD_REQUEST", "this call answers a secret shown once: make it without streaming (no trpc-accept: application/jsonl)");
  }
  for (const [name, value] of Object.entries(ONE_TIME_SECRET_HEADERS)) res.setHeader(name, value);
}
