import type { Queryable } from "../db/queryable.ts";
import type { DeleteRule } from "./model.ts";

/** What an app's schema holds now, read from the catalog: the other side of schema sync's comparison. */

export interface ActualColumn {
  name: string;
  pgType: string;
  notNull: boolean;
  defaultExpr: string | null;
}

type ActualRule = DeleteRule | "NO ACTION" | "SET DEFAULT";

export interface ActualTable {
  name: string;
  columns: Map<string, ActualColumn>;
  foreignKeys: Map<string, { column: string; targetSchema: string; targetTable: string; onDelete: ActualRule }>;
  /** Indexes the Core created (their comment carries the spec's hash); others are left alone. */
  indexes: Map<string, { hash: string }>;
  checks: Map<string, { hash: string }>;
}

export interface ActualSchema {
  exists: boolean;
  tables: Map<string, ActualTable>;
}

const RULES: Record<string, ActualRule> = {
  a: "NO ACTION",
  r: "RESTRICT",
  c: "CASCADE",
  n: "SET NULL",
  d: "SET DEFAULT",
};

const MANAGED = /^rootcx:([0-9a-f]+)$/;

// One statement: the whole schema as JSON, so a verify or a no-change install costs a single round trip.
const INTROSPECT_SQL = `
WITH t AS (
  SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
    -- Only the entities' tables (each is governed: it carries the select policy). Tables an app's deploy
    -- migrations made (schema_migrations among them) are the app's own business: sync never drops or alters them.
    AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'rootcx_rls_select')
)
SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS exists,
  COALESCE((SELECT json_agg(json_build_object(
    'name', t.relname,
    'columns', (SELECT COALESCE(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                  'notNull', a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid)) ORDER BY a.attnum), '[]')
                FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped),
    'constraints', (SELECT COALESCE(json_agg(json_build_object('name', k.conname, 'kind', k.contype, 'rule', k.confdeltype,
                  'column', (SELECT attname FROM pg_attribute WHERE attrelid = k.conrelid AND attnum = k.conkey[1]),
                  'targetSchema', fn.nspname, 'targetTable', fc.relname, 'comment', obj_description(k.oid, 'pg_constraint'))), '[]')
                FROM pg_constraint k LEFT JOIN pg_class fc ON fc.oid = k.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
                WHERE k.conrelid = t.oid AND k.contype IN ('f', 'c')),
    'indexes', (SELECT COALESCE(json_agg(json_build_object('name', i.relname, 'comment', obj_description(i.oid, 'pg_class'))), '[]')
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                WHERE x.indrelid = t.oid AND NOT x.indisprimary)
  )) FROM t), '[]') AS tables`;

interface RawTable {
  name: string;
  columns: { name: string; type: string; notNull: boolean; default: string | null }[];
  constraints: { name: string; kind: "f" | "c"; rule: string; column: string | null; targetSchema: string | null; targetTable: string | null; comment: string | null }[];
  indexes: { name: string; comment: string | null }[];
}

export async function introspectSchema(db: Queryable, schema: string): Promise<ActualSchema> {
  const { rows } = await db.query<{ exists: boolean; tables: RawTable[] }>(INTROSPECT_SQL, [schema]);
  const row = rows[0]!;
  const tables = new Map<string, ActualTable>();
  for (const raw of row.tables) {
    const table: ActualTable = { name: raw.name, columns: new Map(), foreignKeys: new Map(), indexes: new Map(), checks: new Map() };
    for (const c of raw.columns) table.columns.set(c.name, { name: c.name, pgType: c.type, notNull: c.notNull, defaultExpr: c.default });
    for (const k of raw.constraints) {
      if (k.kind === "f") {
        table.foreignKeys.set(k.name, { column: k.column ?? "", targetSchema: k.targetSchema ?? "", targetTable: k.targetTable ?? "", onDelete: RULES[k.rule] ?? "NO ACTION" });
        continue;
      }
      const managed = MANAGED.exec(k.comment ?? "");
      if (managed) table.checks.set(k.name, { hash: managed[1]! });
    }
    for (const ix of raw.indexes) {
      const managed = MANAGED.exec(ix.comment ?? "");
      if (managed) table.indexes.set(ix.name, { hash: managed[1]! });
    }
    tables.set(raw.name, table);
  }
  return { exists: row.exists, tables };
}
