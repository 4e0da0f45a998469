import { CoreError } from "../errors.ts";
import type { FieldType } from "../apps/manifest.ts";
import { ExactNumber, survivesDouble } from "../http/exact-number.ts";
import { hasLoneSurrogate } from "../http/input-integrity.ts";

/**
 * The Data API's value layer: every value from a request is checked against its field's type and turned into
 * text PostgreSQL reads back as exactly that value, or refused with a 400 naming the field. Nothing reaches the
 * driver that PostgreSQL would refuse (a 5xx-prone error without the field's name) or silently change
 * (JSON.stringify writing Infinity as null, the driver writing a lone surrogate as U+FFFD, a NUL truncating
 * the simple-protocol statement).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMERIC = /^\s*-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;
const JSON_NUMBER = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
/** ISO 8601 as PostgreSQL reads it unchanged: years 0001–9999, at most microseconds, offsets within ±15:59. */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-](\d{2})(?::?(\d{2}))?)?)?$/;
/** JSON nesting beyond this is refused before serialising (a deeper value would overflow the stack). */
const JSON_MAX_DEPTH = 128;
/** PostgreSQL's numeric (which jsonb numbers are): at most 131072 digits before the point, 16383 after. */
const NUMERIC_MAX_INT_DIGITS = 131_072;
const NUMERIC_MAX_SCALE = 16_383;
const EPOCH_MS_MIN = Date.parse("0001-01-01T00:00:00.000Z");
const EPOCH_MS_MAX = Date.parse("9999-12-31T23:59:59.999Z");

export const isUuid = (v: string) => UUID.test(v);

/** JSON text for a json field, embedded as is where the value goes to PostgreSQL. */
export class JsonValue {
  constructor(readonly json: string) {}
}

/**
 * A value ready for PostgreSQL: text it reads as the column's type (numbers as exact decimal text), a boolean,
 * JSON text for json fields, an array of texts for array fields, or null.
 */
export type SqlValue = null | boolean | string | JsonValue | string[];

const DESCRIPTIONS: Record<FieldType, string> = {
  text: "a string",
  file: "a file id (string)",
  number: "a number",
  boolean: "a boolean",
  date: 'a date ("YYYY-MM-DD")',
  timestamp: "an ISO 8601 timestamp",
  uuid: "a UUID",
  entity_link: "a record id (UUID)",
  json: "any JSON value",
  "[text]": "an array of strings",
  "[number]": "an array of numbers",
};

function shown(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value instanceof ExactNumber) return value.digits.length > 60 ? `${value.digits.slice(0, 60)}…` : value.digits;
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return String(value);
}

function invalid(column: string, type: FieldType, value: unknown, why?: string): never {
  throw new CoreError("BAD_REQUEST", `field "${column}" expects ${DESCRIPTIONS[type]}, got ${shown(value)}${why ? ` (${why})` : ""}`);
}

/** Why PostgreSQL could not store a string unchanged, or undefined when it can. */
function textProblem(s: string): string | undefined {
  if (s.includes("\u0000")) return "text cannot contain the NUL character";
  if (hasLoneSurrogate(s)) return "text cannot contain a lone UTF-16 surrogate";
  return undefined;
}

/** A string as PostgreSQL text, unchanged, or a 400 naming the field. */
export function checkedText(column: string, type: FieldType, s: string): string {
  const problem = textProblem(s);
  if (problem) invalid(column, type, s, problem);
  return s;
}

/** The decimal text of a JavaScript number; -0 keeps its sign (String(-0) is "0"). */
const numberText = (n: number) => (Object.is(n, -0) ? "-0" : String(n));

/**
 * A double precision value as decimal text. Accepted only when a double holds it digit for digit: not 1e400
 * (overflow), not 1e-400 (underflow to 0), not 9007199254740993 (past 2^53 neighbouring integers share a
 * double), not 0.10000000000000001 (more digits than a double keeps).
 */
function doubleText(column: string, type: FieldType, v: unknown): string {
  let text: string | undefined;
  if (typeof v === "number") text = Number.isFinite(v) ? numberText(v) : undefined;
  else if (v instanceof ExactNumber) text = v.digits;
  else if (typeof v === "string" && NUMERIC.test(v)) text = v.trim();
  else if (typeof v === "boolean") return v ? "1" : "0";
  if (text === undefined) return invalid(column, type, v);
  if (!Number.isFinite(Number(text))) return invalid(column, type, v, "out of range for double precision");
  if (!survivesDouble(text)) return invalid(column, type, v, "double precision cannot hold it without changing its digits");
  return text;
}

/** A JSON number as jsonb (PostgreSQL numeric) stores it exactly, or a 400. */
function jsonNumber(column: string, digits: string, value: unknown): string {
  const m = JSON_NUMBER.exec(digits);
  if (!m) return invalid(column, "json", value);
  const exponent = Number(m[3] ?? 0);
  const intDigits = m[1]!.replace(/^0+/, "").length;
  const scale = (m[2]?.length ?? 0) - exponent;
  if (intDigits + exponent > NUMERIC_MAX_INT_DIGITS || scale > NUMERIC_MAX_SCALE) {
    return invalid(column, "json", value, "a number beyond PostgreSQL's numeric range");
  }
  return digits;
}

/** JSON text for a json field, with numbers' exact digits; refuses what jsonb cannot hold unchanged. */
export function jsonText(column: string, v: unknown, depth = 0): string {
  if (depth > JSON_MAX_DEPTH) return invalid(column, "json", v, `nested more than ${JSON_MAX_DEPTH} levels`);
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (!Number.isFinite(v)) return invalid(column, "json", v, "JSON has no infinities or NaN");
      return JSON.stringify(v);
    case "string": {
      const problem = textProblem(v);
      if (problem) invalid(column, "json", v, problem.replace("text", "a JSON string"));
      return JSON.stringify(v);
    }
    case "object":
      if (v instanceof ExactNumber) return jsonNumber(column, v.digits, v);
      if (Array.isArray(v)) return `[${v.map((x) => jsonText(column, x, depth + 1)).join(",")}]`;
      if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
        const members = Object.entries(v as Record<string, unknown>).map(([k, x]) => {
          const problem = textProblem(k);
          if (problem) invalid(column, "json", k, problem.replace("text", "a JSON key"));
          return `${JSON.stringify(k)}:${jsonText(column, x, depth + 1)}`;
        });
        return `{${members.join(",")}}`;
      }
      return invalid(column, "json", v);
    default:
      return invalid(column, "json", v);
  }
}

/** A calendar-valid ISO 8601 date or timestamp that PostgreSQL stores without rounding or rejecting it. */
function isoTimestamp(s: string): boolean {
  const m = TIMESTAMP.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one; setUTCFullYear keeps years below 100 as written.
  const last = new Date(0);
  last.setUTCFullYear(year, month, 0);
  if (day > last.getUTCDate()) return false;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) return false;
  if (m[9] !== undefined && (Number(m[9]) > 15 || Number(m[10] ?? 0) > 59)) return false;
  return true;
}

/**
 * Whether the instant a timestamp names lies within the years 0001–9999 in UTC, the form PostgreSQL answers
 * with: "9999-12-31T23:59:59-01:00" is in the year 10000 there, and would come back in a form no request may
 * send. Without an offset the time is the session's, which is UTC.
 */
function instantInRange(s: string): boolean {
  const m = TIMESTAMP.exec(s)!;
  const offsetMinutes = m[8] === undefined || m[8] === "Z" ? 0 : (m[8].startsWith("-") ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10] ?? 0));
  const at = new Date(0);
  at.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  at.setUTCHours(Number(m[4] ?? 0), Number(m[5] ?? 0) - offsetMinutes, Number(m[6] ?? 0), Number((m[7] ?? "0").padEnd(3, "0").slice(0, 3)));
  return at.getTime() >= EPOCH_MS_MIN && at.getTime() <= EPOCH_MS_MAX;
}

function textOf(column: string, type: FieldType, v: unknown): string {
  if (typeof v === "string") return checkedText(column, type, v);
  if (typeof v === "number") return Number.isFinite(v) ? numberText(v) : invalid(column, type, v);
  if (v instanceof ExactNumber) return v.digits;
  if (typeof v === "boolean") return String(v);
  return invalid(column, type, v);
}

/**
 * A value for a column of the given manifest type, in the form PostgreSQL reads back as exactly that value.
 * Lenient where no information is lost ("42" for a number, "true" for a boolean); a wrong type, or a value
 * PostgreSQL would refuse or change, is a 400 naming the field rather than the original's silent 0 or NULL.
 */
export function coerceValue(column: string, type: FieldType, v: unknown): SqlValue {
  if (v === null) return null;
  switch (type) {
    case "text":
    case "file":
      return textOf(column, type, v);
    case "number":
      return doubleText(column, type, v);
    case "boolean":
      if (typeof v === "boolean") return v;
      if (v === 1 || v === 0) return v === 1;
      if (v === "true" || v === "1") return true;
      if (v === "false" || v === "0") return false;
      return invalid(column, type, v);
    case "uuid":
    case "entity_link":
      if (typeof v === "string" && UUID.test(v)) return v.toLowerCase();
      return invalid(column, type, v);
    case "date":
      // A timestamp is accepted for a date field; PostgreSQL keeps its date part as written.
      if (typeof v === "string" && isoTimestamp(v)) return v;
      return invalid(column, type, v, typeof v === "string" ? "use YYYY-MM-DD with a year from 0001 to 9999" : undefined);
    case "timestamp":
      if (typeof v === "string") {
        if (isoTimestamp(v) && instantInRange(v)) return v;
        return invalid(column, type, v, "use ISO 8601 with a year from 0001 to 9999 (in UTC) and at most 6 fractional digits");
      }
      // Epoch milliseconds: whole ones only (a Date drops fractions), within the years 0001–9999.
      if (typeof v === "number" && Number.isInteger(v) && v >= EPOCH_MS_MIN && v <= EPOCH_MS_MAX) return new Date(v).toISOString();
      return invalid(column, type, v, typeof v === "number" || v instanceof ExactNumber ? "epoch milliseconds must be whole and within the years 0001–9999" : undefined);
    case "json":
      return new JsonValue(jsonText(column, v));
    case "[text]":
      if (!Array.isArray(v)) return invalid(column, type, v);
      return v.map((x) => (x !== null && typeof x === "object" && !(x instanceof ExactNumber) ? invalid(column, type, v) : textOf(column, type, x)));
    case "[number]":
      if (!Array.isArray(v)) return invalid(column, type, v);
      return v.map((x) => doubleText(column, type, x));
  }
}

/** A coerced value as a JSON member of the row jsonb_to_recordset reads (numbers as strings keep their digits). */
export function sqlValueJson(v: SqlValue): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof JsonValue) return v.json;
  return `[${v.map((x) => JSON.stringify(x)).join(",")}]`;
}

/** Rows of coerced values as the JSON array text jsonb_to_recordset reads. */
export function rowsJson(rows: readonly Record<string, SqlValue>[]): string {
  return `[${rows.map((r) => `{${Object.entries(r).map(([k, v]) => `${JSON.stringify(k)}:${sqlValueJson(v)}`).join(",")}}`).join(",")}]`;
}
