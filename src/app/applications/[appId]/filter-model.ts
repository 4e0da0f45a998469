import { isNumeric, type FieldDef } from "../field-values.ts";

/** What a condition may say about a field; which ones a field offers depends on its type. */
export type Operator = "eq" | "ne" | "lt" | "gt" | "between" | "in" | "contains" | "empty" | "notEmpty";

export const OPERATOR_LABELS: Record<Operator, string> = {
  eq: "=",
  ne: "≠",
  lt: "<",
  gt: ">",
  between: "between",
  in: "in",
  contains: "contains",
  empty: "is empty",
  notEmpty: "is not empty",
};

/** One row of the filter builder, as typed (control text); the URL keeps exactly this. */
export interface Condition {
  field: string;
  op: Operator;
  /** The value, or the lower bound of `between`. */
  value: string;
  /** The upper bound of `between`. */
  to: string;
  /** The values of `in`. */
  list: string[];
}

export type Where = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TEXTUAL = new Set(["text", "file"]);

export function operatorsFor(field: FieldDef): Operator[] {
  if (field.enum_values) return ["eq", "ne", "in", "empty", "notEmpty"];
  switch (field.type) {
    case "number":
      return ["eq", "ne", "lt", "gt", "between", "in", "empty", "notEmpty"];
    case "date":
    case "timestamp":
      return ["eq", "lt", "gt", "between", "empty", "notEmpty"];
    case "boolean":
      return ["eq", "empty", "notEmpty"];
    case "uuid":
    case "entity_link":
      return ["eq", "ne", "in", "empty", "notEmpty"];
    case "json":
    case "[text]":
    case "[number]":
      return ["contains", "empty", "notEmpty"];
    default:
      return ["contains", "eq", "ne", "in", "empty", "notEmpty"];
  }
}

export function newCondition(field: FieldDef): Condition {
  return { field: field.name, op: operatorsFor(field)[0]!, value: field.type === "boolean" ? "true" : "", to: "", list: [] };
}

/** LIKE's wildcards in what a person typed are meant literally. */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** `datetime-local` has no zone: it is the browser's local time, sent as the instant it names. */
function instant(local: string): string | undefined {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

type Compiled = { ok: true; where: Where } | { ok: false; error: string };

/** One typed value as the Data API takes it, or the sentence saying why it cannot be. */
function valueOf(field: FieldDef, raw: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const text = raw.trim();
  if (text === "") return { ok: false, error: "Enter a value." };
  switch (field.type) {
    case "number":
      // The digits as typed: the server says when a double cannot hold them, rather than Number() rounding.
      return isNumeric(text) ? { ok: true, value: text } : { ok: false, error: `"${text}" is not a number.` };
    case "timestamp": {
      const iso = instant(text);
      return iso ? { ok: true, value: iso } : { ok: false, error: `"${text}" is not a date and time.` };
    }
    case "uuid":
    case "entity_link":
      return UUID.test(text) ? { ok: true, value: text } : { ok: false, error: `"${text}" is not a UUID (like 0b7c…-…).` };
    case "boolean":
      return { ok: true, value: text === "true" };
    default:
      return { ok: true, value: raw };
  }
}

/** A condition in the Data API's where language, or why it cannot be sent. */
export function compileCondition(field: FieldDef, c: Condition): Compiled {
  const name = field.name;
  const one = (op: string, raw: string): Compiled => {
    const v = valueOf(field, raw);
    return v.ok ? { ok: true, where: { [name]: { [op]: v.value } } } : v;
  };
  switch (c.op) {
    case "eq":
      // A date-and-time control has minute precision: "=" means within that minute.
      if (field.type === "timestamp") {
        const from = instant(c.value);
        if (!from) return { ok: false, error: "Enter a date and time." };
        return { ok: true, where: { [name]: { $gte: from, $lt: new Date(Date.parse(from) + 60_000).toISOString() } } };
      }
      return one("$eq", c.value);
    case "ne":
      return one("$ne", c.value);
    case "lt":
      return one("$lt", c.value);
    case "gt":
      return one("$gt", c.value);
    case "between": {
      const lo = valueOf(field, c.value);
      if (!lo.ok) return { ok: false, error: `From: ${lo.error}` };
      const hi = valueOf(field, c.to);
      if (!hi.ok) return { ok: false, error: `To: ${hi.error}` };
      return { ok: true, where: { [name]: { $gte: lo.value, $lte: hi.value } } };
    }
    case "in": {
      const items = field.enum_values ? c.list : c.list.flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s !== "");
      if (items.length === 0) return { ok: false, error: field.enum_values ? "Choose at least one value." : "Enter one or more values, separated by commas." };
      const values: unknown[] = [];
      for (const item of items) {
        const v = valueOf(field, item);
        if (!v.ok) return v;
        values.push(v.value);
      }
      return { ok: true, where: { [name]: { $in: values } } };
    }
    case "contains": {
      if (c.value === "") return { ok: false, error: "Enter a value." };
      if (field.type === "json") {
        try {
          return { ok: true, where: { [name]: { $contains: JSON.parse(c.value) as unknown } } };
        } catch {
          return { ok: false, error: 'Enter JSON the value must contain, e.g. {"status": "open"}.' };
        }
      }
      if (field.type === "[number]") {
        const v = valueOf({ ...field, type: "number" }, c.value);
        return v.ok ? { ok: true, where: { [name]: { $contains: [v.value] } } } : v;
      }
      if (field.type === "[text]") return { ok: true, where: { [name]: { $contains: [c.value] } } };
      return { ok: true, where: { [name]: { $ilike: `%${escapeLike(c.value)}%` } } };
    }
    case "empty":
      // An empty text is as empty as a missing one to the person reading the table.
      return { ok: true, where: TEXTUAL.has(field.type) && !field.enum_values ? { $or: [{ [name]: null }, { [name]: "" }] } : { [name]: null } };
    case "notEmpty":
      return { ok: true, where: TEXTUAL.has(field.type) && !field.enum_values ? { [name]: { $isNull: false, $ne: "" } } : { [name]: { $isNull: false } } };
  }
}

export type CompiledFilter = { ok: true; where: Where | undefined } | { ok: false; errors: Record<number, string> };

/** Every condition joined with AND; errors are keyed by the condition's position. */
export function compileFilter(fields: readonly FieldDef[], conditions: readonly Condition[]): CompiledFilter {
  const parts: Where[] = [];
  const errors: Record<number, string> = {};
  conditions.forEach((c, i) => {
    const field = fields.find((f) => f.name === c.field);
    if (!field) {
      errors[i] = `There is no field "${c.field}".`;
      return;
    }
    const r = compileCondition(field, c);
    if (r.ok) parts.push(r.where);
    else errors[i] = r.error;
  });
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  if (parts.length === 0) return { ok: true, where: undefined };
  return { ok: true, where: parts.length === 1 ? parts[0] : { $and: parts } };
}

/** The condition a server refusal concerns (its message names the field), else undefined. */
export function conditionOfError(message: string, conditions: readonly Condition[]): number | undefined {
  const named = /"([^"]+)"/.exec(message)?.[1];
  if (named === undefined) return undefined;
  const i = conditions.findIndex((c) => c.field === named);
  return i === -1 ? undefined : i;
}

const OPERATORS = new Set(Object.keys(OPERATOR_LABELS));

/** Conditions from the URL's `filter` parameter; anything malformed is dropped rather than crashing the page. */
export function parseConditions(text: string | null): Condition[] {
  if (!text) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((item: unknown): Condition[] => {
    if (typeof item !== "object" || item === null) return [];
    const o = item as Record<string, unknown>;
    if (typeof o.field !== "string" || typeof o.op !== "string" || !OPERATORS.has(o.op)) return [];
    const str = (v: unknown) => (typeof v === "string" ? v : "");
    const list = Array.isArray(o.list) ? o.list.filter((v): v is string => typeof v === "string") : [];
    return [{ field: o.field, op: o.op as Operator, value: str(o.value), to: str(o.to), list }];
  });
}

/** The URL form: only what each operator uses, so a shared link stays short. */
export function serializeConditions(conditions: readonly Condition[]): string | undefined {
  if (conditions.length === 0) return undefined;
  return JSON.stringify(
    conditions.map((c) => ({
      field: c.field,
      op: c.op,
      ...(c.op === "in" ? { list: c.list } : c.op === "empty" || c.op === "notEmpty" ? {} : { value: c.value }),
      ...(c.op === "between" ? { to: c.to } : {}),
    })),
  );
}
