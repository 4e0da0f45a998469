import { ExactNumber, survivesDouble } from "../http/exact-number.ts";

/**
 * A call's number as a stored context holds it: the body parser keeps every integer past 2^53 (and some numbers
 * with an exponent) as ExactNumber, though a double may hold it exactly (9007199254740992, 1e308) as the context does.
 */
const asStored = (v: unknown): unknown => (v instanceof ExactNumber && survivesDouble(v.digits) ? Number(v.digits) : v);

/** Plain JSON objects only: a class instance (an ExactNumber no double holds, say) equals nothing. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Exact JSON equality: same type and value, arrays in order, objects with the same keys whatever their order. */
export function jsonEqual(left: unknown, right: unknown): boolean {
  const a = asStored(left);
  const b = asStored(right);
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b && a !== undefined;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

/**
 * The first key of a public RPC's `scope` on which the call's params and the share's context differ, or
 * undefined when they agree on every one. A key missing on either side differs, so a share never matches a call
 * that leaves a scoped parameter out.
 */
export function scopeMismatch(scope: readonly string[], context: Record<string, unknown>, params: unknown): string | undefined {
  const given = isPlainObject(params) ? params : {};
  return scope.find((key) => !Object.hasOwn(context, key) || !Object.hasOwn(given, key) || !jsonEqual(context[key], given[key]));
}
