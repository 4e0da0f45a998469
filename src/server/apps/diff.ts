import pg from "pg";
import type { ActualColumn, ActualSchema, ActualTable } from "./introspect.ts";
import { conversion } from "./conversions.ts";
import { arrayLiteral, type AppModel, type ColumnSpec, enumCheckName, qualified, quoteIdent, quoteLiteral, renderDefault, type TableSpec } from "./model.ts";

export type ChangeType =
  | "create_schema" | "create_table" | "drop_table" | "add_column" | "drop_column" | "alter_type" | "set_not_null" | "drop_not_null"
  | "set_default" | "drop_default" | "add_foreign_key" | "drop_foreign_key" | "alter_fk_delete_rule" | "add_index" | "replace_index"
  | "drop_index" | "add_check" | "replace_check" | "drop_check" | "add_identity_index" | "drop_identity_index";

/**
 * The order statements run in, whatever change they belong to: constraints that could block a column change
 * go first, constraints that need the new columns go last.
 */
const enum Phase {
  CreateSchema = 0,
  CreateTables = 1,
  DropConstraints = 2,
  DropTables = 3,
  Columns = 4,
  /** Values the new constraints would refuse, replaced once the install has accepted losing them. */
  RepairValues = 5,
  AddConstraints = 6,
}

/**
 * The rows of the table as it is now that a change would touch: `loss` rows lose or alter a value when it is
 * applied; `blocking` rows make it fail whatever the request accepts (NULLs under a new NOT NULL, duplicates
 * under a new unique index). Expressions name the table's columns unqualified.
 */
export interface Probe {
  kind: "loss" | "blocking";
  table: string;
  where: string;
  /** What the sample shows of each row, as text; the row's id alone when absent. */
  value?: string;
  /** For conversions: what the value becomes. */
  becomes?: string;
  /** Why the rows matter, for the refusal's message. */
  reason: string;
}

export interface SchemaChange {
  entity: string;
  change_type: ChangeType;
  column: string | null;
  detail: string;
  statements: { phase: Phase; sql: string }[];
  probe?: Probe;
}

/** Public form: what /apps/schema/verify answers (spec §2.5). */
export type ChangeDto = Omit<SchemaChange, "statements" | "probe">;
export const toDto = (c: SchemaChange): ChangeDto => ({ entity: c.entity, change_type: c.change_type, column: c.column, detail: c.detail });

export function diffSchema(model: AppModel, actual: ActualSchema): SchemaChange[] {
  const schema = model.appId;
  const changes: SchemaChange[] = [];
  if (!actual.exists) {
    changes.push({ entity: "", change_type: "create_schema", column: null, detail: `create schema ${schema}`, statements: [{ phase: Phase.CreateSchema, sql: `CREATE SCHEMA ${quoteIdent(schema)}` }] });
  }
  for (const table of model.tables) {
    const existing = actual.tables.get(table.name);
    if (existing) diffTable(schema, table, existing, changes);
    else createTable(schema, table, changes);
  }
  const wanted = new Set(model.tables.map((t) => t.name));
  for (const name of actual.tables.keys()) {
    if (wanted.has(name)) continue;
    changes.push({
      entity: name,
      change_type: "drop_table",
      column: null,
      detail: `drop table ${name} and its rows`,
      statements: [{ phase: Phase.DropTables, sql: `DROP TABLE ${qualified(schema, name)}` }],
      probe: { kind: "loss", table: qualified(schema, name), where: "true", value: `to_jsonb(${PROBE_ROW})::text`, reason: "rows would be deleted" },
    });
  }
  return changes;
}

/** The alias a probe gives its table: a quoted name no manifest identifier can take. */
export const PROBE_ROW = '"probe row"';

function columnDefinition(c: ColumnSpec): string {
  return `${quoteIdent(c.name)} ${c.pgType}${c.defaultValue !== undefined && c.defaultValue !== null ? ` DEFAULT ${renderDefault(c)}` : ""}${c.notNull ? " NOT NULL" : ""}`;
}

function createTable(schema: string, table: TableSpec, changes: SchemaChange[]): void {
  const columns = [
    "id uuid PRIMARY KEY DEFAULT gen_random_uuid()",
    "created_at timestamp with time zone NOT NULL DEFAULT now()",
    "updated_at timestamp with time zone NOT NULL DEFAULT now()",
    ...table.columns.map(columnDefinition),
  ];
  changes.push({
    entity: table.name,
    change_type: "create_table",
    column: null,
    detail: `create table ${table.name} (${table.columns.length} field${table.columns.length === 1 ? "" : "s"})`,
    statements: [{ phase: Phase.CreateTables, sql: `CREATE TABLE ${qualified(schema, table.name)} (${columns.join(", ")})` }],
  });
  for (const fk of table.foreignKeys) changes.push(addForeignKey(schema, table.name, fk));
  for (const ix of table.indexes) changes.push(addIndex(schema, table.name, ix));
  for (const ck of table.checks) changes.push(addCheck(schema, table.name, ck));
}

function addForeignKey(schema: string, table: string, fk: TableSpec["foreignKeys"][number], type: ChangeType = "add_foreign_key"): SchemaChange {
  return {
    entity: table,
    change_type: type,
    column: fk.column,
    detail: `${fk.column} → ${fk.targetSchema === "rootcx_system" ? "core:users" : fk.targetTable} ON DELETE ${fk.onDelete}`,
    statements: [{
      phase: Phase.AddConstraints,
      sql: `ALTER TABLE ${qualified(schema, table)} ADD CONSTRAINT ${quoteIdent(fk.name)} FOREIGN KEY (${quoteIdent(fk.column)}) REFERENCES ${qualified(fk.targetSchema, fk.targetTable)} (id) ON DELETE ${fk.onDelete}`,
    }],
  };
}

function addIndex(schema: string, table: string, ix: TableSpec["indexes"][number], type?: ChangeType): SchemaChange {
  return {
    entity: table,
    change_type: type ?? (ix.kind === "identity" ? "add_identity_index" : "add_index"),
    column: null,
    detail: ix.name,
    statements: [
      { phase: Phase.AddConstraints, sql: ix.create },
      { phase: Phase.AddConstraints, sql: `COMMENT ON INDEX ${qualified(schema, ix.name)} IS ${quoteLiteral(`rootcx:${ix.hash}`)}` },
    ],
  };
}

function addCheck(schema: string, table: string, ck: TableSpec["checks"][number], type: ChangeType = "add_check"): SchemaChange {
  return {
    entity: table,
    change_type: type,
    column: null,
    detail: `${ck.name}: ${ck.expr}`,
    statements: [
      { phase: Phase.AddConstraints, sql: `ALTER TABLE ${qualified(schema, table)} ADD CONSTRAINT ${quoteIdent(ck.name)} CHECK (${ck.expr})` },
      { phase: Phase.AddConstraints, sql: `COMMENT ON CONSTRAINT ${quoteIdent(ck.name)} ON ${qualified(schema, table)} IS ${quoteLiteral(`rootcx:${ck.hash}`)}` },
    ],
  };
}

function diffTable(schema: string, table: TableSpec, actual: ActualTable, changes: SchemaChange[]): void {
  const t = qualified(schema, table.name);
  const alter = (sql: string) => ({ phase: Phase.Columns, sql: `ALTER TABLE ${t} ${sql}` });
  const wanted = new Map(table.columns.map((c) => [c.name, c]));

  // Constraints first: what is gone or changed is dropped before columns change under it.
  for (const [name, fk] of actual.foreignKeys) {
    const want = table.foreignKeys.find((f) => f.name === name);
    const drop = { phase: Phase.DropConstraints, sql: `ALTER TABLE ${t} DROP CONSTRAINT ${quoteIdent(name)}` };
    if (!want) {
      changes.push({ entity: table.name, change_type: "drop_foreign_key", column: fk.column, detail: name, statements: [drop] });
    } else if (want.onDelete !== fk.onDelete || want.column !== fk.column || want.targetTable !== fk.targetTable || want.targetSchema !== fk.targetSchema) {
      const add = withReferenceProbe(t, want, addForeignKey(schema, table.name, want, "alter_fk_delete_rule"));
      changes.push({ ...add, detail: `${fk.onDelete} → ${want.onDelete}`, statements: [drop, ...add.statements] });
    }
  }
  for (const fk of table.foreignKeys) if (!actual.foreignKeys.has(fk.name)) changes.push(withReferenceProbe(t, fk, addForeignKey(schema, table.name, fk)));

  for (const [name, ix] of actual.indexes) {
    const want = table.indexes.find((i) => i.name === name);
    const drop = { phase: Phase.DropConstraints, sql: `DROP INDEX ${qualified(schema, name)}` };
    if (!want) {
      changes.push({ entity: table.name, change_type: name.startsWith("idx_identity_") ? "drop_identity_index" : "drop_index", column: null, detail: name, statements: [drop] });
    } else if (want.hash !== ix.hash) {
      const add = withUniqueProbe(t, want, addIndex(schema, table.name, want, "replace_index"));
      changes.push({ ...add, statements: [drop, ...add.statements] });
    }
  }
  for (const ix of table.indexes) if (!actual.indexes.has(ix.name)) changes.push(withUniqueProbe(t, ix, addIndex(schema, table.name, ix)));

  for (const [name, ck] of actual.checks) {
    const want = table.checks.find((c) => c.name === name);
    const drop = { phase: Phase.DropConstraints, sql: `ALTER TABLE ${t} DROP CONSTRAINT ${quoteIdent(name)}` };
    if (!want) changes.push({ entity: table.name, change_type: "drop_check", column: null, detail: name, statements: [drop] });
    else if (want.hash !== ck.hash) {
      const add = checkWithProbe(schema, table, actual, want, "replace_check");
      changes.push({ ...add, statements: [drop, ...add.statements] });
    }
  }
  for (const ck of table.checks) if (!actual.checks.has(ck.name)) changes.push(checkWithProbe(schema, table, actual, ck, "add_check"));

  for (const col of actual.columns.values()) {
    if (col.name === "id" || col.name === "created_at" || col.name === "updated_at" || wanted.has(col.name)) continue;
    const c = quoteIdent(col.name);
    changes.push({
      entity: table.name,
      change_type: "drop_column",
      column: col.name,
      detail: `drop ${col.name} (${col.pgType}) and its values`,
      statements: [alter(`DROP COLUMN ${c}`)],
      probe: { kind: "loss", table: t, where: `${c} IS NOT NULL`, value: `${c}::text`, reason: "rows hold a value in it" },
    });
  }
  for (const want of table.columns) {
    const have = actual.columns.get(want.name);
    if (!have) {
      const noDefault = want.notNull && (want.defaultValue === undefined || want.defaultValue === null);
      changes.push({
        entity: table.name,
        change_type: "add_column",
        column: want.name,
        detail: `${want.name} ${want.pgType}${want.notNull ? " NOT NULL" : ""}`,
        statements: [alter(`ADD COLUMN ${columnDefinition(want)}`)],
        ...(noDefault ? { probe: { kind: "blocking" as const, table: t, where: "true", reason: "rows exist and the required field has no default_value" } } : {}),
      });
      continue;
    }
    diffColumn(t, table.name, want, have, alter, changes);
  }
}

function diffColumn(t: string, entity: string, want: ColumnSpec, have: ActualColumn, alter: (sql: string) => { phase: Phase; sql: string }, changes: SchemaChange[]): void {
  const col = quoteIdent(want.name);
  const wantsDefault = want.defaultValue !== undefined && want.defaultValue !== null;
  if (have.pgType !== want.pgType) {
    // The old default may not cast to the new type; it is dropped first and the wanted one set after.
    const conv = conversion(col, have.pgType, want.pgType);
    changes.push({
      entity,
      change_type: "alter_type",
      column: want.name,
      detail: `${have.pgType} → ${want.pgType}`,
      statements: [
        ...(have.defaultExpr !== null ? [alter(`ALTER COLUMN ${col} DROP DEFAULT`)] : []),
        alter(`ALTER COLUMN ${col} TYPE ${want.pgType} USING ${conv.using}`),
        ...(wantsDefault ? [alter(`ALTER COLUMN ${col} SET DEFAULT ${renderDefault(want)}`)] : []),
      ],
      ...(conv.lossy ? { probe: { kind: "loss" as const, table: t, where: conv.lossy, value: `${col}::text`, becomes: `(${conv.using})::text`, reason: "rows hold a value the new type cannot keep as it is" } } : {}),
    });
  } else if (!wantsDefault && have.defaultExpr !== null) {
    changes.push({ entity, change_type: "drop_default", column: want.name, detail: `was ${have.defaultExpr}`, statements: [alter(`ALTER COLUMN ${col} DROP DEFAULT`)] });
  } else if (wantsDefault && !sameDefault(want, have.defaultExpr)) {
    changes.push({ entity, change_type: "set_default", column: want.name, detail: renderDefault(want), statements: [alter(`ALTER COLUMN ${col} SET DEFAULT ${renderDefault(want)}`)] });
  }
  if (want.notNull && !have.notNull) {
    changes.push({
      entity,
      change_type: "set_not_null",
      column: want.name,
      detail: "required",
      statements: [alter(`ALTER COLUMN ${col} SET NOT NULL`)],
      probe: { kind: "blocking", table: t, where: `${col} IS NULL`, reason: "rows hold NULL in the newly required field" },
    });
  }
  if (!want.notNull && have.notNull) changes.push({ entity, change_type: "drop_not_null", column: want.name, detail: "optional", statements: [alter(`ALTER COLUMN ${col} DROP NOT NULL`)] });
}

/**
 * An enum check on a column that exists now: rows holding a value the new list drops lose it (it becomes the
 * default, or NULL) once the install accepts that; a required field without a default cannot take either.
 * Any other check cannot repair rows, so rows it would refuse block it.
 */
function checkWithProbe(schema: string, table: TableSpec, actual: ActualTable, ck: TableSpec["checks"][number], type: ChangeType): SchemaChange {
  const change = addCheck(schema, table.name, ck, type);
  const t = qualified(schema, table.name);
  const column = table.columns.find((c) => c.enumValues && ck.name === enumCheckName(c.name));
  if (!column) return { ...change, probe: { kind: "blocking", table: t, where: `(${ck.expr}) IS FALSE`, reason: "rows violate the check" } };
  if (!actual.columns.has(column.name)) return change;
  const col = quoteIdent(column.name);
  const outside = `${col} IS NOT NULL AND ${col}::text NOT IN (${column.enumValues!.map(quoteLiteral).join(", ")})`;
  const hasDefault = column.defaultValue !== undefined && column.defaultValue !== null;
  if (column.notNull && !hasDefault) {
    return { ...change, probe: { kind: "blocking", table: t, where: outside, value: `${col}::text`, reason: "rows hold a value no longer in enum_values, and the required field has no default_value to take instead" } };
  }
  const replacement = hasDefault ? renderDefault(column) : "NULL";
  return {
    ...change,
    statements: [...change.statements, { phase: Phase.RepairValues, sql: `UPDATE ${t} SET ${col} = ${replacement} WHERE ${outside}` }],
    probe: { kind: "loss", table: t, where: outside, value: `${col}::text`, becomes: `${replacement}::text`, reason: "rows hold a value no longer in enum_values" },
  };
}

/** Rows whose reference a new foreign key would refuse: it names no record of the target. */
function withReferenceProbe(t: string, fk: TableSpec["foreignKeys"][number], change: SchemaChange): SchemaChange {
  const col = quoteIdent(fk.column);
  const target = '"probe target"';
  const where = `${col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${qualified(fk.targetSchema, fk.targetTable)} AS ${target} WHERE ${target}.id = ${col})`;
  return { ...change, probe: { kind: "blocking", table: t, where, value: `${col}::text`, reason: "rows reference records that do not exist" } };
}

/** Rows sharing a key a new unique index forbids to share (NULLs never clash in a unique index). */
function withUniqueProbe(t: string, ix: TableSpec["indexes"][number], change: SchemaChange): SchemaChange {
  return ix.uniqueKey ? { ...change, probe: duplicateProbe(t, ix.uniqueKey) } : change;
}

function duplicateProbe(t: string, key: NonNullable<TableSpec["indexes"][number]["uniqueKey"]>): Probe {
  const cols = key.columns.map(quoteIdent).join(", ");
  const present = [...key.columns.map((c) => `${quoteIdent(c)} IS NOT NULL`), ...(key.where ? [`(${key.where})`] : [])].join(" AND ");
  return {
    kind: "blocking",
    table: t,
    where: `${present} AND (${cols}) IN (SELECT ${cols} FROM ${t} WHERE ${present} GROUP BY ${cols} HAVING count(*) > 1)`,
    value: `concat_ws(', ', ${cols})`,
    reason: "rows share a value the new unique index forbids",
  };
}

// pg's own text[] parser (pg-types declares no name for OID 1009).
const TEXT_ARRAY_OID = 1009 as Parameters<typeof pg.types.getTypeParser>[0];
const LITERAL_DEFAULT = /^'((?:[^']|'')*)'::(.+)$/s;

/**
 * Whether the default PostgreSQL stores is the manifest's: compared by value, because the catalog prints its
 * own normal form ('5'::double precision, {"a": 1}, 2024-01-01 00:00:00+00).
 */
export function sameDefault(want: ColumnSpec, stored: string | null): boolean {
  if (stored === null) return false;
  const v = want.defaultValue;
  if (want.type === "boolean") return stored === String(v);
  const m = LITERAL_DEFAULT.exec(stored);
  if (!m) return false;
  const text = m[1]!.replace(/''/g, "'");
  switch (want.type) {
    case "number":
      return Number(text) === v;
    case "timestamp":
      return Date.parse(text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00")) === Date.parse(String(v));
    case "json":
      try {
        return canonical(JSON.parse(text)) === canonical(v);
      } catch {
        return false;
      }
    case "[text]":
    case "[number]": {
      const parsed = pg.types.getTypeParser(TEXT_ARRAY_OID)(text) as unknown as string[];
      return arrayLiteral(parsed) === arrayLiteral((v as unknown[]).map((x) => (want.type === "[number]" ? String(Number(x)) : String(x))));
    }
    default:
      return text === String(v);
  }
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  return JSON.stringify(v);
}

/** Every statement of the changes, in the order they must run. */
export function orderedStatements(changes: SchemaChange[]): { change: SchemaChange; sql: string }[] {
  return changes
    .flatMap((change) => change.statements.map((s) => ({ change, sql: s.sql, phase: s.phase })))
    .sort((a, b) => a.phase - b.phase)
    .map(({ change, sql }) => ({ change, sql }));
}
