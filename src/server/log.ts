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
 * Paths whose next segment is a bearer secret: whoever reads it from a log could use it. A public share's page
 * (`/share/rcsh_…`), the single-use storage nonces (upload, download) and an inbound webhook's token (its first 12
 * characters are the prefix the webhook lists show anyway). Only the secret's first characters stay, enough to tell
 * two requests apart, far too few to use. Keep in step with the routes that take such a segment.
 */
const SECRET_SEGMENT_PREFIXES: readonly (readonly [prefix: string, kept: number])[] = [
  ["/share/", "rcsh_".length + 6],
  ["/api/v1/storage/download/", 6],
  ["/api/v1/storage/upload/", 6],
  ["/api/v1/hooks/", 12],
];

function cutSecretSegment(path: string): string | undefined {
  for (const [prefix, kept] of SECRET_SEGMENT_PREFIXES) {
    if (path.startsWith(prefix)) {
      const end = prefix.length + kept;
      return path.length > end ? `${path.slice(0, end)}…` : path;
    }
  }
  return undefined;
}

function decodedPath(path: string): string | undefined {
  try {
    return decodeURI(path);
  } catch {
    return undefined;
  }
}

/**
 * Drops the query string: it can carry tokens (magic links, webhooks, signed URLs' `signature`), and paths are
 * enough to trace a request. A bearer secret in the path is cut to its first characters (SECRET_SEGMENT_PREFIXES),
 * also when the path spells its prefix percent-encoded: the REST router decodes a path before matching it, so
 * `/api/v1/%68ooks/{token}` reaches the webhook as surely as `/api/v1/hooks/{token}`.
 */
export function loggablePath(url: string | undefined): string {
  if (!url) return "/";
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const cut = cutSecretSegment(path);
  if (cut !== undefined) return cut;
  const decoded = path.includes("%") ? decodedPath(path) : undefined;
  return (decoded !== undefined && cutSecretSegment(decoded)) || path;
}
