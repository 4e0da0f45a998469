/**
 * The first line of defence for a worker's own SQL (spec §4.4): a statement is classified by its first keyword
 * before it is sent, and only data statements go on. PostgreSQL's row-level security and the executor's
 * privileges remain the boundary; this refuses DDL, session changes and transaction control with a reason
 * the app developer can act on, instead of a permission error from deep inside PostgreSQL.
 */

/**
 * What a worker's ctx.sql and transactions may run. No EXPLAIN: EXPLAIN ANALYZE executes its statement, and
 * that statement may be CREATE TABLE AS, EXECUTE or DECLARE, which the list below keeps out.
 */
const ALLOWED = new Set(["SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "VALUES", "TABLE", "MERGE"]);

/** The refusals spec §4.4 names, each with its reason. */
const DENIED: Record<string, string> = {
  CREATE: "schema changes (CREATE) belong in the app's migrations",
  DROP: "schema changes (DROP) belong in the app's migrations",
  ALTER: "schema changes (ALTER) belong in the app's migrations",
  TRUNCATE: "TRUNCATE is not allowed; use DELETE",
  GRANT: "privileges (GRANT) are managed by the Core",
  REVOKE: "privileges (REVOKE) are managed by the Core",
  REINDEX: "maintenance (REINDEX) is the Core's",
  VACUUM: "maintenance (VACUUM) is the Core's",
  COPY: "COPY is not allowed; use INSERT or SELECT",
  SET: "session settings (SET) are fixed by the Core",
  RESET: "session settings (RESET) are fixed by the Core",
  DO: "anonymous code blocks (DO) are not allowed",
  BEGIN: "transaction control belongs to ctx.transaction (sql_begin/sql_commit)",
  START: "transaction control belongs to ctx.transaction (sql_begin/sql_commit)",
  COMMIT: "transaction control belongs to ctx.transaction (sql_begin/sql_commit)",
  END: "transaction control belongs to ctx.transaction (sql_begin/sql_commit)",
  ROLLBACK: "transaction control belongs to ctx.transaction (sql_begin/sql_commit)",
  ABORT: "transaction control belongs to ctx.transaction (sql_begin/sql_commit)",
  SAVEPOINT: "transaction control belongs to ctx.transaction (sql_begin/sql_commit)",
  RELEASE: "transaction control belongs to ctx.transaction (sql_begin/sql_commit)",
};

/**
 * The first keyword of a statement, upper-cased, after whitespace, `--` comments, nested `/* *\/` comments and
 * opening parentheses; "" when the text holds none.
 */
export function firstKeyword(sql: string): string {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c) || c === "(") {
      i++;
    } else if (sql.startsWith("--", i)) {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith("/*", i)) {
      // PostgreSQL's block comments nest: /* a /* b */ still a comment */.
      let depth = 0;
      while (i < sql.length) {
        if (sql.startsWith("/*", i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith("*/", i)) {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else {
          i++;
        }
      }
    } else {
      break;
    }
  }
  const word = /^[A-Za-z_]+/.exec(sql.slice(i));
  return word ? word[0].toUpperCase() : "";
}

/** Why the statement may not run, naming the rule; undefined when it may. */
export function refusal(sql: string): string | undefined {
  const keyword = firstKeyword(sql);
  if (keyword === "") return "statement refused: it does not start with an SQL keyword (one statement per call)";
  const denied = DENIED[keyword];
  if (denied) return `statement refused: ${keyword} — ${denied}`;
  if (!ALLOWED.has(keyword)) return `statement refused: ${keyword} — only SELECT, WITH, INSERT, UPDATE, DELETE, VALUES, TABLE and MERGE may run`;
  return undefined;
}
