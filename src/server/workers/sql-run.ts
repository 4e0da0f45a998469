import pg from "pg";
import Cursor from "pg-cursor";
import { CoreError } from "../errors.ts";

/** Spec §4.4: returning more rows than this is an error, not a truncation. */
export const MAX_RESULT_ROWS = 1000;
/** An answer must fit one IPC line (1 MiB) with room for the envelope. */
export const MAX_RESULT_BYTES = 900 * 1024;
/** Rows fetched per round trip: the most read past a limit before the statement is stopped. */
const BATCH_ROWS = 200;

/** A statement's answer as the worker receives it (sql_query_result / sql_exec_result). */
export interface SqlAnswer {
  columns: string[];
  rows: unknown[][];
  row_count: number;
}

/**
 * `2026-11-23 10:00:00.5+00` (PostgreSQL's ISO DateStyle) as the Data API's to_json writes it,
 * `2026-11-23T10:00:00.5+00:00`: ISO 8601, with every microsecond kept (a Date would drop them, and would read a
 * timestamp without time zone in the Core's local zone). Infinity and BC dates stay as PostgreSQL wrote them.
 */
function isoTimestamp(text: string): string {
  const m = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-]\d\d)(:\d\d)?(:\d\d)?)?$/.exec(text);
  if (!m) return text;
  return `${m[1]}T${m[2]}${m[3] === undefined ? "" : `${m[3]}${m[4] ?? ":00"}${m[5] ?? ""}`}`;
}

/** A double as a JSON number; NaN and the infinities, which JSON cannot hold, as PostgreSQL's text. */
const double = (text: string): number | string => (Number.isFinite(Number(text)) ? Number(text) : text);

const identity = (text: string) => text;
// 1009 is text[]: pg-types lists no array OIDs in its TypeId enum.
const textArray = pg.types.getTypeParser(1009 as Parameters<typeof pg.types.getTypeParser>[0], "text") as (text: string) => (string | null)[];
const arrayOf = (element: (text: string) => unknown) => (text: string) => textArray(text).map((v) => (v === null ? null : element(v)));

/**
 * Values as JSON: int8 and numeric as the exact strings pg gives, json and jsonb parsed, timestamps ISO text,
 * dates, times, intervals and bytea as PostgreSQL's text; everything else by pg's defaults.
 */
const PARSERS: Record<number, (text: string) => unknown> = {
  17: identity, // bytea, as \x… hex
  700: double,
  701: double,
  1082: identity, // date
  1083: identity, // time
  1114: isoTimestamp,
  1184: isoTimestamp,
  1186: identity, // interval
  1266: identity, // timetz
  1001: arrayOf(identity),
  1021: arrayOf(double),
  1022: arrayOf(double),
  1115: arrayOf(isoTimestamp),
  1182: arrayOf(identity),
  1185: arrayOf(isoTimestamp),
  1187: arrayOf(identity),
};

const WORKER_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => PARSERS[oid] ?? pg.types.getTypeParser(oid, (format ?? "text") as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/** One batch of a cursor with the statement's result so far (its fields and command tag). */
function readBatch(cursor: Cursor<unknown[]>, rows: number): Promise<{ rows: unknown[][]; result: pg.QueryResult }> {
  return new Promise((resolve, reject) => {
    cursor.read(rows, (err, batch, result) => (err ? reject(err) : resolve({ rows: batch, result })));
  });
}

/**
 * Runs one statement of a worker on a governed connection through the extended protocol (Parse/Bind even
 * without parameters, so a second statement in the text is PostgreSQL's error, never run), reading its rows
 * in batches through a portal so that an answer over the row or byte limit is stopped, not read whole.
 */
export async function runStatement(client: pg.PoolClient, sql: string, params: unknown[]): Promise<SqlAnswer> {
  const cursor = client.query(new Cursor<unknown[]>(sql, params, { rowMode: "array", types: WORKER_TYPES }));
  const rows: unknown[][] = [];
  let bytes = 0;
  let result: pg.QueryResult | undefined;
  for (;;) {
    const want = Math.min(BATCH_ROWS, MAX_RESULT_ROWS + 1 - rows.length);
    // A PostgreSQL error leaves the cursor closed by its own Sync; it is not closed a second time.
    const batch = await readBatch(cursor, want);
    result = batch.result;
    for (const row of batch.rows) bytes += Buffer.byteLength(JSON.stringify(row), "utf8");
    rows.push(...batch.rows);
    let limit: string | undefined;
    if (rows.length > MAX_RESULT_ROWS) limit = `statement returned more than ${MAX_RESULT_ROWS} rows; add LIMIT`;
    else if (bytes > MAX_RESULT_BYTES) limit = `result too large: more than ${MAX_RESULT_BYTES / 1024} KiB; select fewer rows or columns`;
    if (limit) {
      await cursor.close();
      throw new CoreError("BAD_REQUEST", limit);
    }
    if (batch.rows.length < want) break;
  }
  const fields = result?.fields ?? [];
  // A statement without a row description (INSERT without RETURNING) counts what its command tag says.
  const rowCount = fields.length > 0 ? rows.length : (result?.rowCount ?? 0);
  return { columns: fields.map((f) => f.name), rows, row_count: rowCount };
}

export const isPgError = (err: unknown): err is { code: string; message: string } =>
  typeof err === "object" && err !== null && typeof (err as { code?: unknown }).code === "string" && "severity" in err;

/**
 * The sentence a worker gets for a failed statement: PostgreSQL's own message (it names the table, column or
 * syntax at fault), prefixed where the cause deserves a plainer word; never a stack.
 */
export function sqlErrorSentence(err: unknown): string {
  if (err instanceof CoreError) return err.message;
  if (!isPgError(err)) return "internal database error";
  if (err.code === "42601" && err.message.includes("multiple commands")) return "one statement per call: the text holds more than one SQL statement";
  if (err.code === "42501") return `permission denied: ${err.message}`;
  if (err.code === "57014") return "statement timed out (8 s)";
  if (err.code === "25P02") return "the transaction was aborted by an earlier error; roll it back";
  if (err.code.startsWith("08") || err.code.startsWith("57P")) return `the database connection was lost: ${err.message}`;
  return err.message;
}
