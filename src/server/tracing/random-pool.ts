import { randomFillSync } from "node:crypto";

// Trace, span and request ids are random (W3C Trace Context asks for it, and counters would tell anyone the
// request rate). One CSPRNG call fills a pool that serves hundreds of ids; each id is then a string encoding of a
// slice, about as cheap as the counter it replaces.
const POOL_SIZE = 8192;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** Where `bytes` fresh random bytes start in the pool: read them at once, before the next call refills it. */
function take(bytes: number): number {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const start = offset;
  offset += bytes;
  return start;
}

function allZero(start: number, bytes: number): boolean {
  for (let i = start; i < start + bytes; i++) if (pool[i] !== 0) return false;
  return true;
}

/** `bytes` random bytes as lower-case hex, never all zeros (W3C forbids all-zero trace and span ids). */
export function randomHex(bytes: number): string {
  let start = take(bytes);
  while (allZero(start, bytes)) start = take(bytes);
  return pool.toString("hex", start, start + bytes);
}

/** `bytes` random bytes as base64url. */
export function randomBase64url(bytes: number): string {
  const start = take(bytes);
  return pool.toString("base64url", start, start + bytes);
}
