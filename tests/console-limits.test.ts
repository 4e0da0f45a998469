import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_RESULT_BYTES, MAX_ROWS } from "../src/server/database-explorer/service.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

// The SQL console's answers are bounded in bytes as well as rows, and no statement's output can end the Core.
let core: TestCore;
let admin: Session;

const query = (sql: string) => api(core, "POST", "/api/v1/db/query", { sql }, admin.accessToken);
const healthy = async () => (await fetch(`${core.url}/health`)).status;

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@console-limits.test");
});
afterAll(async () => {
  await core?.dispose();
});

describe("byte bound on the console's result", () => {
  it("answers a 540 MB cell (over V8's string limit, which killed the process) with a truncated, empty answer", async () => {
    const r = await query("SELECT repeat('x', 540000000) AS big");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ columns: ["big"], rows: [], row_count: 0, truncated: true, truncated_reason: "bytes" });
    expect(await healthy()).toBe(200);
    // The pool still serves the console and everything else.
    expect((await query("SELECT 1 AS one")).body.rows).toEqual([[1]]);
  }, 60_000);

  it("refuses, with 400 and the reason, an error message too large to read (PostgreSQL quotes the 540 MB value)", async () => {
    const r = await query("SELECT repeat('x', 540000000)::int");
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^PostgreSQL's answer to this statement holds a message of \d+ bytes, over the console's 8388608-byte limit/);
    expect(await healthy()).toBe(200);
  }, 60_000);

  it("cuts an EXPLAIN whose plan quotes a huge folded constant (EXPLAIN runs without a cursor) at the line", async () => {
    const r = await query("EXPLAIN VERBOSE SELECT repeat('x', 50000000)");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ columns: ["QUERY PLAN"], truncated: true, truncated_reason: "bytes" });
    expect(r.body.rows).toEqual([[expect.stringMatching(/^Result /)]]);
    expect(await healthy()).toBe(200);
  }, 60_000);

  it("keeps an error message that fits, shortened in the answer", async () => {
    const r = await query("SELECT repeat('y', 100000)::int");
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^invalid input syntax for type integer: "yyyy/);
    expect(r.body.error.length).toBeLessThanOrEqual(2001);
  });

  it("bounds a 50 MB cell: no row of it is read, and the rows before it are kept", async () => {
    const r = await query("SELECT n, CASE WHEN n = 3 THEN repeat('z', 50000000) ELSE 'small' END AS v FROM generate_series(1, 5) n ORDER BY n");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ columns: ["n", "v"], rows: [[1, "small"], [2, "small"]], row_count: 2, truncated: true, truncated_reason: "bytes" });
    expect(await healthy()).toBe(200);
  }, 60_000);

  it("stops many medium rows at the byte limit and says so", async () => {
    const width = 100_000;
    const r = await query(`SELECT n, repeat('m', ${width}) AS v FROM generate_series(1, 400) n ORDER BY n`);
    expect(r.status).toBe(200);
    expect(r.body.truncated).toBe(true);
    expect(r.body.truncated_reason).toBe("bytes");
    // Each row is a little over `width` bytes on the wire: as many rows as fit in the budget, in order.
    const fit = Math.floor(MAX_RESULT_BYTES / (width + 20));
    expect(r.body.row_count).toBeGreaterThan(fit - 3);
    expect(r.body.row_count).toBeLessThanOrEqual(fit);
    expect(r.body.rows.map((row: unknown[]) => row[0])).toEqual(Array.from({ length: r.body.row_count }, (_, i) => i + 1));
    expect(r.body.rows.every((row: unknown[]) => row[1] === "m".repeat(width))).toBe(true);
  }, 60_000);

  it("still cuts at the row cap with reason rows, and answers whole results untruncated", async () => {
    const many = await query(`SELECT n FROM generate_series(1, ${MAX_ROWS + 50}) n`);
    expect(many.status).toBe(200);
    expect(many.body).toMatchObject({ row_count: MAX_ROWS, truncated: true, truncated_reason: "rows" });
    const few = await query("SELECT n FROM generate_series(1, 3) n");
    expect(few.body).toEqual({ columns: ["n"], rows: [[1], [2], [3]], row_count: 3, truncated: false, truncated_reason: null });
    const explain = await query("EXPLAIN SELECT 1");
    expect(explain.status).toBe(200);
    expect(explain.body).toMatchObject({ columns: ["QUERY PLAN"], truncated: false, truncated_reason: null });
  });
});

describe("logging", () => {
  it("logs the statement's text at debug only (its literals can be secrets); info keeps who and how much", async () => {
    const secret = "sk_live_console_secret_7f3a";
    const from = core.logs.length;
    expect((await query(`SELECT '${secret}' AS token`)).status).toBe(200);
    expect((await query(`SELECT '${secret}'::int`)).status).toBe(400);
    const lines = core.logs.slice(from).map((l) => JSON.parse(l) as { level: number; msg: string; sql?: string });
    const withSecret = lines.filter((l) => JSON.stringify(l).includes(secret));
    expect(withSecret.map((l) => [l.level, l.msg])).toEqual([
      [20, "database console statement"],
      [20, "database console statement"],
    ]);
    const info = lines.filter((l) => l.level >= 30 && l.msg.startsWith("database console query"));
    expect(info.map((l) => l.msg)).toEqual(["database console query", "database console query refused"]);
    expect(info.filter((l) => "sql" in l)).toEqual([]);
  });
});
