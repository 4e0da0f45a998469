import { quoteLiteral } from "./model.ts";

/**
 * How schema sync converts a column's values from one PostgreSQL type to another, and which rows that
 * conversion would lose or alter. A value converts only where it reads exactly as the new type; elsewhere it
 * becomes NULL, which install applies only after counting those rows and only when the request accepts it.
 *
 * Lossless: anything → text (every value has an exact text form: doubles print shortest-exact, json prints
 * itself, strings unwrapped), anything → json, scalar → one-element array, [number] → [text], date → timestamp.
 * Lossy per row: text/json → number, boolean, uuid, date where the new type does not write the text back
 * exactly ("041" → 41 loses a zero, " 41" a space, "TRUE" → true its case), → date or timestamp where the text
 * is not ISO 8601 ("today", "epoch", "1/2/2024") or reads as an infinity, → number where it reads as NaN or an
 * infinity (those three become NULL: the Data API could not hand them back), timestamp → date with a time of
 * day, number → json for -0, array → scalar with more than one element, and every pair with no exact mapping
 * (boolean ↔ number …).
 */
export interface Conversion {
  /** The USING expression of ALTER COLUMN … TYPE. */
  using: string;
  /** True for a row whose value the conversion loses or alters; absent when none can be. */
  lossy?: string;
}

const TEXT = "text";
const JSONB = "jsonb";

const valid = (src: string, type: string) => `rootcx_system.input_is_valid(${src}, ${quoteLiteral(type)})`;
const textOf = (v: string, type: string) => (type === JSONB ? `(${v} #>> '{}')` : `(${v})::text`);
const elementOf = (type: string) => type.slice(0, -2);
const isArray = (type: string) => type.endsWith("[]");

// ISO 8601 as the Data API takes it. Other texts PostgreSQL reads as dates ("today", "epoch", "1/2/2024",
// whose month-first reading depends on DateStyle) are not what they say once stored.
const ISO_DATE_OR_TIMESTAMP = "'^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$'";

/**
 * For a text `src` that reads as `to`: a value the Data API could not hand back (NaN, ±Infinity, ±infinity
 * dates), which therefore converts to NULL, never to itself.
 */
function unrepresentable(src: string, to: string): string {
  switch (to) {
    case "double precision":
      return `(${src})::double precision = ANY('{NaN,Infinity,-Infinity}'::double precision[])`;
    case "date":
    case "timestamp with time zone":
      return `NOT isfinite((${src})::${to})`;
    default:
      return "false";
  }
}

/**
 * For a text `src` that reads as `to`: whether reading it changes what it says. Only the exact text the new
 * type writes back counts as unchanged (" 41", "TRUE" and an upper-case UUID are altered, even if slightly).
 */
function altered(src: string, to: string): string {
  const special = unrepresentable(src, to);
  switch (to) {
    case "date":
      // A time of day is what a date drops; a text that reads as a timestamp other than midnight holds one.
      return `NOT (${src} ~ ${ISO_DATE_OR_TIMESTAMP}) OR ${special} OR CASE WHEN ${valid(src, "timestamp without time zone")} THEN (${src})::timestamp <> (${src})::date::timestamp ELSE false END`;
    case "timestamp with time zone":
      // PostgreSQL writes a timestamp in its own format; an ISO 8601 text names the same instant.
      return `NOT (${src} ~ ${ISO_DATE_OR_TIMESTAMP}) OR ${special}`;
    default:
      return `(${src})::${to}::text <> ${src} OR ${special}`;
  }
}

function scalar(v: string, from: string, to: string): Conversion {
  if (from === to) return { using: v };
  if (to === TEXT) return { using: textOf(v, from) };
  // jsonb numbers have no negative zero.
  if (to === JSONB) return { using: `to_jsonb(${v})`, ...(from === "double precision" ? { lossy: `(${v})::text = '-0'` } : {}) };
  const src = textOf(v, from);
  return {
    using: `CASE WHEN NOT ${valid(src, to)} THEN NULL WHEN ${unrepresentable(src, to)} THEN NULL ELSE ${src}::${to} END`,
    // CASE, not OR: SQL does not promise to test validity before it casts.
    lossy: `(${v} IS NOT NULL AND CASE WHEN ${valid(src, to)} THEN ${altered(src, to)} ELSE true END)`,
  };
}

export function conversion(column: string, from: string, to: string): Conversion {
  const v = column;
  if (!isArray(from) && !isArray(to)) return scalar(v, from, to);
  if (to === JSONB) return { using: `to_jsonb(${v})` };
  if (!isArray(from)) {
    const el = scalar(v, from, elementOf(to));
    // NULL stays NULL rather than becoming an array holding NULL.
    return { using: `CASE WHEN ${v} IS NULL THEN NULL ELSE ARRAY[${el.using}] END`, ...(el.lossy ? { lossy: el.lossy } : {}) };
  }
  if (!isArray(to)) {
    const first = scalar(`(${v})[1]`, elementOf(from), to);
    const lossy = `(${v} IS NOT NULL AND (cardinality(${v}) > 1${first.lossy ? ` OR ${first.lossy}` : ""}))`;
    return { using: first.using, lossy };
  }
  const el = scalar("e", elementOf(from), elementOf(to));
  const lossy = el.lossy ? `EXISTS (SELECT 1 FROM unnest(${v}) AS u(e) WHERE ${el.lossy})` : undefined;
  if (from === "text[]" && to === "double precision[]") return { using: `rootcx_system.text_array_to_float8(${v})`, ...(lossy ? { lossy } : {}) };
  return { using: `(${v})::${to}`, ...(lossy ? { lossy } : {}) };
}
