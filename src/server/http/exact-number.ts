import { isSafeNumber, parse } from "lossless-json";

/**
 * A JSON number that a JavaScript number would not hold digit for digit (750727362669608961, 1e400,
 * 0.10000000000000001): kept as the decimal text the client sent. Only the Data API's value layer reads it;
 * elsewhere it is an object, so a zod `number()` refuses it rather than accepting a rounded value.
 */
export class ExactNumber {
  constructor(readonly digits: string) {}

  /** Its digits, wherever code outside the Data API turns a value into text (never "[object Object]"). */
  toString(): string {
    return this.digits;
  }

  /** Where a body is re-serialised with JSON.stringify outside the Data API, it stays what it was before. */
  toJSON(): number | null {
    const n = Number(this.digits);
    return Number.isFinite(n) ? n : null;
  }
}

/** The significant digits of a decimal: no sign, point, exponent, leading or trailing zeros. */
const significant = (text: string) => text.replace(/[eE].*$/, "").replace(/[-.]/g, "").replace(/^0+|0+$/g, "");

/**
 * Whether a double holds the decimal digit for digit, so that reading it back gives the digits written:
 * 1e300 and 9007199254740992 yes; 750727362669608961 (reads back …960), 1e400 (overflow), 1e-400 (reads back
 * 0) and 0.10000000000000001 (reads back 0.1) no.
 */
export function survivesDouble(text: string): boolean {
  const n = Number(text);
  return Number.isFinite(n) && significant(text) === significant(n.toExponential());
}

// A number token of at most 15 digits (DBL_DIG) always survives a double; only longer ones or an exponent
// can be unsafe, so bodies without either take the native parser, which is about 3× faster.
const MAYBE_UNSAFE_NUMBER = /[\d.]{16}|\d[eE]/;

/**
 * JSON.parse, except that numbers a double cannot hold exactly become ExactNumber. Throws SyntaxError on
 * malformed JSON like JSON.parse; `__proto__` stays an ordinary own key.
 */
export function parseJsonExact(text: string): unknown {
  if (!MAYBE_UNSAFE_NUMBER.test(text)) return JSON.parse(text) as unknown;
  return parse(text, null, (digits) => (isSafeNumber(digits) ? Number(digits) : new ExactNumber(digits)));
}
