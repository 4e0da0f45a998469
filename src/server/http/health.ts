import type { IncomingMessage, ServerResponse } from "node:http";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { healthQuery } from "../system/schema.ts";
import * as system from "../system/service.ts";
import { sendError, sendJson } from "./respond.ts";
import { API_SECURITY_HEADERS } from "./security-headers.ts";

const OK_BODY = JSON.stringify(system.health());
const OK_HEADERS = { "content-type": "application/json; charset=utf-8", "content-length": String(OK_BODY.length) };

/** The plain liveness answer, written in one call (a flat header list skips building a header object). */
export function answerHealth(res: ServerResponse, requestId: string): void {
  res.writeHead(200, [
    "content-type", OK_HEADERS["content-type"], "content-length", OK_HEADERS["content-length"], "x-request-id", requestId,
    ...API_SECURITY_HEADERS.flat(), "vary", "Origin",
  ]);
  res.end(OK_BODY);
}

/** `/health` is outside /api/v1, as in the original, and is the liveness probe: it must stay cheap. */
export async function handleHealth(req: IncomingMessage, res: ServerResponse, core: Core): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    sendError(res, new CoreError("METHOD_NOT_ALLOWED", "method not allowed"));
    return;
  }
  const url = req.url ?? "/health";
  const q = url.indexOf("?");
  if (q !== -1) {
    const { full } = healthQuery.parse(Object.fromEntries(new URLSearchParams(url.slice(q + 1))));
    if (full) {
      sendJson(res, 200, await system.fullHealth(core));
      return;
    }
  }
  res.writeHead(200, OK_HEADERS);
  res.end(OK_BODY);
}
