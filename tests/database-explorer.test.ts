import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

let core: TestCore;
let admin: Session;
let user: Session;
let querier: Session;

const call = (method: string, path: string, body: unknown, s: Session) => api(core, method, `/api/v1${path}`, body, s.accessToken);
const query = (sql: string, s: Session = admin, schema?: string) => call("POST", "/db/query", schema === undefined ? { sql } : { sql, schema }, s);
const owner = (sql: string) => core.core.db.pool.query(sql);

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@explorer.test");
  user = await signUpAndIn(core, "user@explorer.test");
  querier = await signUpAndIn(core, "querier@explorer.test");
  await call("POST", "/roles", { name: "db_reader", permissions: ["admin:db.query"] }, admin);
  await call("POST", "/roles/assign", { userId: querier.userId, role: "db_reader" }, admin);
  await owner(`
    CREATE SCHEMA explorer;
    CREATE TABLE explorer.things (id serial PRIMARY KEY, name text NOT NULL, note varchar(20) DEFAULT 'none', made timestamptz);
    CREATE TABLE explorer.a_first (x int);
    CREATE VIEW explorer.things_view AS SELECT id FROM explorer.things;
    INSERT INTO explorer.things (name) VALUES ('one'), ('two'), ('three');
    CREATE SEQUENCE explorer.counter;
    -- Hand-made schemas are readable in the console once granted to its role (app schemas are, on install).
    GRANT USAGE ON SCHEMA explorer TO rootcx_db_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA explorer TO rootcx_db_reader;
    GRANT SELECT, USAGE ON ALL SEQUENCES IN SCHEMA explorer TO rootcx_db_reader;`);
});
afterAll(async () => {
  await core?.dispose();
});

describe("schemas", () => {
  it("lists the Core's schema first for a holder of admin:db.query, then public, never PostgreSQL's own", async () => {
    for (const s of [admin, querier]) {
      const r = await call("GET", "/db/schemas", undefined, s);
      expect(r.status).toBe(200);
      const names = r.body.map((x: { schema_name: string }) => x.schema_name);
      expect(names.slice(0, 2)).toEqual(["rootcx_system", "public"]);
      expect(names).toContain("explorer");
      expect(names.filter((n: string) => n.startsWith("pg_") || n === "information_schema")).toEqual([]);
      expect(r.body.find((x: { schema_name: string }) => x.schema_name === "explorer")).toEqual({ schema_name: "explorer", table_count: 2 });
      expect(r.body[0].table_count).toBeGreaterThan(5);
    }
  });

  it("hides rootcx_system from other users", async () => {
    const r = await call("GET", "/db/schemas", undefined, user);
    expect(r.status).toBe(200);
    expect(r.body.map((x: { schema_name: string }) => x.schema_name)).toEqual(expect.arrayContaining(["public", "explorer"]));
    expect(r.body.map((x: { schema_name: string }) => x.schema_name)).not.toContain("rootcx_system");
  });

  it("needs a signed-in caller", async () => {
    expect(await api(core, "GET", "/api/v1/db/schemas")).toMatchObject({ status: 401, body: { error: "missing bearer token" } });
  });
});

describe("tables", () => {
  it("lists base tables by name with their columns in order", async () => {
    const r = await call("GET", "/db/schemas/explorer/tables", undefined, user);
    expect(r.status).toBe(200);
    expect(r.body.map((t: { table_name: string }) => t.table_name)).toEqual(["a_first", "things"]);
    const things = r.body[1];
    // A plain user may not read explorer.things, so the estimate of its rows is not theirs (tests/explorer-row-estimate.test.ts).
    expect(things).not.toHaveProperty("row_estimate");
    expect(things.columns).toEqual([
      { column_name: "id", data_type: "integer", is_nullable: false, column_default: "nextval('explorer.things_id_seq'::regclass)", ordinal_position: 1 },
      { column_name: "name", data_type: "text", is_nullable: false, column_default: null, ordinal_position: 2 },
      { column_name: "note", data_type: "character varying", is_nullable: true, column_default: "'none'::character varying", ordinal_position: 3 },
      { column_name: "made", data_type: "timestamp with time zone", is_nullable: true, column_default: null, ordinal_position: 4 },
    ]);
  });

  it("shows system schemas only to holders of admin:db.query", async () => {
    for (const schema of ["rootcx_system", "pg_catalog", "information_schema", "pg_nothing_here"]) {
      expect(await call("GET", `/db/schemas/${schema}/tables`, undefined, user), schema).toMatchObject({ status: 403, body: { error: "permission required: admin:db.query" } });
    }
    const r = await call("GET", "/db/schemas/rootcx_system/tables", undefined, querier);
    expect(r.status).toBe(200);
    const users = r.body.find((t: { table_name: string }) => t.table_name === "users");
    expect(users.columns.map((c: { column_name: string }) => c.column_name)).toContain("email");
  });

  it("refuses hostile schema names with 400 and unknown ones with 404", async () => {
    for (const bad of ['a"b', "x;drop", "élan", "1abc", "a b", "x".repeat(64)]) {
      expect(await call("GET", `/db/schemas/${encodeURIComponent(bad)}/tables`, undefined, admin), bad).toMatchObject({ status: 400, body: { error: "invalid schema name" } });
    }
    const r = await call("GET", "/db/schemas/no_such_schema/tables", undefined, user);
    expect(r.status).toBe(404);
    expect(r.body.error).toBe("schema no_such_schema not found");
  });
});

describe("read-only query console", () => {
  it("returns columns, rows and row_count, searching the given schema first", async () => {
    const r = await query("SELECT id, name FROM things ORDER BY id", admin, "explorer");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ columns: ["id", "name"], rows: [[1, "one"], [2, "two"], [3, "three"]], row_count: 3, truncated: false, truncated_reason: null });
    expect((await query("SHOW search_path", querier, "explorer")).body.rows).toEqual([['"explorer", public']]);
    expect((await query("SELECT 1 AS one", querier)).body).toEqual({ columns: ["one"], rows: [[1]], row_count: 1, truncated: false, truncated_reason: null });
  });

  it("runs in a READ ONLY transaction with the statement timeout set", async () => {
    expect((await query("SHOW transaction_read_only")).body.rows).toEqual([["on"]]);
    expect((await query("SELECT current_setting('statement_timeout')")).body.rows).toEqual([["2min"]]);
  });

  it("returns at most 500 rows", async () => {
    const r = await query("SELECT g, g * 2 AS twice FROM generate_series(1, 1000) g");
    expect(r.status).toBe(200);
    expect(r.body.rows).toHaveLength(500);
    expect(r.body.rows[499]).toEqual([500, 1000]);
    expect(r.body).toMatchObject({ row_count: 500, truncated: true });
    expect((await query("SELECT g FROM generate_series(1, 500) g")).body).toMatchObject({ row_count: 500, truncated: false });
  });

  it("renders values as stable JSON", async () => {
    const r = await query(
      `SELECT '\\xdeadbeef'::bytea AS b, 9007199254740993::bigint AS big, 1.50::numeric AS n, '{"a":[1]}'::jsonb AS j,
              timestamptz '2026-01-02 03:04:05.123456+00' AS ts, timestamp '2026-01-02 03:04:05' AS naive, date 'infinity' AS d,
              'NaN'::float8 AS nan, ARRAY[1, 2] AS arr, NULL AS nothing, true AS yes`,
    );
    expect(r.status).toBe(200);
    expect(r.body.rows[0]).toEqual(["\\xdeadbeef", "9007199254740993", "1.50", { a: [1] }, "2026-01-02 03:04:05.123456+00", "2026-01-02 03:04:05", "infinity", "NaN", [1, 2], null, true]);
  });

  it("runs EXPLAIN directly", async () => {
    const r = await query("EXPLAIN SELECT * FROM explorer.things");
    expect(r.status).toBe(200);
    expect(r.body.columns).toEqual(["QUERY PLAN"]);
    expect(r.body.rows[0][0]).toMatch(/Seq Scan on things/);
  });

  it("lets PostgreSQL refuse every write", async () => {
    const refusals: [string, RegExp][] = [
      ["WITH d AS (DELETE FROM explorer.things RETURNING *) SELECT * FROM d", /data-modifying/],
      ["SELECT nextval('explorer.counter')", /^the console is read-only/],
      ["EXPLAIN ANALYZE DELETE FROM explorer.things", /^the console is read-only/],
      ["SELECT * FROM explorer.things FOR UPDATE", /^the console is read-only/],
      // Large objects are the Core's alone since migration 0014 (workers share one executor role).
      ["SELECT lo_from_bytea(0, 'x')", /^permission denied for function lo_from_bytea/],
      ["SELECT set_config('transaction_read_only', 'off', true)", /permission denied for function set_config/],
      ["SELECT 1; DROP TABLE explorer.things", /cannot insert multiple commands/],
      // Through the simple protocol, the COMMIT would end the read-only transaction and the DROP would run.
      ["SELECT 1; COMMIT; DROP TABLE explorer.things", /cannot insert multiple commands/],
      ["EXPLAIN SELECT 1; DROP TABLE explorer.things", /cannot insert multiple commands/],
      ["/* c */ -- comment\n (SELECT 1); DELETE FROM explorer.things", /cannot insert multiple commands/],
    ];
    for (const [sql, message] of refusals) {
      const r = await query(sql);
      expect(r.status, sql).toBe(400);
      expect(r.body.error, sql).toMatch(message);
    }
    expect((await owner("SELECT count(*)::int AS n FROM explorer.things")).rows[0].n).toBe(3);
    expect((await owner("SELECT last_value, is_called FROM explorer.counter")).rows[0]).toEqual({ last_value: "1", is_called: false });
  });

  it("refuses statements that are not reads before running them, saying the console is read-only and where", async () => {
    for (const [sql, keyword, position] of [
      ["CREATE TABLE x()", "CREATE", 1],
      ["DELETE FROM explorer.things", "DELETE", 1],
      ["COMMIT", "COMMIT", 1],
      ["/* é */ (UPDATE explorer.things SET name = 'x')", "UPDATE", 10],
    ] as const) {
      const r = await query(sql);
      expect(r.status, sql).toBe(400);
      expect(r.body).toMatchObject({ error: `the console is read-only: ${keyword} statements are refused`, position, hint: expect.stringMatching(/^Run SELECT/) });
    }
    for (const sql of ["  ", "/* unterminated SELECT 1", "-- SELECT 1"]) {
      expect(await query(sql), sql).toMatchObject({ status: 400, body: { error: "the statement is empty: write a query such as SELECT 1" } });
    }
    expect((await owner("SELECT to_regclass('public.x') IS NULL AS gone")).rows[0].gone).toBe(true);
  });

  it("answers a misspelt statement with PostgreSQL's syntax error and its position in the caller's text", async () => {
    expect((await query("selec")).body).toEqual({ error: 'syntax error at or near "selec"', position: 1 });
    expect(await query("  SELEC 1")).toMatchObject({ status: 400, body: { error: 'syntax error at or near "SELEC"', position: 3 } });
    // Positions count characters as PostgreSQL does (é is one), after the cursor the console wraps reads in.
    expect(await query("SELECT 'é' FORM explorer.things")).toMatchObject({ status: 400, body: { error: 'syntax error at or near "explorer"', position: 17 } });
    expect(await query("EXPLAIN SELEKT 1")).toMatchObject({ status: 400, body: { error: 'syntax error at or near "SELEKT"', position: 9 } });
    const missing = await query("SELECT nme FROM explorer.things");
    expect(missing).toMatchObject({ status: 400, body: { error: 'column "nme" does not exist', position: 8, hint: expect.stringMatching(/name/) } });
  });

  it("says plainly that a data-modifying WITH is refused, without PostgreSQL's cursor wording", async () => {
    const r = await query("WITH x AS (DELETE FROM explorer.things RETURNING *) SELECT * FROM x");
    expect(r).toMatchObject({
      status: 400,
      body: { error: "the console is read-only: data-modifying statements are refused", detail: "INSERT, UPDATE, DELETE and MERGE are refused, also inside WITH" },
    });
    expect(JSON.stringify(r.body)).not.toMatch(/DECLARE|CURSOR/i);
    const forUpdate = await query("SELECT * FROM explorer.things FOR UPDATE");
    expect(forUpdate.body).toMatchObject({ error: "the console is read-only: data-modifying statements are refused", detail: expect.stringMatching(/read-only transaction/) });
    expect((await owner("SELECT count(*)::int AS n FROM explorer.things")).rows[0].n).toBe(3);
  });

  it("names the hidden column a statement selects, or lists them for *", async () => {
    const one = await query("SELECT email, password_hash FROM rootcx_system.users");
    expect(one).toMatchObject({
      status: 400,
      body: { error: "the console may not read column password_hash of rootcx_system.users", hint: expect.stringMatching(/^Readable columns of rootcx_system\.users: id, email, /) },
    });
    const star = await query("SELECT * FROM users", admin, "rootcx_system");
    expect(star.status).toBe(400);
    expect(star.body.error).toMatch(/^the console may not read every column of rootcx_system\.users \(hidden: [a-z_, ]*password_hash[a-z_, ]*\); name the columns you need instead of \*$/);
    expect(star.body.error).not.toMatch(/\bemail\b/);
    const secrets = await query("SELECT * FROM rootcx_system.secrets");
    expect(secrets.body).toMatchObject({ error: "the console may not read rootcx_system.secrets: it holds keys, secrets or sessions", detail: "PostgreSQL: permission denied for table secrets" });
    // A function refusal is PostgreSQL's message as it is.
    expect((await query("SELECT pg_read_file('PG_VERSION')")).body).toEqual({ error: "permission denied for function pg_read_file" });
  });

  it("answers SQL errors with PostgreSQL's message, never 500", async () => {
    const syntax = await query("SELECT FROM WHERE");
    expect(syntax).toMatchObject({ status: 400, body: { error: 'syntax error at or near "WHERE"', position: 13 } });
    expect(await query("SELECT * FROM nope")).toMatchObject({ status: 400, body: { error: 'relation "nope" does not exist' } });
    expect(await query("SELECT 1/0")).toMatchObject({ status: 400, body: { error: "division by zero" } });
  });

  it("leaves no session state behind on the pool", async () => {
    // A session advisory lock, the obvious leftover, is refused outright now (tests/console-isolation.test.ts).
    const lock = await query("SELECT pg_advisory_lock(4242)");
    expect(lock.status).toBe(400);
    expect(lock.body.error).toBe("permission denied for function pg_advisory_lock");
    const { rows } = await owner("SELECT pg_try_advisory_lock(4242) AS free, current_user AS role");
    expect(rows[0]).toEqual({ free: true, role: expect.not.stringMatching(/rootcx_db_reader/) });
    await owner("SELECT pg_advisory_unlock_all()");
  });

  it("validates the body", async () => {
    const malformed = await fetch(`${core.url}/api/v1/db/query`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin.accessToken}` },
      body: "{ not json",
    });
    expect(malformed.status).toBe(400);
    expect(await call("POST", "/db/query", {}, admin)).toMatchObject({ status: 400, body: { error: "sql: sql must be a string" } });
    expect(await call("POST", "/db/query", undefined, admin)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/expected object/) } });
    expect(await call("POST", "/db/query", { sql: 42 }, admin)).toMatchObject({ status: 400, body: { error: "sql: sql must be a string" } });
    expect(await call("POST", "/db/query", { sql: "" }, admin)).toMatchObject({ status: 400, body: { error: "sql: sql must not be empty" } });
    expect(await call("POST", "/db/query", { sql: `SELECT 1 ${" ".repeat(100_000)}` }, admin)).toMatchObject({ status: 400, body: { error: "sql: sql is too long (100 000 characters at most)" } });
    expect((await call("POST", "/db/query", { sql: "SELECT 1", schema: null }, admin)).status).toBe(200);
    for (const schema of ['a"b', "x;drop", "schéma", "public, pg_catalog"]) {
      const r = await query("SELECT 1", admin, schema);
      expect(r.status, schema).toBe(400);
      expect(r.body.error).toMatch(/schema: invalid schema name/);
    }
    expect(await query("SELECT 1", admin, "no_such_schema")).toMatchObject({ status: 404, body: { error: "schema no_such_schema not found" } });
  });

  it("needs admin:db.query", async () => {
    const r = await query("SELECT 1", user);
    expect(r).toMatchObject({ status: 403, body: { error: "permission required: admin:db.query" } });
    expect(await query("not even sql", user)).toMatchObject({ status: 403, body: { error: "permission required: admin:db.query" } });
  });

  it("runs a few statements at a time and refuses more with 429", async () => {
    const slow = Array.from({ length: 4 }, () => query("SELECT pg_sleep(1.5)"));
    await new Promise((resolve) => setTimeout(resolve, 400));
    const extra = await query("SELECT 1");
    expect(extra.status).toBe(429);
    expect(extra.body.error).toBe("4 database queries are already running; try again when one finishes");
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect((await query("SELECT 1")).status).toBe(200);
  });
});

describe("the console's role", () => {
  it("is not the superuser: server files, signals, keys, secrets and password hashes stay out of reach", async () => {
    for (const sql of [
      "SELECT pg_read_file('PG_VERSION')",
      "SELECT pg_ls_dir('.')",
      "SELECT pg_terminate_backend(pg_backend_pid())",
      "SELECT * FROM rootcx_system.claims_key",
      "SELECT mac_ipad FROM rootcx_system.permission_sets",
      "SELECT value FROM rootcx_system.config",
      "SELECT ciphertext FROM rootcx_system.secrets",
      "SELECT password_hash FROM rootcx_system.users",
      "SELECT * FROM rootcx_system.sessions",
      "SELECT set_config('role', 'postgres', true)",
      "SELECT current_setting('rootcx.claims', true) FROM rootcx_system.audit_log",
    ]) {
      const r = await query(sql);
      if (sql.includes("current_setting")) {
        // Readable, but empty: the console's transaction carries no claims (signed identities) to copy or replay.
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.rows.length).toBeGreaterThan(0);
        expect(new Set(r.body.rows.map(([claims]: [string | null]) => claims ?? ""))).toEqual(new Set([""]));
        continue;
      }
      expect(r.status, `${sql} → ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.error).toMatch(/permission denied|may not read/);
    }
    const who = await query("SELECT current_user, session_user = current_user AS same");
    expect(who.body.rows[0]).toEqual(["rootcx_db_reader", false]);
    const users = await query("SELECT email FROM rootcx_system.users ORDER BY email");
    expect(users.body.rows.map((r: string[]) => r[0])).toContain("admin@explorer.test");
  });

  it("reads an installed app's rows past row-level security", async () => {
    expect((await call("POST", "/apps", { appId: "console_app", name: "C", dataContract: [{ entityName: "note", fields: [{ name: "body", type: "text" }] }] }, admin)).status).toBe(200);
    expect((await call("POST", "/apps/console_app/collections/note", { body: "hello" }, admin)).status).toBe(201);
    const r = await query("SELECT body FROM console_app.note", querier);
    expect(r.body.rows).toEqual([["hello"]]);
  });
});

describe("tRPC", () => {
  it("serves the same service functions", async () => {
    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    expect((await client.database.schemas.query())[0]).toMatchObject({ schema_name: "rootcx_system" });
    expect((await client.database.tables.query({ schema: "explorer" })).map((t) => t.table_name)).toEqual(["a_first", "things"]);
    expect(await client.database.query.mutate({ sql: "SELECT 2 AS two" })).toEqual({ columns: ["two"], rows: [[2]], row_count: 1, truncated: false, truncated_reason: null });
    const err = await client.database.query.mutate({ sql: "SELECT nextval('explorer.counter')" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<never>).message).toBe("the console is read-only: data-modifying statements are refused");
    expect((err as TRPCClientError<never>).data).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400, detail: "cannot execute nextval() in a read-only transaction" });
    const typo = await client.database.query.mutate({ sql: "selec" }).catch((e: unknown) => e);
    expect((typo as TRPCClientError<never>).data).toMatchObject({ code: "BAD_REQUEST", position: 1 });

    const plain = createCoreClient(core.url, { headers: { authorization: `Bearer ${user.accessToken}` } });
    expect((await plain.database.schemas.query()).map((s) => s.schema_name)).not.toContain("rootcx_system");
    const denied = await plain.database.tables.query({ schema: "rootcx_system" }).catch((e: unknown) => e);
    expect((denied as TRPCClientError<never>).data).toMatchObject({ code: "FORBIDDEN" });
  });
});
