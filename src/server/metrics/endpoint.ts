import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import ipaddr from "ipaddr.js";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";

export const METRICS_PATH = "/metrics";

/** The socket's own peer is loopback; a forwarded address is never looked at (a client writes those itself). */
function loopbackPeer(req: IncomingMessage): boolean {
  const peer = req.socket.remoteAddress;
  return peer !== undefined && ipaddr.isValid(peer) && ipaddr.process(peer).range() === "loopback";
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? "")?.[1];
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Who may scrape. With ROOTCX_METRICS_TOKEN set: whoever sends it, from anywhere (and no one without it, loopback
 * included: a reverse proxy on this host makes remote callers look local). Without it: loopback peers only, and not
 * through a proxy — a request carrying X-Forwarded-For or Forwarded came from somewhere else.
 */
export function checkMetricsAccess(req: IncomingMessage, token: string | undefined): void {
  if (token !== undefined) {
    if (tokenMatches(req.headers.authorization, token)) return;
    throw new CoreError("UNAUTHORIZED", "metrics require the bearer token set in ROOTCX_METRICS_TOKEN (Authorization: Bearer <token>)", {
      headers: { "www-authenticate": 'Bearer realm="metrics"' },
    });
  }
  if (!loopbackPeer(req)) {
    throw new CoreError("FORBIDDEN", "metrics are served to loopback callers only; set ROOTCX_METRICS_TOKEN to scrape from another host");
  }
  if (req.headers["x-forwarded-for"] !== undefined || req.headers.forwarded !== undefined) {
    throw new CoreError("FORBIDDEN", "metrics are not served through a proxy without a token; set ROOTCX_METRICS_TOKEN to scrape through one");
  }
}

/** `GET /metrics`: the Prometheus text exposition format, outside /api/v1 like /health. */
export async function serveMetrics(req: IncomingMessage, res: ServerResponse, core: Core): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    throw new CoreError("METHOD_NOT_ALLOWED", `method ${req.method} not allowed`, { headers: { allow: "GET, HEAD" } });
  }
  if (!core.metrics.enabled) throw new CoreError("NOT_FOUND", "metrics are off (ROOTCX_METRICS=off)");
  checkMetricsAccess(req, core.config.metricsToken);
  const { contentType, body } = await core.metrics.render();
  res.writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : body);
}
