import { arrayLiteral, quoteIdent } from "../apps/model.ts";
import type { FieldType } from "../apps/manifest.ts";
import { FIELD_TYPES } from "../apps/manifest.ts";
import { CoreError } from "../errors.ts";
import type { EntityModel } from "../apps/registry.ts";
import { checkedText, coerceValue, JsonValue, jsonText, type SqlValue } from "./values.ts";

/** Bounds that keep a hostile query from costing more to compile than to refuse. */
export const WHERE_LIMITS = { depth: 32, conditions: 1_000, inValues: 10_000 } as const;

// $ne is IS DISTINCT FROM: a NULL title is "not equal to a" (the original's <> left such rows out).
const COMPARISONS: Record<string, string> = { $eq: "=", $ne: "IS DISTINCT FROM", $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" };
const OPERATORS = new Set([...Object.keys(COMPARISONS), "$like", "$ilike", "$in", "$nin", "$contains", "$isNull"]);
/** Every operator of the where language: field operators, then the logical ones (the property tests try each). */
export const WHERE_OPERATORS: readonly string[] = [...OPERATORS, "$and", "$or", "$not"];

const bad = (message: string): never => {
  throw new CoreError("BAD_REQUEST", message);
};

// An ExactNumber (a body number with more digits than a double) is an object too, but a value, not a condition.
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** Collects the statement's parameters; `$n` placeholders are numbered in the order values are added. */
export class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** The column of an entity by name, or a 400 naming it: names never reach SQL unless they are known columns. */
export function columnOf(entity: EntityModel, name: string): FieldType {
  const type = entity.columns.get(name);
  if (!type) bad(`unknown column "${name.length > 64 ? `${name.slice(0, 64)}…` : name}" for entity ${entity.name}`);
  return type!;
}

/** A coerced value as the text of one parameter: JSON text for json, an array literal for arrays. */
const paramText = (v: Exclude<SqlValue, null>): string | boolean => (v instanceof JsonValue ? v.json : Array.isArray(v) ? arrayLiteral(v) : v);

/** A value cast to the column's type: `$3::double precision`. */
export function typedParam(params: Params, column: string, type: FieldType, v: unknown): string {
  const coerced = coerceValue(column, type, v);
  if (coerced === null) return "NULL";
  return `${params.add(paramText(coerced))}::${FIELD_TYPES[type]}`;
}

/** The where language of spec §2.6 as an SQL condition over the entity's columns. */
export function compileWhere(entity: EntityModel, where: unknown, params: Params): string {
  let conditions = 0;
  const node = (w: unknown, depth: number): string => {
    if (depth > WHERE_LIMITS.depth) bad(`where is nested more than ${WHERE_LIMITS.depth} levels deep`);
    if (!isPlainObject(w)) bad("where must be an object");
    const parts: string[] = [];
    for (const [key, value] of Object.entries(w as Record<string, unknown>)) {
      if (++conditions > WHERE_LIMITS.conditions) bad(`where has more than ${WHERE_LIMITS.conditions} conditions`);
      if (key === "$and" || key === "$or") {
        if (!Array.isArray(value)) bad(`${key} takes an array of conditions`);
        const list = (value as unknown[]).map((v) => node(v, depth + 1));
        parts.push(list.length === 0 ? (key === "$and" ? "TRUE" : "FALSE") : `(${list.join(key === "$and" ? " AND " : " OR ")})`);
      } else if (key === "$not") {
        // IS NOT TRUE, not NOT: a condition that is NULL for a row (a NULL column) is not met, so its negation is.
        parts.push(`(${node(value, depth + 1)}) IS NOT TRUE`);
      } else if (key.startsWith("$")) {
        bad(`unknown operator "${key.slice(0, 40)}"`);
      } else {
        parts.push(field(key, value));
      }
    }
    return parts.length ? parts.join(" AND ") : "TRUE";
  };

  const field = (name: string, value: unknown): string => {
    const type = columnOf(entity, name);
    const col = quoteIdent(name);
    if (value === null) return `${col} IS NULL`;
    if (isPlainObject(value)) {
      const keys = Object.keys(value);
      const ops = keys.filter((k) => k.startsWith("$"));
      if (ops.length === 0) {
        if (type !== "json") bad(`field "${name}" is not a json field; compare it with a value or an operator`);
        return `${col} = ${params.add(jsonText(name, value))}::jsonb`;
      }
      if (ops.length !== keys.length) bad(`field "${name}": operators cannot be mixed with plain keys`);
      return ops.map((op) => operator(name, type, col, op, value[op])).join(" AND ");
    }
    return `${col} = ${typedParam(params, name, type, value)}`;
  };

  const operator = (name: string, type: FieldType, col: string, op: string, v: unknown): string => {
    if (++conditions > WHERE_LIMITS.conditions) bad(`where has more than ${WHERE_LIMITS.conditions} conditions`);
    if (!OPERATORS.has(op)) bad(`unknown operator "${op.slice(0, 40)}"`);
    if (op in COMPARISONS) {
      if (v === null) {
        if (op === "$eq") return `${col} IS NULL`;
        if (op === "$ne") return `${col} IS NOT NULL`;
        bad(`${op} needs a value, not null`);
      }
      return `${col} ${COMPARISONS[op]} ${typedParam(params, name, type, v)}`;
    }
    if (op === "$like" || op === "$ilike") {
      if (typeof v !== "string") bad(`${op} on "${name}" needs a string pattern`);
      return `${col}::text ${op === "$like" ? "LIKE" : "ILIKE"} ${params.add(checkedText(name, "text", v as string))}`;
    }
    if (op === "$isNull") {
      if (typeof v !== "boolean") bad(`$isNull on "${name}" needs true or false`);
      return `${col} IS ${v ? "" : "NOT "}NULL`;
    }
    if (op === "$in" || op === "$nin") {
      if (!Array.isArray(v)) bad(`${op} on "${name}" needs an array`);
      const list = v as unknown[];
      if (list.length > WHERE_LIMITS.inValues) bad(`${op} on "${name}" has more than ${WHERE_LIMITS.inValues} values`);
      if (type.startsWith("[")) bad(`${op} does not apply to the array field "${name}"; use $contains`);
      if (list.length === 0) return op === "$in" ? "FALSE" : "TRUE";
      const values = list.map((x) => {
        if (x === null) bad(`${op} on "${name}" cannot hold null; use $isNull`);
        return paramText(coerceValue(name, type, x)!);
      });
      const any = `${col} = ANY(${params.add(arrayLiteral(values))}::${FIELD_TYPES[type]}[])`;
      // A NULL column is in no list, so $nin keeps it (NOT (NULL = ANY(…))) alone would be NULL, i.e. left out).
      return op === "$in" ? any : `(${col} IS NULL OR NOT ${any})`;
    }
    // $contains: array fields hold every given element; json fields contain the given JSON.
    if (type === "json") return `${col} @> ${params.add(jsonText(name, v))}::jsonb`;
    if (!type.startsWith("[")) bad(`$contains applies to array and json fields, not "${name}"`);
    const elements = Array.isArray(v) ? v : [v];
    return `${col} @> ${typedParam(params, name, type, elements)}`;
  };

  return node(where, 0);
}
