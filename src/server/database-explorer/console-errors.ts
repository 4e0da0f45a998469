import type pg from "pg";
import type { Queryable } from "../db/queryable.ts";
import { CoreError, type ErrorDetails } from "../errors.ts";

/** PostgreSQL quotes the offending value in some messages (invalid input syntax): answers stay small. */
const MAX_CHARS = 2000;
const clip = (s: string) => (s.length > MAX_CHARS ? `${s.slice(0, MAX_CHARS)}…` : s);

export const READ_ONLY_REFUSAL = "the console is read-only: data-modifying statements are refused";
const READ_ONLY_HINT = "Run SELECT, WITH … SELECT, VALUES, TABLE, EXPLAIN or SHOW; change data through the Data API or the Studio's data browser.";

/**
 * Statements PostgreSQL accepts that the console never runs: each would write, change the session or hold
 * something. A leading word outside this list and outside the reads is not SQL at all, and PostgreSQL's own
 * syntax error (with its position) is the faithful answer, so such text goes to PostgreSQL (see service.ts).
 */
export const REFUSED_COMMANDS = new Set([
  "ABORT", "ALTER", "ANALYSE", "ANALYZE", "BEGIN", "CALL", "CHECKPOINT", "CLOSE", "CLUSTER", "COMMENT", "COMMIT",
  "COPY", "CREATE", "DEALLOCATE", "DECLARE", "DELETE", "DISCARD", "DO", "DROP", "END", "EXECUTE", "FETCH", "GRANT",
  "IMPORT", "INSERT", "LISTEN", "LOAD", "LOCK", "MERGE", "MOVE", "NOTIFY", "PREPARE", "REASSIGN", "REFRESH",
  "REINDEX", "RELEASE", "REPACK", "RESET", "REVOKE", "ROLLBACK", "SAVEPOINT", "SECURITY", "SET", "START", "TRUNCATE",
  "UNLISTEN", "UPDATE", "VACUUM", "WAIT",
]);

/** The refusal for a statement whose first word is a command the console does not run. */
export function refusedCommand(keyword: string, position: number): CoreError {
  return new CoreError("BAD_REQUEST", `the console is read-only: ${keyword} statements are refused`, { details: { position, hint: READ_ONLY_HINT } });
}

/** Characters (code points, as PostgreSQL counts positions) before UTF-16 index `index`. */
export function codePointsBefore(text: string, index: number): number {
  let n = 0;
  for (const _ of text.slice(0, index)) n++;
  return n;
}

interface HiddenColumns {
  table: string;
  readable: string[];
  hidden: string[];
}

// Tables of that name the console's role may not read whole, with the columns it may and may not read.
const HIDDEN_COLUMNS_SQL = `
  SELECT format('%I.%I', n.nspname, c.relname) AS table,
         coalesce(array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE has_column_privilege($2, c.oid, a.attnum, 'SELECT')), '{}') AS readable,
         coalesce(array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE NOT has_column_privilege($2, c.oid, a.attnum, 'SELECT')), '{}') AS hidden
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
   WHERE c.relname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
     AND NOT has_table_privilege($2, c.oid, 'SELECT')
   GROUP BY n.nspname, c.relname
   ORDER BY n.nspname = 'rootcx_system' DESC, n.nspname`;

const words = (sql: string) => new Set(sql.toLowerCase().match(/[a-z_][a-z0-9_$]*/g) ?? []);

/**
 * PostgreSQL names only the table when a column grant is missing ("permission denied for table users"). The
 * console's role reads some tables column by column (migration 0008: users without password hashes), so the
 * answer names the hidden columns the statement mentions, or, for `*`, which ones are hidden and which to ask for.
 */
async function permissionDenied(db: Queryable, role: string, sql: string, err: pg.DatabaseError): Promise<CoreError | undefined> {
  const name = /^permission denied for (?:table|view|materialized view|foreign table) (.+)$/.exec(err.message)?.[1];
  if (!name) return undefined;
  const found = (await db.query<HiddenColumns>(HIDDEN_COLUMNS_SQL, [name, role])).rows[0];
  if (!found) return undefined;
  const detail = `PostgreSQL: ${err.message}`;
  if (found.readable.length === 0) {
    return new CoreError("BAD_REQUEST", `the console may not read ${found.table}: it holds keys, secrets or sessions`, { details: { detail } });
  }
  const mentioned = words(sql);
  const named = found.hidden.filter((c) => mentioned.has(c.toLowerCase()));
  const hint = `Readable columns of ${found.table}: ${found.readable.join(", ")}.`;
  if (named.length > 0) {
    const what = named.length === 1 ? `column ${named[0]}` : `columns ${named.join(", ")}`;
    return new CoreError("BAD_REQUEST", `the console may not read ${what} of ${found.table}`, { details: { hint, detail } });
  }
  return new CoreError(
    "BAD_REQUEST",
    `the console may not read every column of ${found.table} (hidden: ${found.hidden.join(", ")}); name the columns you need instead of *`,
    { details: { hint, detail } },
  );
}

/**
 * The answer to a statement PostgreSQL refused: its own message, with its position mapped back onto the
 * caller's text (`offset` characters of the Core's own were sent before it), its hint and detail. Refusals
 * that come from the console being read-only say so plainly rather than in PostgreSQL's terms (a write inside
 * WITH fails as "DECLARE CURSOR must not contain data-modifying statements").
 */
export async function statementError(db: Queryable, role: string, sql: string, err: pg.DatabaseError, offset: number): Promise<CoreError> {
  const pgPosition = err.position ? Number(err.position) : undefined;
  const position = pgPosition !== undefined && pgPosition > offset ? pgPosition - offset : undefined;
  const details: ErrorDetails = {};
  if (position !== undefined) details.position = position;
  if (err.hint) details.hint = clip(err.hint);
  if (err.detail) details.detail = clip(err.detail);

  if (err.code === "25006" || (err.code === "0A000" && /data-modifying statements/.test(err.message))) {
    return new CoreError("BAD_REQUEST", READ_ONLY_REFUSAL, {
      cause: err,
      // PostgreSQL's own words name the cursor the console reads through (a detail of ours); its 25006 message is plain.
      details: { ...details, hint: READ_ONLY_HINT, detail: err.code === "25006" ? clip(err.message) : "INSERT, UPDATE, DELETE and MERGE are refused, also inside WITH" },
    });
  }
  if (err.code === "42501") {
    const explained = await permissionDenied(db, role, sql, err).catch(() => undefined);
    if (explained) return explained;
  }
  return new CoreError("BAD_REQUEST", clip(err.message), { cause: err, details });
}
