/** A manifest field as the Studio's forms need it (the manifest's snake_case keys). */
export interface FieldDef {
  name: string;
  type: string;
  required?: boolean;
  enum_values?: string[];
  default_value?: unknown;
  references?: { entity: string; field?: string };
}

/** What a form control holds: text for most types, a flag for checkboxes. */
export type InputValue = string | boolean;

const pad = (n: number) => String(n).padStart(2, "0");

/** `datetime-local` has no zone: it shows and takes the browser's local time. */
function toLocalDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A stored value as its form control shows it. */
export function toInput(field: FieldDef, value: unknown): InputValue {
  if (field.type === "boolean") return value === true;
  if (value === null || value === undefined) return "";
  switch (field.type) {
    case "date":
      return String(value).slice(0, 10);
    case "timestamp":
      return toLocalDateTime(String(value));
    case "json":
      return JSON.stringify(value, null, 2);
    case "[text]":
    case "[number]":
      return Array.isArray(value) ? value.map(String).join(", ") : String(value);
    default:
      return String(value);
  }
}

/** The control's initial value for a new record: the manifest's default where the control can show it. */
export function initialInput(field: FieldDef): InputValue {
  const d = field.default_value;
  if (field.type === "boolean") return d === true;
  if (typeof d === "string" || typeof d === "number") return toInput(field, d);
  return "";
}

/** Decimal notation as the Data API reads it (its own check decides whether a double holds it exactly). */
export const isNumeric = (raw: string) => /^\s*-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(raw);

/** Every record's own columns: shown and sortable, never edited by hand. */
export const SYSTEM_FIELDS: readonly FieldDef[] = [
  { name: "id", type: "uuid" },
  { name: "created_at", type: "timestamp" },
  { name: "updated_at", type: "timestamp" },
];
export const SYSTEM_NAMES: ReadonlySet<string> = new Set(SYSTEM_FIELDS.map((f) => f.name));

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

const splitList = (raw: string) =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

/** A form control's value as the Data API takes it; an empty control is null. */
export function fromInput(field: FieldDef, raw: InputValue): Parsed {
  if (typeof raw === "boolean") return { ok: true, value: raw };
  if (raw.trim() === "") return { ok: true, value: null };
  switch (field.type) {
    case "number":
      // Sent as the typed digits: Number() would round 9007199254740993 silently, the server refuses it instead.
      return isNumeric(raw) ? { ok: true, value: raw.trim() } : { ok: false, error: `"${raw}" is not a number.` };
    case "timestamp": {
      const d = new Date(raw);
      return Number.isNaN(d.getTime()) ? { ok: false, error: `"${raw}" is not a date and time.` } : { ok: true, value: d.toISOString() };
    }
    case "json":
      try {
        return { ok: true, value: JSON.parse(raw) };
      } catch (err) {
        return { ok: false, error: `Invalid JSON (${(err as Error).message}).` };
      }
    case "[text]":
      return { ok: true, value: splitList(raw) };
    case "[number]": {
      const items = splitList(raw);
      const bad = items.find((s) => !isNumeric(s));
      return bad === undefined ? { ok: true, value: items } : { ok: false, error: `"${bad}" is not a number.` };
    }
    default:
      return { ok: true, value: raw };
  }
}

/** A value as a table cell shows it. */
export function display(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
