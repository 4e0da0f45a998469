import { createHash } from "node:crypto";
import pg from "pg";
import { FIELD_TYPES, SYSTEM_COLUMNS, type EntityContract, type FieldContract, type FieldType, type IndexContract, type Manifest } from "./manifest.ts";

/**
 * The database a manifest asks for, in the terms schema sync compares: tables, columns, foreign keys, indexes
 * and checks, each with a stable name. Built from a manifest that parseManifest() has accepted.
 */

export interface ColumnSpec {
  name: string;
  type: FieldType;
  pgType: string;
  notNull: boolean;
  /** The manifest's default_value; undefined when there is none. */
  defaultValue: unknown;
  enumValues: string[] | undefined;
}

export type DeleteRule = "CASCADE" | "RESTRICT" | "SET NULL";

export interface ForeignKeySpec {
  name: string;
  column: string;
  targetSchema: string;
  targetTable: string;
  onDelete: DeleteRule;
}

export interface IndexSpec {
  name: string;
  kind: "index" | "identity";
  /** The full CREATE INDEX statement; its hash, kept in the index's comment, tells a changed spec apart. */
  create: string;
  hash: string;
  /** For a unique index on plain columns: what existing rows must not share for it to be created. */
  uniqueKey?: { columns: string[]; where?: string };
}

export interface CheckSpec {
  name: string;
  expr: string;
  hash: string;
}

export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  foreignKeys: ForeignKeySpec[];
  indexes: IndexSpec[];
  checks: CheckSpec[];
}

export interface AppModel {
  appId: string;
  tables: TableSpec[];
}

// pg's own quoting, under the names the DDL builders read best with.
export const quoteIdent = pg.escapeIdentifier;
export const quoteLiteral = pg.escapeLiteral;
export const qualified = (schema: string, table: string) => `${quoteIdent(schema)}.${quoteIdent(table)}`;

export function shortHash(text: string, length = 16): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** PostgreSQL truncates names to 63 bytes; long generated names keep a hash so they stay distinct. */
export function objectName(base: string): string {
  return base.length <= 63 ? base : `${base.slice(0, 54)}_${shortHash(base, 8)}`;
}

/** The check that holds a text field to its enum_values. */
export const enumCheckName = (column: string) => objectName(`enum_${column}`);

/** The fields that become columns: declared id, created_at and updated_at are the automatic ones. */
export function userFields(entity: EntityContract): FieldContract[] {
  return entity.fields.filter((f) => !(SYSTEM_COLUMNS as readonly string[]).includes(f.name));
}

export function buildModel(m: Manifest): AppModel {
  return { appId: m.appId, tables: m.dataContract.map((e) => buildTable(m.appId, e)) };
}

function buildTable(appId: string, entity: EntityContract): TableSpec {
  const table = entity.entityName;
  const fields = userFields(entity);
  const columns: ColumnSpec[] = fields.map((f) => ({
    name: f.name,
    type: f.type as FieldType,
    pgType: FIELD_TYPES[f.type as FieldType],
    notNull: f.required === true,
    defaultValue: f.default_value ?? undefined,
    enumValues: f.enum_values,
  }));
  const foreignKeys: ForeignKeySpec[] = [];
  const indexes: IndexSpec[] = [];
  for (const f of fields) {
    if (!f.references) continue;
    const users = f.references.entity === "core:users";
    const target = users ? "users" : f.references.entity;
    const rule = f.on_delete ?? f.onDelete;
    foreignKeys.push({
      name: objectName(`fk_${appId}_${table}_${f.name}_${target}`),
      column: f.name,
      targetSchema: users ? "rootcx_system" : appId,
      targetTable: target,
      onDelete: rule === "cascade" ? "CASCADE" : rule === "restrict" ? "RESTRICT" : rule === "set_null" ? "SET NULL" : f.required ? "RESTRICT" : "SET NULL",
    });
    // Every reference is indexed: deletes on the target and joins would otherwise scan this table.
    indexes.push(indexSpec(appId, table, objectName(`idx_${table}_${f.name}_fk`), "index", { columns: [f.name] }));
  }
  if (entity.identityKind && entity.identityKey) {
    indexes.push(indexSpec(appId, table, objectName(`idx_identity_${table}_${entity.identityKey}`), "identity", { columns: [entity.identityKey] }));
  }
  for (const ix of entity.indexes ?? []) {
    const name = ix.name ?? objectName(`idx_${table}_${ix.columns.map((c) => (typeof c === "string" ? c : c.column ?? "expr")).join("_")}`);
    indexes.push(indexSpec(appId, table, name, "index", ix));
  }
  // The Data API sorts by created_at unless told otherwise: without this index a first page scans the table.
  indexes.push(indexSpec(appId, table, objectName(`idx_${table}_created_at`), "index", { columns: [{ column: "created_at", sort: "desc" }] }));
  const checks: CheckSpec[] = [];
  for (const c of columns) {
    if (!c.enumValues) continue;
    const expr = `${quoteIdent(c.name)} IN (${c.enumValues.map(quoteLiteral).join(", ")})`;
    checks.push({ name: enumCheckName(c.name), expr, hash: shortHash(expr) });
  }
  for (const c of entity.checks ?? []) {
    checks.push({ name: c.name ?? objectName(`check_${shortHash(c.expr, 12)}`), expr: c.expr, hash: shortHash(c.expr) });
  }
  return { name: table, columns, foreignKeys, indexes: dedupeByName(indexes), checks: dedupeByName(checks) };
}

function dedupeByName<T extends { name: string }>(items: T[]): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(item.name)) seen.set(item.name, item);
  return [...seen.values()];
}

function indexSpec(appId: string, table: string, name: string, kind: IndexSpec["kind"], ix: Pick<IndexContract, "columns"> & Partial<IndexContract>): IndexSpec {
  const parts = ix.columns.map((c) => {
    if (typeof c === "string") return quoteIdent(c);
    let part = c.column !== undefined ? quoteIdent(c.column) : `(${c.expr})`;
    if (c.ops) part += ` ${quoteIdent(c.ops)}`;
    if (c.sort) part += ` ${c.sort.toUpperCase()}`;
    if (c.nulls) part += ` NULLS ${c.nulls.toUpperCase()}`;
    return part;
  });
  const withClause = ix.with && Object.keys(ix.with).length
    ? ` WITH (${Object.entries(ix.with).map(([k, v]) => `${k} = ${typeof v === "string" ? quoteLiteral(v) : String(v)}`).join(", ")})`
    : "";
  const create = `CREATE ${ix.unique ? "UNIQUE " : ""}INDEX ${quoteIdent(name)} ON ${qualified(appId, table)} USING ${ix.using ?? "btree"} (${parts.join(", ")})${withClause}${ix.where ? ` WHERE (${ix.where})` : ""}`;
  const plain = ix.columns.flatMap((c) => (typeof c === "string" ? [c] : c.column !== undefined && c.expr === undefined ? [c.column] : []));
  const uniqueKey = ix.unique && plain.length === ix.columns.length ? { columns: plain, ...(ix.where ? { where: ix.where } : {}) } : undefined;
  return { name, kind, create, hash: shortHash(create), ...(uniqueKey ? { uniqueKey } : {}) };
}

/** A default_value as the SQL expression PostgreSQL stores for it. */
export function renderDefault(column: ColumnSpec): string {
  const v = column.defaultValue;
  switch (column.type) {
    case "boolean":
      return v ? "true" : "false";
    case "json":
      return `${quoteLiteral(JSON.stringify(v))}::jsonb`;
    case "[text]":
    case "[number]":
      return `${quoteLiteral(arrayLiteral(v as unknown[]))}::${column.pgType}`;
    default:
      return `${quoteLiteral(String(v))}::${column.pgType}`;
  }
}

/** A PostgreSQL array literal: every element double-quoted, with " and \ escaped. */
export function arrayLiteral(values: readonly unknown[]): string {
  return `{${values.map((x) => `"${String(x).replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(",")}}`;
}
