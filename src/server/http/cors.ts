import type { IncomingMessage, ServerResponse } from "node:http";

// The origins the original accepts: local development servers, the desktop Studio (Tauri) and rootcx.com.
const ALLOWED_ORIGINS = [
  /^http:\/\/localhost(:\d{1,5})?$/,
  /^http:\/\/127\.0\.0\.1(:\d{1,5})?$/,
  /^tauri:\/\/[a-z0-9.-]+$/i,
  /^http:\/\/tauri\.localhost$/,
  /^https:\/\/([a-z0-9-]+\.)+rootcx\.com$/i,
  /^https:\/\/rootcx\.com$/,
];

export function isAllowedOrigin(origin: string): boolean {
  return ALLOWED_ORIGINS.some((re) => re.test(origin));
}

/**
 * Sets the CORS headers for an allowed origin. Returns true when the request was a preflight and has been
 * answered, in which case the caller must do nothing more.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse): boolean {
  // The answer depends on Origin whether or not this one is allowed: a cache must never hand an answer made for
  // one origin (or for none) to another.
  res.appendHeader("vary", "Origin");
  const origin = req.headers.origin;
  if (!origin || !isAllowedOrigin(origin)) return false;
  res.setHeader("access-control-allow-origin", origin);
  res.setHeader("access-control-allow-credentials", "true");
  res.setHeader("access-control-expose-headers", "x-request-id, retry-after");
  if (req.method !== "OPTIONS" || !req.headers["access-control-request-method"]) return false;
  res.appendHeader("vary", "Access-Control-Request-Method, Access-Control-Request-Headers");
  res.setHeader("access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
  // Echoed, never "*": with credentials allowed, browsers read "*" as a header literally named "*".
  const requested = req.headers["access-control-request-headers"];
  if (requested) res.setHeader("access-control-allow-headers", requested);
  res.setHeader("access-control-max-age", "600");
  res.statusCode = 204;
  res.end();
  return true;
}
