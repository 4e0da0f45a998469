import pg from "pg";
import type { Queryable } from "../db/queryable.ts";
import { MessageSizeGuard } from "./guard.ts";
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

/**
 * The caller's own statement failed in PostgreSQL (syntax, permissions, read-only, timeout): its fault, not ours.
 * `offset`: characters the Core sent before the caller's text, which PostgreSQL's error position counts.
 */
export class StatementError extends Error {
  override name = "StatementError";
  constructor(readonly dbError: pg.DatabaseError, readonly offset: number) {
    super(dbError.message, { cause: dbError });
  }
}

/** What the caller's statement is wrapped in when read through a cursor. */
export const CURSOR_PREFIX = "DECLARE rootcx_explorer NO SCROLL CURSOR FOR ";

export interface ReadOnlyRun {
  sql: string;
  /** Searched first, then public; undefined keeps the server's default search_path. */
  schema: string | undefined;
  timeoutMs: number;
  maxRows: number;
  /** Wire bytes of result rows the Core reads at most; no single message (an error, say) may exceed it either. */
  maxBytes: number;
  /** Temporary files the statement may write (sorts and hashes that spill to disk). */
  tempFileLimit: string;
  /**
   * Fetch through a cursor (SELECT, WITH, VALUES, TABLE) so that at most maxRows + 1 rows ever leave
   * PostgreSQL; DECLARE accepts nothing else, so EXPLAIN and SHOW run directly (under the same byte guard).
   */
  cursor: boolean;
}

export interface RawResult {
  columns: string[];
  rows: unknown[][];
  /** Why rows are missing: more than maxRows, or the rows passed maxBytes. */
  truncated: "rows" | "bytes" | null;
}

/** PostgreSQL's answer to the statement holds a message larger than the Core reads (an error quoting a huge value). */
export class OutputTooLargeError extends Error {
  override name = "OutputTooLargeError";
  constructor(readonly bytes: number, readonly maxBytes: number) {
    super(`PostgreSQL's answer to this statement holds a message of ${bytes} bytes, over the console's ${maxBytes}-byte limit; it was not read`);
  }
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
 * The console's statements run as this role (migration 0008), not as the Core's superuser: READ ONLY does not
 * stop a superuser's file and signal functions. It cannot switch back: set_config is revoked from PUBLIC, and
 * SET/RESET ROLE are statements the single-statement, SELECT-first console never runs.
 */
export const CONSOLE_ROLE = "rootcx_db_reader";

interface Collected {
  fields: string[] | undefined;
  rows: unknown[][];
  error: unknown;
}

/** Runs one query and keeps the rows that arrived even if it then fails (the guard closing the connection). */
function collect(client: pg.PoolClient, config: ExtendedArrayQuery): Promise<Collected> {
  return new Promise((resolve) => {
    const got: Collected = { fields: undefined, rows: [], error: undefined };
    const query = new pg.Query<unknown[]>(config);
    query.on("row", (row: unknown[], result?: pg.QueryResult) => {
      got.fields ??= result?.fields.map((f) => f.name);
      got.rows.push(row);
    });
    query.on("end", (result: pg.QueryResult) => {
      got.fields = result.fields.map((f) => f.name);
      resolve(got);
    });
    query.on("error", (error: Error) => resolve({ ...got, error }));
    void client.query(query);
  });
}

/**
 * Runs one statement of the caller's in a READ ONLY transaction: PostgreSQL itself refuses any write
 * (25006), including data-modifying CTEs, nextval() and SELECT … FOR UPDATE, and read-write mode cannot be
 * switched back on once the transaction has run a query. The transaction is always rolled back and the
 * connection is then discarded, so that session state the statement might leave behind (a session advisory
 * lock, say) dies with it instead of going back to the pool.
 *
 * A guard on the connection reads at most maxBytes of rows: past that it closes the connection and the
 * answer keeps the rows before, so no statement's output can exhaust the Core's memory or its string limit.
 */
export async function runReadOnly(pool: pg.Pool, read: ReadOnlyRun): Promise<RawResult> {
  const client = await pool.connect();
  // When the guard closes the connection, pg reports it on the client as well as on the query.
  client.on("error", () => undefined);
  let guard: MessageSizeGuard | undefined;
  const fail = (err: unknown): never => {
    if (guard?.trip?.kind === "message") throw new OutputTooLargeError(guard.trip.bytes, read.maxBytes);
    if (err instanceof pg.DatabaseError) throw new StatementError(err, read.cursor ? CURSOR_PREFIX.length : 0);
    throw err;
  };
  try {
    guard = new MessageSizeGuard(client, read.maxBytes);
    await client.query("BEGIN READ ONLY");
    // set_config(…, true) is SET LOCAL with bound values. Time zone and date style fix the text of time values.
    // temp_file_limit is a superuser setting: the Core's role is one (checked at boot), the console's is not.
    await client.query(
      `SELECT set_config('statement_timeout', $1, true), set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),
              CASE WHEN $2::text IS NOT NULL THEN set_config('search_path', $2, true) END,
              set_config('temp_file_limit', $3, true),
              set_config('role', '${CONSOLE_ROLE}', true)`,
      [String(read.timeoutMs), read.schema === undefined ? null : `${client.escapeIdentifier(read.schema)}, public`, read.tempFileLimit],
    );
    let fields: string[] | undefined;
    if (read.cursor) {
      await client.query(extended(`${CURSOR_PREFIX}${read.sql}`)).catch(fail);
      // FETCH 0 returns no row but the columns, which a first row too large to read would otherwise take with it.
      fields = (await client.query(extended("FETCH 0 FROM rootcx_explorer")).catch(fail)).fields.map((f) => f.name);
    }
    guard.resetRows();
    // One row past the cap says whether there were more, without running the statement to its end.
    const got = await collect(client, extended(read.cursor ? `FETCH ${read.maxRows + 1} FROM rootcx_explorer` : read.sql));
    const columns = fields ?? got.fields ?? [];
    if (got.error !== undefined) {
      if (guard.trip?.kind !== "bytes") fail(got.error);
      return { columns, rows: got.rows.slice(0, Math.min(guard.rowsAdmitted, read.maxRows)), truncated: "bytes" };
    }
    return { columns, rows: got.rows.slice(0, read.maxRows), truncated: got.rows.length > read.maxRows ? "rows" : null };
  } finally {
    guard?.detach();
    await client.query("ROLLBACK").catch(() => undefined);
    client.release(true);
  }
}
