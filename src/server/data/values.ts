import { CoreError } from "../errors.ts";
import type { FieldType } from "../apps/manifest.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMERIC = /^\s*-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

export const isUuid = (v: string) => UUID.test(v);

function invalid(column: string, type: FieldType, value: unknown): never {
  const shown = typeof value === "string" ? JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value) : Array.isArray(value) ? "an array" : value === null ? "null" : typeof value === "object" ? "an object" : String(value);
  throw new CoreError("BAD_REQUEST", `field "${column}" expects ${DESCRIPTIONS[type]}, got ${shown}`);
}

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

function number(column: string, type: FieldType, v: unknown): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && NUMERIC.test(v)) return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  return invalid(column, type, v);
}

/**
 * A value for a column of the given manifest type, in the JSON form PostgreSQL reads back into that type.
 * Lenient where no information is lost ("42" for a number, "true" for a boolean); a wrong type is a 400 rather
 * than the original's silent 0 or NULL.
 */
export function coerceValue(column: string, type: FieldType, v: unknown): unknown {
  if (v === null) return null;
  switch (type) {
    case "text":
    case "file":
      if (typeof v === "string") return v;
      if (typeof v === "number" || typeof v === "boolean") return String(v);
      return invalid(column, type, v);
    case "number":
      return number(column, type, v);
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
      if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v.slice(0, 10)))) return v;
      return invalid(column, type, v);
    case "timestamp":
      if (typeof v === "string" && v.length <= 64 && !Number.isNaN(Date.parse(v))) return v;
      if (typeof v === "number" && Number.isFinite(v)) return new Date(v).toISOString();
      return invalid(column, type, v);
    case "json":
      return v;
    case "[text]":
      if (!Array.isArray(v)) return invalid(column, type, v);
      return v.map((x) => (typeof x === "string" ? x : typeof x === "number" || typeof x === "boolean" ? String(x) : invalid(column, type, v)));
    case "[number]":
      if (!Array.isArray(v)) return invalid(column, type, v);
      return v.map((x) => number(column, type, x));
  }
}
