import { randomHex } from "./random-pool.ts";

/** A parsed W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/#traceparent-header). */
export interface TraceParent {
  traceId: string;
  parentId: string;
  flags: string;
}

const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
// A later version may append fields after a dash; its first four fields keep version 00's shape.
const LATER_VERSION = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/**
 * The header's fields, or undefined when it is absent or malformed: the spec says a receiver that cannot parse it
 * starts a new trace, so a bad header is ignored rather than refused. Upper-case hex, all-zero ids, version ff,
 * and a version-00 header with anything after the flags are malformed.
 */
export function parseTraceparent(header: string | string[] | undefined): TraceParent | undefined {
  // Several traceparent headers are ambiguous: the spec treats them as invalid.
  if (typeof header !== "string" || header.length > 512) return undefined;
  const value = header.trim();
  let m = VERSION_00.exec(value);
  if (m) return valid(m[1]!, m[2]!, m[3]!);
  m = LATER_VERSION.exec(value);
  if (!m || m[1] === "00" || m[1] === "ff") return undefined;
  return valid(m[2]!, m[3]!, m[4]!);
}

function valid(traceId: string, parentId: string, flags: string): TraceParent | undefined {
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
  return { traceId, parentId, flags };
}

/** A new trace id: 32 lower-case hex, random, never all zeros. */
export function newTraceId(): string {
  return randomHex(16);
}

/** A new span id: 16 lower-case hex, random, never all zeros. */
export function newSpanId(): string {
  return randomHex(8);
}
