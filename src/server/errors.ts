import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { ZodError } from "zod";

/**
 * The one error table: each code maps to the HTTP status of the REST layer and the code of the tRPC layer.
 * Services throw CoreError; adapters translate it, nothing else decides a status.
 */
export const ERROR_TABLE = {
  BAD_REQUEST: { status: 400, trpc: "BAD_REQUEST" },
  UNAUTHORIZED: { status: 401, trpc: "UNAUTHORIZED" },
  FORBIDDEN: { status: 403, trpc: "FORBIDDEN" },
  NOT_FOUND: { status: 404, trpc: "NOT_FOUND" },
  METHOD_NOT_ALLOWED: { status: 405, trpc: "METHOD_NOT_SUPPORTED" },
  CONFLICT: { status: 409, trpc: "CONFLICT" },
  /** The client stopped sending its request body (an upload idle past its timeout). */
  REQUEST_TIMEOUT: { status: 408, trpc: "TIMEOUT" },
  PAYLOAD_TOO_LARGE: { status: 413, trpc: "PAYLOAD_TOO_LARGE" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, trpc: "UNSUPPORTED_MEDIA_TYPE" },
  /** A download's Range lies outside the file. */
  RANGE_NOT_SATISFIABLE: { status: 416, trpc: "BAD_REQUEST" },
  TOO_MANY_REQUESTS: { status: 429, trpc: "TOO_MANY_REQUESTS" },
  INTERNAL: { status: 500, trpc: "INTERNAL_SERVER_ERROR" },
  /** An app's backend (worker) failed the call: it answered an error, crashed or stopped reading. */
  BAD_GATEWAY: { status: 502, trpc: "BAD_GATEWAY" },
  /** An app's backend did not answer within the RPC timeout. */
  GATEWAY_TIMEOUT: { status: 504, trpc: "GATEWAY_TIMEOUT" },
  NOT_READY: { status: 503, trpc: "SERVICE_UNAVAILABLE" },
} as const satisfies Record<string, { status: number; trpc: TRPC_ERROR_CODE_KEY }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/**
 * What an answer may add to its sentence (`error`): where in the caller's text the problem is (1-based, in
 * characters, as PostgreSQL counts), how to fix it, and more about it. The database console uses them.
 */
export interface ErrorDetails {
  position?: number;
  hint?: string;
  detail?: string;
  /** OAuth 2.0 (RFC 6749 §5.2) names its human-readable reason so; `POST /auth/token` answers in that shape. */
  error_description?: string;
}

export class CoreError extends Error {
  override name = "CoreError";
  readonly code: ErrorCode;
  /** Extra response headers, e.g. Retry-After on 429. */
  readonly headers: Record<string, string> | undefined;
  /** Sent next to `error` (REST) or in `data` (tRPC). */
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, opts?: { headers?: Record<string, string>; cause?: unknown; details?: ErrorDetails }) {
    super(message, { cause: opts?.cause });
    this.code = code;
    this.headers = opts?.headers;
    this.details = opts?.details;
  }

  get status(): number {
    return ERROR_TABLE[this.code].status;
  }
}

export const badRequest = (message: string) => new CoreError("BAD_REQUEST", message);
export const notFound = (message = "not found") => new CoreError("NOT_FOUND", message);
export const forbidden = (message = "forbidden") => new CoreError("FORBIDDEN", message);
export const unauthorized = (message = "unauthorized") => new CoreError("UNAUTHORIZED", message);
export const conflict = (message: string) => new CoreError("CONFLICT", message);

function isPgError(err: unknown): err is { code: string; message: string; constraint?: string; column?: string } {
  return typeof err === "object" && err !== null && typeof (err as { code?: unknown }).code === "string" &&
    /^[0-9A-Z]{5}$/.test((err as { code: string }).code) && "severity" in err;
}

/**
 * The database could not be reached or gave no connection in time: the pool's acquire timeout (pg-pool's
 * "timeout exceeded when trying to connect"), a connect that timed out or was cut ("Connection terminated …"),
 * a refused or reset socket, or PostgreSQL refusing new connections (class 08, 53300 too many connections,
 * 57P01-57P03 shutdown/cannot connect now). None of these is the caller's fault and retrying soon may succeed.
 */
const POOL_MESSAGES = [/^timeout exceeded when trying to connect/i, /^Connection terminated/i, /^Client has encountered a connection error/i, /^Cannot use a pool after calling end/i];
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN"]);

function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") {
    if (SOCKET_CODES.has(code) || code.startsWith("08") || code === "53300" || code === "57P01" || code === "57P02" || code === "57P03") return true;
  }
  return POOL_MESSAGES.some((re) => re.test(err.message));
}

export const databaseUnavailable = (cause: unknown) =>
  new CoreError("NOT_READY", "the database is busy or unreachable; retry in a moment", { cause, headers: { "Retry-After": "2" } });

export function formatZodError(err: ZodError): string {
  return err.issues
    .map((i) => (i.path.length ? `${i.path.map(String).join(".")}: ${i.message}` : i.message))
    .join("; ");
}

/**
 * Turns anything thrown into a CoreError. PostgreSQL errors follow the original's mapping (RLS-rejected
 * write → 403, FK and unique violations → 409); anything unknown becomes a 500 whose message reveals nothing.
 */
export function toCoreError(err: unknown): CoreError {
  if (err instanceof CoreError) return err;
  if (err instanceof ZodError) return new CoreError("BAD_REQUEST", formatZodError(err), { cause: err });
  if (isDatabaseUnavailable(err)) return databaseUnavailable(err);
  if (isPgError(err)) {
    switch (err.code) {
      case "42501":
        return new CoreError("FORBIDDEN", "write rejected by access policy", { cause: err });
      case "23503":
        return new CoreError("CONFLICT", "referenced record does not exist or is still referenced", { cause: err });
      case "23505":
        return new CoreError("CONFLICT", "a record with the same unique value already exists", { cause: err });
      case "23502":
        return new CoreError("BAD_REQUEST", err.column ? `field "${err.column}" is required` : "a required value is missing", { cause: err });
      case "23514":
        return new CoreError("BAD_REQUEST", `value violates the check ${err.constraint ?? ""}`.trimEnd(), { cause: err });
      case "RX001": // migration 0010's commit-time check: the change would leave no enabled administrator
        return new CoreError("BAD_REQUEST", err.message, { cause: err });
      case "57014":
        // statement_timeout (or a cancel): the database was too busy or a lock was held, not the caller's input.
        return new CoreError("NOT_READY", "the database did not finish the statement in time; retry in a moment", {
          cause: err,
          headers: { "Retry-After": "2" },
        });
      case "40001":
      case "40P01":
      case "55P03":
        return new CoreError("CONFLICT", "a concurrent change got in the way; retry", { cause: err });
      default: {
        // The classes a request's values can cause; the services check values first, so these are the backstop.
        const field = err.column ? `field "${err.column}": ` : "";
        // Class 22, data exception: a value PostgreSQL cannot read as its type (range, syntax, encoding, NUL).
        if (err.code.startsWith("22")) return new CoreError("BAD_REQUEST", `invalid value: ${field}${err.message}`, { cause: err });
        // Class 23, integrity: the other constraint violations (exclusion, restrict) are conflicts like unique.
        if (err.code.startsWith("23")) return new CoreError("CONFLICT", `${field}${err.message}`, { cause: err });
        // Class 54, program limit: too complex, too many columns or arguments, stack depth.
        if (err.code.startsWith("54")) return new CoreError("BAD_REQUEST", `the request is too large or complex for the database: ${err.message}`, { cause: err });
        return new CoreError("INTERNAL", "internal database error", { cause: err });
      }
    }
  }
  return new CoreError("INTERNAL", "internal error", { cause: err });
}
