import { ExactNumber, parseJsonExact, survivesDouble } from "./exact-number.ts";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// In UTF-8 text (a body is refused when it is not) a lone surrogate can only be written as a \u escape.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
// The digits of a number a double may not hold: 16 or more, or an exponent (see exact-number.ts).
const LONG_NUMBER = /[\d.]{16}|\d[eE]/;
const MAX_DEPTH = 256;

export type PathSegment = string | number;

/** Where in a parsed JSON value a string holds a lone UTF-16 surrogate (PostgreSQL would store U+FFFD). */
export function findLoneSurrogate(value: unknown, path: PathSegment[] = []): PathSegment[] | undefined {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path : undefined;
  if (typeof value !== "object" || value === null || value instanceof ExactNumber || path.length > MAX_DEPTH) return undefined;
  const entries: [PathSegment, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, v] of entries) {
    if (typeof key === "string" && LONE_SURROGATE.test(key)) return [...path, key];
    const found = findLoneSurrogate(v, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/** Whether the JSON text may hold a string with a lone surrogate; false is certain, true needs a look. */
export const mayHoldLoneSurrogate = (text: string) => SURROGATE_ESCAPE.test(text);

function findInexactNumber(value: unknown, path: PathSegment[]): { path: PathSegment[]; digits: string } | undefined {
  if (value instanceof ExactNumber) return survivesDouble(value.digits) ? undefined : { path, digits: value.digits };
  if (typeof value !== "object" || value === null || path.length > MAX_DEPTH) return undefined;
  const entries: [PathSegment, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, v] of entries) {
    const found = findInexactNumber(v, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

const dotted = (path: PathSegment[]) => path.map(String).join(".") || "(the input)";

/**
 * What JSON.parse would silently change in this JSON text, as a sentence, or undefined when nothing: a number
 * with more digits than a double keeps, or a string with a lone surrogate. For parsers that are not ours (tRPC
 * reads its own bodies with JSON.parse); malformed text is left to that parser to refuse.
 */
export function alteredByJsonParse(text: string): string | undefined {
  const numbers = LONG_NUMBER.test(text);
  const surrogates = mayHoldLoneSurrogate(text);
  if (!numbers && !surrogates) return undefined;
  let value: unknown;
  try {
    value = parseJsonExact(text);
  } catch {
    return undefined;
  }
  const inexact = numbers ? findInexactNumber(value, []) : undefined;
  if (inexact) {
    const shown = inexact.digits.length > 40 ? `${inexact.digits.slice(0, 40)}…` : inexact.digits;
    return `${dotted(inexact.path)}: the number ${shown} cannot be held by a double without changing its digits; send it as a string or use the REST API`;
  }
  const lone = surrogates ? findLoneSurrogate(value) : undefined;
  return lone ? `${dotted(lone)}: text cannot contain a lone UTF-16 surrogate` : undefined;
}
