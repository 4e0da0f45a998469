import { ExactNumber, parseJsonExact, survivesDouble } from "./exact-number.ts";

/** Whether a string holds a UTF-16 surrogate without its pair (PostgreSQL would store U+FFFD in its place). */
export const hasLoneSurrogate = (s: string) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
// In UTF-8 text (a body is refused when it is not) a lone surrogate can only be written as a \u escape.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
// The digits of a number a double may not hold: 16 or more, or an exponent (see exact-number.ts).
const LONG_NUMBER = /[\d.]{16}|\d[eE]/;
const MAX_DEPTH = 256;

/**
 * How deeply a request's JSON may nest. Far beyond any real document, far below the depth at which a recursive
 * walk (JSON.stringify when a value is forwarded to a worker, our own tree walks) exhausts the stack: such a body
 * was answered with a 500 from a RangeError.
 */
export const MAX_JSON_NESTING = 512;

/** Whether JSON text nests arrays and objects deeper than `max`, brackets inside strings not counted. */
export function nestsDeeperThan(text: string, max = MAX_JSON_NESTING): boolean {
  if (text.length <= max) return false; // too short to hold that many brackets
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export type PathSegment = string | number;

/**
 * The path of the first place in a parsed JSON value where `hit` holds, depth first; keys are tested as
 * strings too. ExactNumbers are leaves.
 */
function findPath(value: unknown, hit: (v: unknown) => boolean, path: PathSegment[] = []): { path: PathSegment[]; found: unknown } | undefined {
  if (hit(value)) return { path, found: value };
  if (typeof value !== "object" || value === null || value instanceof ExactNumber || path.length > MAX_DEPTH) return undefined;
  const entries: [PathSegment, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, v] of entries) {
    if (typeof key === "string" && hit(key)) return { path: [...path, key], found: key };
    const found = findPath(v, hit, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

const isLoneSurrogateText = (v: unknown) => typeof v === "string" && hasLoneSurrogate(v);
const isInexactNumber = (v: unknown) => v instanceof ExactNumber && !survivesDouble(v.digits);

/** Where in a parsed JSON value a string (or key) holds a lone UTF-16 surrogate. */
export const findLoneSurrogate = (value: unknown) => findPath(value, isLoneSurrogateText)?.path;

/** Whether the JSON text may hold a string with a lone surrogate; false is certain, true needs a look. */
export const mayHoldLoneSurrogate = (text: string) => SURROGATE_ESCAPE.test(text);

const dotted = (path: PathSegment[]) => path.map(String).join(".") || "(the input)";

/**
 * What JSON.parse would silently change in this JSON text, as a sentence, or undefined when nothing: a number
 * with more digits than a double keeps, or a string with a lone surrogate. For parsers that are not ours (tRPC
 * reads its own bodies with JSON.parse); malformed text is left to that parser to refuse.
 */
export function alteredByJsonParse(text: string): string | undefined {
  if (nestsDeeperThan(text)) return `the input nests arrays and objects more than ${MAX_JSON_NESTING} levels deep`;
  const numbers = LONG_NUMBER.test(text);
  const surrogates = mayHoldLoneSurrogate(text);
  if (!numbers && !surrogates) return undefined;
  let value: unknown;
  try {
    value = parseJsonExact(text);
  } catch {
    return undefined;
  }
  const inexact = numbers ? findPath(value, isInexactNumber) : undefined;
  if (inexact) {
    const { digits } = inexact.found as ExactNumber;
    const shown = digits.length > 40 ? `${digits.slice(0, 40)}…` : digits;
    return `${dotted(inexact.path)}: the number ${shown} cannot be held by a double without changing its digits; send it as a string or use the REST API`;
  }
  const lone = surrogates ? findLoneSurrogate(value) : undefined;
  return lone ? `${dotted(lone)}: text cannot contain a lone UTF-16 surrogate` : undefined;
}
