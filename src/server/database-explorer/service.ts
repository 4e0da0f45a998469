import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError, badRequest, notFound } from "../errors.ts";
import { requirePermission } from "../governance/authorize.ts";
import { holdsPermission } from "../governance/permissions.ts";
import type { QueryResult, SchemaInfo, TableInfo } from "./schema.ts";
import { codePointsBefore, REFUSED_COMMANDS, refusedCommand, statementError } from "./console-errors.ts";
import * as sql from "./sql.ts";

export const DB_QUERY = "admin:db.query";
/** PostgreSQL cancels a console statement after this long (the original's 120 s). */
export const QUERY_TIMEOUT_MS = 120_000;
export const MAX_ROWS = 500;
/**
 * Bytes of result rows (as PostgreSQL sends them) the console reads at most; an answer that passes it keeps
 * the rows before and says so. It also bounds any single message, so a 540 MB cell or error never reaches the
 * driver, whose decoding of it would end the process.
 */
export const MAX_RESULT_BYTES = 8 * 1024 * 1024;
/** Sorts and hashes that spill to disk stop here rather than filling it for the two minutes of the timeout. */
export const TEMP_FILE_LIMIT = "1GB";
/**
 * Console statements hold a connection of the Core's pool for up to the timeout; a few at a time leave the
 * rest of the pool to the API.
 */
export const MAX_CONCURRENT_QUERIES = 4;

const DIRECT_KEYWORDS = new Set(["EXPLAIN", "SHOW"]);
const running = new WeakMap<Core, number>();

async function mayQuery(core: Core, p: Principal): Promise<boolean> {
  return holdsPermission(await core.auth.principals.permissions(p.userId), DB_QUERY);
}

/** Every user schema with its number of tables; the Core's own schema only for holders of admin:db.query. */
export async function listSchemas(core: Core, p: Principal): Promise<SchemaInfo[]> {
  return sql.listSchemas(core.db.pool, await mayQuery(core, p));
}

export async function listTables(core: Core, p: Principal, schema: string): Promise<TableInfo[]> {
  // Checked before existence, so that a caller without the permission learns nothing about system schemas.
  if (sql.isSystemSchema(schema)) await requirePermission(core, p, DB_QUERY);
  if (!(await sql.schemaExists(core.db.pool, schema))) throw notFound(`schema ${schema} not found`);
  const tables = await sql.listTables(core.db.pool, schema);
  // The planner's row estimate is a fact about the rows: only for callers who may read them (an app's table
  // through app:{schema}:{table}.read, as its row-level security asks) or who query the database anyway.
  const held = await core.auth.principals.permissions(p.userId);
  if (holdsPermission(held, DB_QUERY)) return tables;
  return tables.map(({ row_estimate, ...table }) =>
    holdsPermission(held, `app:${schema}:${table.table_name}.read`) ? { ...table, row_estimate } : table,
  );
}

/**
 * Where the statement's first word starts (a UTF-16 index), past whitespace, comments (nested block comments
 * too, as PostgreSQL reads them) and opening parentheses; the text's length when there is none.
 */
function firstTokenAt(text: string): number {
  let i = 0;
  for (;;) {
    while (i < text.length && (/\s/.test(text[i]!) || text[i] === "(")) i++;
    if (text.startsWith("--", i)) {
      const eol = text.indexOf("\n", i);
      i = eol === -1 ? text.length : eol + 1;
    } else if (text.startsWith("/*", i)) {
      let depth = 1;
      i += 2;
      while (depth > 0 && i < text.length) {
        const two = text.slice(i, i + 2);
        depth += two === "/*" ? 1 : two === "*/" ? -1 : 0;
        i += two === "/*" || two === "*/" ? 2 : 1;
      }
    } else {
      return i;
    }
  }
}

/**
 * The statement's first keyword. This only gives an early, readable refusal: the READ ONLY transaction is
 * what actually stops writes, whatever the text looks like.
 */
export function leadingKeyword(text: string): string {
  return /^[A-Za-z]+/.exec(text.slice(firstTokenAt(text)))?.[0]?.toUpperCase() ?? "";
}

/** JSON that reads the same on every run: no Dates, Buffers, bigints or non-finite numbers (JSON would turn those into null). */
function toJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJson);
  if (Buffer.isBuffer(value)) return `\\x${value.toString("hex")}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return value ?? null;
}

/**
 * Runs one read-only statement for an administrator. Its failures (syntax, unknown table, a write refused by
 * the READ ONLY transaction, the timeout) answer 400 with PostgreSQL's own message, position, hint and detail
 * (console-errors.ts): this is a console, and that message is what the person typing needs.
 */
export async function runQuery(core: Core, p: Principal, input: { sql: string; schema?: string | null | undefined }): Promise<QueryResult> {
  await requirePermission(core, p, DB_QUERY);
  const start = firstTokenAt(input.sql);
  if (start >= input.sql.length) throw badRequest("the statement is empty: write a query such as SELECT 1");
  const keyword = leadingKeyword(input.sql);
  // A command PostgreSQL would run is refused as a write; a word it does not know (`selec`) goes to it through
  // the cursor, whose syntax error, with its position, is the faithful answer.
  if (REFUSED_COMMANDS.has(keyword)) throw refusedCommand(keyword, codePointsBefore(input.sql, start) + 1);
  const schema = input.schema ?? undefined;
  if (schema !== undefined && !(await sql.schemaExists(core.db.pool, schema))) throw notFound(`schema ${schema} not found`);

  const inFlight = running.get(core) ?? 0;
  if (inFlight >= MAX_CONCURRENT_QUERIES) {
    throw new CoreError("TOO_MANY_REQUESTS", `${MAX_CONCURRENT_QUERIES} database queries are already running; try again when one finishes`);
  }
  running.set(core, inFlight + 1);
  const started = Date.now();
  // The statement's text goes to debug only: its literals can be secrets. Info keeps who, where and how much.
  core.log.debug({ by: p.userId, schema, sql: input.sql.slice(0, 2000) }, "database console statement");
  try {
    const raw = await sql.runReadOnly(core.db.pool, {
      sql: input.sql,
      schema,
      timeoutMs: QUERY_TIMEOUT_MS,
      maxRows: MAX_ROWS,
      maxBytes: MAX_RESULT_BYTES,
      tempFileLimit: TEMP_FILE_LIMIT,
      cursor: !DIRECT_KEYWORDS.has(keyword),
    });
    core.log.info({ by: p.userId, schema, rows: raw.rows.length, truncated: raw.truncated, ms: Date.now() - started }, "database console query");
    // row_count is the rows returned, as in the original; counting the rest would mean running the statement to its end.
    return {
      columns: raw.columns,
      rows: raw.rows.map((r) => r.map(toJson)),
      row_count: raw.rows.length,
      truncated: raw.truncated !== null,
      truncated_reason: raw.truncated,
    };
  } catch (err) {
    if (err instanceof sql.OutputTooLargeError) {
      core.log.info({ by: p.userId, schema, bytes: err.bytes }, "database console query refused: output too large");
      throw badRequest(err.message);
    }
    if (!(err instanceof sql.StatementError)) throw err;
    core.log.info({ by: p.userId, schema, code: err.dbError.code }, "database console query refused");
    throw await statementError(core.db.pool, sql.CONSOLE_ROLE, input.sql, err.dbError, err.offset);
  } finally {
    running.set(core, (running.get(core) ?? 1) - 1);
  }
}
