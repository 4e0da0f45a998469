import pg from "pg";
import type { Queryable } from "../db/queryable.ts";
import type { SchemaInfo, TableInfo } from "./schema.ts";

export const SYSTEM_SCHEMA = "rootcx_system";

/** Schemas of PostgreSQL itself and of the Core. Names are case-sensitive in PostgreSQL: `PG_X` is a user schema. */
export function isSystemSchema(name: string): boolean {
  return name === SYSTEM_SCHEMA || name === "information_schema" || name.startsWith("pg_");
}

// Base tables only (plain and partitioned), as information_schema's 'BASE TABLE' counts them. The Core's
// schema first, then public, as the original orders them.
const SCHEMAS_SQL = `
  SELECT n.nspname::text AS schema_name,
         (SELECT count(*)::int FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p')) AS table_count
    FROM pg_catalog.pg_namespace n
   WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND ($1::boolean OR n.nspname <> $2)
   ORDER BY CASE n.nspname WHEN $2 THEN 0 WHEN 'public' THEN 1 ELSE 2 END, n.nspname COLLATE "C"`;

export async function listSchemas(db: Queryable, includeSystem: boolean): Promise<SchemaInfo[]> {
  return (await db.query<SchemaInfo>(SCHEMAS_SQL, [includeSystem, SYSTEM_SCHEMA])).rows;
}

export async function schemaExists(db: Queryable, name: string): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS found", [name]);
  return rows[0]?.found ?? false;
}

// information_schema gives the standard type names (`character varying`, `USER-DEFINED`) the original returns.
const TABLES_SQL = `
  SELECT t.table_name::text AS table_name,
         greatest(coalesce(pc.reltuples, 0), 0)::bigint::float8 AS row_estimate,
         coalesce(json_agg(json_build_object(
             'column_name', c.column_name::text,
             'data_type', c.data_type::text,
             'is_nullable', c.is_nullable = 'YES',
             'column_default', c.column_default::text,
             'ordinal_position', c.ordinal_position::int)
           ORDER BY c.ordinal_position) FILTER (WHERE c.column_name IS NOT NULL), '[]') AS columns
    FROM information_schema.tables t
    JOIN pg_catalog.pg_namespace pn ON pn.nspname = t.table_schema
    LEFT JOIN pg_catalog.pg_class pc ON pc.relnamespace = pn.oid AND pc.relname = t.table_name
    LEFT JOIN information_schema.columns c ON c.table_schema = t.table_schema AND c.table_name = t.table_name
   WHERE t.table_schema = $1 AND t.table_type = 'BASE TABLE'
   GROUP BY t.table_name, pc.reltuples
   ORDER BY t.table_name COLLATE "C"`;

export async function listTables(db: Queryable, schema: string): Promise<TableInfo[]> {
  return (await db.query<TableInfo>(TABLES_SQL, [schema])).rows;
}

/** The caller's own statement failed in PostgreSQL (syntax, permissions, read-only, timeout): its fault, not ours. */
export class StatementError extends Error {
  override name = "StatementError";
  constructor(readonly dbError: pg.DatabaseError) {
    super(dbError.message, { cause: dbError });
  }
}

export interface ReadOnlyRun {
  sql: string;
  /** Searched first, then public; undefined keeps the server's default search_path. */
  schema: string | undefined;
  timeoutMs: number;
  maxRows: number;
  /**
   * Fetch through a cursor (SELECT, WITH, VALUES, TABLE) so that at most maxRows + 1 rows ever leave
   * PostgreSQL; DECLARE accepts nothing else, so EXPLAIN and SHOW, whose output is small, run directly.
   */
  cursor: boolean;
}

export interface RawResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
}

// pg-types turns these into JS Dates (millisecond precision, a timestamp without time zone read in the Core's
// local zone) or Buffers; PostgreSQL's own text is exact, so the console shows that instead.
const KEEP_AS_TEXT = new Set([
  17, 1001, // bytea, bytea[] → \x… hex
  1082, 1182, 1083, 1183, 1114, 1115, 1184, 1185, 1266, 1270, 1186, 1187, // date, time, timestamp(tz), timetz, interval (+ arrays)
]);
const asText = (value: string) => value;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    KEEP_AS_TEXT.has(oid) ? asText : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/** `queryMode: "extended"` (not in @types/pg) makes pg use Parse/Bind/Execute even without parameters. */
interface ExtendedArrayQuery extends pg.QueryArrayConfig {
  queryMode: "extended";
}
// The extended protocol takes exactly one statement: `SELECT 1; DROP TABLE t` fails with 42601 in Parse,
// before anything runs. The caller's text is never sent through the simple protocol.
const extended = (text: string): ExtendedArrayQuery => ({ text, rowMode: "array", queryMode: "extended", types });

/**
 * Runs one statement of the caller's in a READ ONLY transaction: PostgreSQL itself refuses any write
 * (25006), including data-modifying CTEs, nextval() and SELECT … FOR UPDATE, and read-write mode cannot be
 * switched back on once the transaction has run a query. The transaction is always rolled back and the
 * connection is then discarded, so that session state the statement might leave behind (a session advisory
 * lock, say) dies with it instead of going back to the pool.
 */
/**
 * The console's statements run as this role (migration 0008), not as the Core's superuser: READ ONLY does not
 * stop a superuser's file and signal functions. It cannot switch back: set_config is revoked from PUBLIC, and
 * SET/RESET ROLE are statements the single-statement, SELECT-first console never runs.
 */
export const CONSOLE_ROLE = "rootcx_db_reader";

export async function runReadOnly(pool: pg.Pool, run: ReadOnlyRun): Promise<RawResult> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN READ ONLY");
    // set_config(…, true) is SET LOCAL with bound values. Time zone and date style fix the text of time values.
    await client.query(
      `SELECT set_config('statement_timeout', $1, true), set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),
              CASE WHEN $2::text IS NOT NULL THEN set_config('search_path', $2, true) END,
              set_config('role', '${CONSOLE_ROLE}', true)`,
      [String(run.timeoutMs), run.schema === undefined ? null : `${client.escapeIdentifier(run.schema)}, public`],
    );
    let result: pg.QueryArrayResult;
    try {
      if (run.cursor) {
        // One row past the cap says whether there were more, without running the statement to its end.
        await client.query(extended(`DECLARE rootcx_explorer NO SCROLL CURSOR FOR ${run.sql}`));
        result = await client.query(extended(`FETCH ${run.maxRows + 1} FROM rootcx_explorer`));
      } else {
        result = await client.query(extended(run.sql));
      }
    } catch (err) {
      if (err instanceof pg.DatabaseError) throw new StatementError(err);
      throw err;
    }
    return {
      columns: result.fields.map((f) => f.name),
      rows: result.rows.slice(0, run.maxRows),
      truncated: result.rows.length > run.maxRows,
    };
  } finally {
    await client.query("ROLLBACK").catch(() => undefined);
    client.release(true);
  }
}
