import pino, { type Logger } from "pino";
import type { LogLevel } from "./config/schema.ts";
import { currentRequest } from "./tracing/context.ts";

/**
 * Paths that may carry credentials anywhere in a log object. Request logging never includes bodies or
 * headers wholesale, but this is the net under that rule.
 */
export const REDACTED_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "refreshToken",
  "*.refreshToken",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
  "*.headers.authorization",
  "*.headers.cookie",
  "cookie",
  "*.cookie",
  "databaseUrl",
  "*.databaseUrl",
  "masterKey",
  "*.masterKey",
  "jwtSecret",
  "*.jwtSecret",
];

/**
 * Every line logged while a request is being served carries its ids, however deep in a service it is written: the
 * request's context travels in AsyncLocalStorage (tracing/context.ts). A fresh object per line, also when empty:
 * pino merges the line's own fields into what the mixin returns.
 */
function requestFields(): object {
  const ctx = currentRequest();
  return ctx ? { requestId: ctx.requestId, traceId: ctx.traceId } : {};
}

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "rootcx-core" },
      mixin: requestFields,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/**
 * Drops the query string: it can carry tokens (magic links, webhooks), and paths are enough to trace a request.
 * A public share's page carries its token in the path (`/share/{token}`): only the token's first characters stay.
 */
export function loggablePath(url: string | undefined): string {
  if (!url) return "/";
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  return path.startsWith("/share/") && path.length > 18 ? `${path.slice(0, 18)}…` : path;
}
