import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerDataContext, WorkerReply } from "../src/server/workers/contracts.ts";
import { DEFAULT_LIMITS, WorkerDataSession, type DataSessionLimits } from "../src/server/workers/data-access.ts";
import { ANON_IDENTITY, SYSTEM_IDENTITY, type WorkerIdentity } from "../src/server/workers/identity.ts";
import { helpdesk } from "./fixtures/manifests.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

let core: TestCore;
let admin: Session;
let reader: Session;
let nobody: Session;
let actor: Session;
const T = "/api/v1/apps/helpdesk/collections/ticket";

async function grant(user: Session, role: string, permissions: string[]) {
  expect((await api(core, "POST", "/api/v1/roles", { name: role, permissions }, admin.accessToken)).status).toBe(200);
  expect((await api(core, "POST", "/api/v1/roles/assign", { userId: user.userId, role }, admin.accessToken)).status).toBe(200);
}

const userOf = (s: Session, delegated?: string[]): WorkerIdentity => ({
  kind: "user",
  userId: s.userId,
  email: s.email,
  ...(delegated ? { delegated: { permissions: delegated, delegatorUid: admin.userId } } : {}),
});

interface Harness {
  session: WorkerDataSession;
  calls: { name: string; input: unknown }[];
  bypass: { on: boolean };
}

const open: WorkerDataSession[] = [];
function sessionFor(identity: WorkerIdentity, limits: Partial<DataSessionLimits> = {}, bypass = false): Harness {
  const calls: { name: string; input: unknown }[] = [];
  const flag = { on: bypass };
  const ctx: WorkerDataContext = {
    appId: "helpdesk",
    identity,
    bypassActive: () => flag.on,
    callAction: async (name, input) => {
      calls.push({ name, input });
      return { ran: name, input };
    },
  };
  const session = new WorkerDataSession(core.core, ctx, limits);
  open.push(session);
  return { session, calls, bypass: flag };
}

let seq = 0;
const sql = (s: WorkerDataSession, text: string, params: unknown[] = []) => s.handle({ type: "sql_query", id: ++seq, sql: text, params });
const begin = (s: WorkerDataSession) => s.handle({ type: "sql_begin", id: ++seq });
const exec = (s: WorkerDataSession, tx: unknown, text: string, params: unknown[] = []) => s.handle({ type: "sql_exec", id: ++seq, tx_id: tx, sql: text, params });
const commit = (s: WorkerDataSession, tx: unknown) => s.handle({ type: "sql_commit", id: ++seq, tx_id: tx });
const rollback = (s: WorkerDataSession, tx: unknown) => s.handle({ type: "sql_rollback", id: ++seq, tx_id: tx });
const coll = (s: WorkerDataSession, op: string, entity: string, data?: unknown) => s.handle({ type: "collection_op", id: ++seq, op, entity, data });

/** Subjects of tickets as the database holds them, read on the Core's own pool (no RLS). */
async function subjects(like: string): Promise<string[]> {
  const { rows } = await core.core.db.pool.query<{ subject: string }>("SELECT subject FROM helpdesk.ticket WHERE subject LIKE $1 ORDER BY subject", [like]);
  return rows.map((r) => r.subject);
}

/** Counts the governed executor's transactions: a statement refused by the Core never takes a connection. */
function countGoverned(): { readonly count: number; restore(): void } {
  const g = core.core.governed;
  let count = 0;
  const run = g.run.bind(g);
  const runOne = g.runOne.bind(g);
  g.run = ((...args: Parameters<typeof run>) => {
    count++;
    return run(...args);
  }) as typeof g.run;
  g.runOne = ((...args: Parameters<typeof runOne>) => {
    count++;
    return runOne(...args);
  }) as typeof g.runOne;
  return {
    get count() {
      return count;
    },
    restore() {
      Reflect.deleteProperty(g, "run");
      Reflect.deleteProperty(g, "runOne");
    },
  };
}

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@workers-data.test");
  const res = await api(core, "POST", "/api/v1/apps", helpdesk(), admin.accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  reader = await signUpAndIn(core, "reader@workers-data.test");
  nobody = await signUpAndIn(core, "nobody@workers-data.test");
  actor = await signUpAndIn(core, "actor@workers-data.test");
  await grant(reader, "ticket-reader", ["app:helpdesk:ticket.read"]);
  await grant(actor, "closer", ["app:helpdesk:action:close_stale"]);
  expect((await api(core, "POST", T, { subject: "seed ticket" }, admin.accessToken)).status).toBe(201);
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await core?.dispose();
});

describe("ctx.sql as the worker's identity", () => {
  it("a user without the read key sees no row; a reader sees them, through the app's schema on the search path", async () => {
    const none = await sql(sessionFor(userOf(nobody)).session, "SELECT subject FROM ticket");
    expect(none).toEqual({ type: "sql_query_result", id: seq, columns: ["subject"], rows: [], row_count: 0 });
    const some = await sql(sessionFor(userOf(reader)).session, "SELECT subject FROM ticket WHERE subject = $1", ["seed ticket"]);
    expect(some).toMatchObject({ type: "sql_query_result", columns: ["subject"], rows: [["seed ticket"]], row_count: 1 });
  });

  it("a reader cannot write, and hears why", async () => {
    const res = await sql(sessionFor(userOf(reader)).session, "INSERT INTO ticket (subject) VALUES ($1)", ["reader wrote"]);
    expect(res.error).toMatch(/^permission denied: new row violates row-level security policy for table "ticket"/);
    expect(await subjects("reader wrote")).toEqual([]);
  });

  it("the lifecycle (system) and anonymous workers see nothing, even with the bypass armed", async () => {
    for (const id of [SYSTEM_IDENTITY, ANON_IDENTITY]) {
      const res = await sql(sessionFor(id, {}, true).session, "SELECT count(*) AS n FROM ticket");
      expect(res).toMatchObject({ rows: [["0"]], row_count: 1 });
    }
  });

  it("a delegated identity runs with its frozen permissions, not the user's live ones", async () => {
    const res = await sql(sessionFor(userOf(nobody, ["app:helpdesk:ticket.read"])).session, "SELECT subject FROM ticket WHERE subject = 'seed ticket'");
    expect(res.rows).toEqual([["seed ticket"]]);
    const narrowed = await sql(sessionFor(userOf(admin, [])).session, "SELECT subject FROM ticket");
    expect(narrowed.rows).toEqual([]);
  });

  it("writes as a permitted user, returning rows; values come back as JSON (int8/numeric strings, ISO timestamps, json objects)", async () => {
    const s = sessionFor(userOf(admin)).session;
    const ins = await sql(s, "INSERT INTO ticket (subject, priority) VALUES ($1, $2) RETURNING subject, priority", ["sql insert", 4]);
    expect(ins).toMatchObject({ columns: ["subject", "priority"], rows: [["sql insert", 4]], row_count: 1 });
    const plain = await sql(s, "UPDATE ticket SET priority = 5 WHERE subject = $1", ["sql insert"]);
    expect(plain).toMatchObject({ columns: [], rows: [], row_count: 1 });
    const v = await sql(s, `SELECT 9007199254740993::int8 AS a, 1.50::numeric AS b, '2026-11-23 10:00:00.123456+00'::timestamptz AS c,
      '{"x":[1,"y"]}'::jsonb AS d, '2026-01-02'::date AS e, 'NaN'::float8 AS f, 2.5::float8 AS g, '2026-01-02 03:04:05'::timestamp AS h, NULL AS i`);
    expect(v.error).toBeUndefined();
    const row = (v.rows as unknown[][])[0]!;
    expect(row.slice(0, 2)).toEqual(["9007199254740993", "1.50"]);
    expect(row[2]).toMatch(/^2026-11-23T\d\d:00:00\.123456[+-]\d\d:\d\d$/);
    expect(Date.parse(row[2] as string)).toBe(Date.parse("2026-11-23T10:00:00.123Z"));
    expect(row.slice(3)).toEqual([{ x: [1, "y"] }, "2026-01-02", "NaN", 2.5, "2026-01-02T03:04:05", null]);
  });

  it("parameters are typed by PostgreSQL", async () => {
    const res = await sql(sessionFor(userOf(admin)).session, "SELECT $1::int + 1 AS n, $2 AS t, $3::jsonb -> 'a' AS j", [41, "text", { a: [true] }]);
    expect(res.rows).toEqual([[42, "text", [true]]]);
  });

  it("two statements in one call are refused by PostgreSQL's extended protocol, and neither runs", async () => {
    const s = sessionFor(userOf(admin)).session;
    const res = await sql(s, "INSERT INTO ticket (subject) VALUES ('two statements'); SELECT 1");
    expect(res.error).toBe("one statement per call: the text holds more than one SQL statement");
    expect(await subjects("two statements")).toEqual([]);
  });

  it("1000 rows are fine; 1001 are an error, and a million rows are stopped, not read", async () => {
    const s = sessionFor(userOf(admin)).session;
    const ok = await sql(s, "SELECT g FROM generate_series(1, 1000) g");
    expect(ok.row_count).toBe(1000);
    expect((ok.rows as unknown[][])[999]).toEqual([1000]);
    expect((await sql(s, "SELECT g FROM generate_series(1, 1001) g")).error).toBe("statement returned more than 1000 rows; add LIMIT");
    const started = Date.now();
    const big = await sql(s, "SELECT g, repeat('x', 100) FROM generate_series(1, 1000000) g");
    expect(big.error).toBe("statement returned more than 1000 rows; add LIMIT");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("an answer over 900 KiB is refused as too large", async () => {
    const res = await sql(sessionFor(userOf(admin)).session, "SELECT repeat('x', 1000) FROM generate_series(1, 1000)");
    expect(res.error).toBe("result too large: more than 900 KiB; select fewer rows or columns");
  });

  it("a write whose answer breaks a limit is rolled back", async () => {
    const s = sessionFor(userOf(admin)).session;
    const res = await sql(s, "INSERT INTO ticket (subject) SELECT 'limit ' || g FROM generate_series(1, 1001) g RETURNING id");
    expect(res.error).toBe("statement returned more than 1000 rows; add LIMIT");
    expect(await subjects("limit %")).toEqual([]);
  });
});

describe("statements refused before PostgreSQL", () => {
  const refused: [string, RegExp][] = [
    ["DROP TABLE helpdesk.reply", /^statement refused: DROP — schema changes \(DROP\) belong in the app's migrations$/],
    ["drop table reply", /^statement refused: DROP — schema changes \(DROP\) belong in the app's migrations$/],
    ["DrOp TaBlE reply", /^statement refused: DROP — schema changes \(DROP\) belong in the app's migrations$/],
    ["/* hello */ drop table reply", /^statement refused: DROP — schema changes \(DROP\) belong in the app's migrations$/],
    ["/* outer /* nested */ still comment */ DROP TABLE reply", /^statement refused: DROP — schema changes \(DROP\) belong in the app's migrations$/],
    ["-- comment\n  DROP TABLE reply", /^statement refused: DROP — schema changes \(DROP\) belong in the app's migrations$/],
    ["((drop table reply))", /^statement refused: DROP — schema changes \(DROP\) belong in the app's migrations$/],
    ["SET ROLE postgres", /^statement refused: SET — session settings \(SET\) are fixed by the Core$/],
    ["set local rootcx.claims = 'x'", /^statement refused: SET — session settings \(SET\) are fixed by the Core$/],
    ["RESET ROLE", /^statement refused: RESET — (?!only SELECT)/],
    ["COPY ticket TO STDOUT", /^statement refused: COPY — COPY is not allowed; use INSERT or SELECT$/],
    ["DO $$ BEGIN PERFORM 1; END $$", /^statement refused: DO — anonymous code blocks \(DO\) are not allowed$/],
    ["BEGIN", /^statement refused: BEGIN — transaction control/],
    ["commit", /^statement refused: COMMIT — (?!only SELECT)/],
    ["CREATE TABLE x (a int)", /^statement refused: CREATE — (?!only SELECT)/],
    ["ALTER TABLE ticket ADD COLUMN z int", /^statement refused: ALTER — (?!only SELECT)/],
    ["TRUNCATE ticket", /^statement refused: TRUNCATE — (?!only SELECT)/],
    ["GRANT ALL ON ticket TO PUBLIC", /^statement refused: GRANT — (?!only SELECT)/],
    ["REVOKE ALL ON ticket FROM PUBLIC", /^statement refused: REVOKE — (?!only SELECT)/],
    ["VACUUM ticket", /^statement refused: VACUUM — (?!only SELECT)/],
    ["REINDEX TABLE ticket", /^statement refused: REINDEX — (?!only SELECT)/],
    ["LISTEN x", /^statement refused: LISTEN — only SELECT, WITH, INSERT/],
    ["NOTIFY x", /^statement refused: NOTIFY — only/],
    ["PREPARE p AS SELECT 1", /^statement refused: PREPARE — only/],
    ["LOCK TABLE ticket", /^statement refused: LOCK — only/],
    ["EXPLAIN ANALYZE SELECT 1", /^statement refused: EXPLAIN — only/],
    ["CALL p()", /^statement refused: CALL — only/],
    ["", /^statement refused: it does not start with an SQL keyword/],
    ["/* only a comment */", /^statement refused: it does not start with an SQL keyword/],
  ];

  it("refuses each with the rule's reason, without taking a governed connection, in ctx.sql and in transactions", async () => {
    const s = sessionFor(userOf(admin)).session;
    const counter = countGoverned();
    try {
      for (const [text, reason] of refused) {
        const res = await sql(s, text);
        expect(res.error, text).toMatch(reason);
        expect(res.rows, text).toBeUndefined();
      }
      expect(counter.count).toBe(0);
    } finally {
      counter.restore();
    }
    const tx = (await begin(s)).tx_id;
    const inTx = countGoverned();
    try {
      expect((await exec(s, tx, "DROP TABLE reply")).error).toMatch(/^statement refused: DROP — schema changes \(DROP\) belong in the app's migrations$/);
      expect(inTx.count).toBe(0);
    } finally {
      inTx.restore();
    }
    // The refusal did not abort the transaction: nothing reached PostgreSQL.
    expect((await exec(s, tx, "SELECT 1 AS one")).rows).toEqual([[1]]);
    expect((await commit(s, tx)).error).toBeUndefined();
    const { rows } = await core.core.db.pool.query("SELECT to_regclass('helpdesk.reply') IS NOT NULL AS present");
    expect(rows[0].present).toBe(true);
  });

  it("allowed statements start with SELECT, WITH, INSERT, UPDATE, DELETE, VALUES, TABLE or MERGE, after comments and parentheses", async () => {
    const s = sessionFor(userOf(admin)).session;
    for (const text of ["(SELECT 1)", "-- c\n/* d */ with x AS (SELECT 1) SELECT * FROM x", "VALUES (1)", "table ticket LIMIT 0"]) {
      expect((await sql(s, text)).error, text).toBeUndefined();
    }
  });

  it("functions that would escape the executor fail in PostgreSQL", async () => {
    const s = sessionFor(userOf(admin)).session;
    const attempts: [string, RegExp][] = [
      ["SELECT set_config('role', 'postgres', false)", /permission denied for function set_config/],
      ["SELECT set_config('rootcx.claims', 'forged', true)", /permission denied for function set_config/],
      ["SELECT pg_read_file('/etc/passwd')", /permission denied for function pg_read_file/],
      ["SELECT lo_import('/etc/passwd')", /permission denied for function lo_import/],
      ["SELECT lo_from_bytea(0, 'x'::bytea)", /permission denied for function lo_from_bytea/],
      ["SELECT lo_create(0)", /permission denied for function lo_create/],
      ["SELECT dblink_connect('dbname=postgres')", /function dblink_connect\(unknown\) does not exist/],
      ["SELECT pg_terminate_backend(1)", /permission denied for function pg_terminate_backend/],
      ["SELECT * FROM rootcx_system.claims_key", /permission denied for table claims_key/],
      ["SELECT 1 AS a INTO TEMP leak", /permission denied to create temporary tables/],
      ["SELECT 1 AS a INTO helpdesk.leak", /permission denied for schema helpdesk/],
      ["SELECT lowrite(lo_open(1, 131072), 'x')", /permission denied for function (lowrite|lo_open)/],
      ["SELECT lo_get(1)", /permission denied for function lo_get/],
    ];
    for (const [text, reason] of attempts) expect(String((await sql(s, text)).error), text).toMatch(reason);
  });
});

describe("rate limit", () => {
  it("allows 100 statements per second per worker, shared by sql_query and sql_exec", async () => {
    const h = sessionFor(userOf(admin));
    const tx = (await begin(h.session)).tx_id;
    // Refused statements count too, and take no connection: the limit is checked first.
    const queries = Array.from({ length: 120 }, () => sql(h.session, "DROP TABLE reply"));
    const execs = Array.from({ length: 30 }, () => exec(h.session, tx, "DROP TABLE reply"));
    const answers = await Promise.all([...queries, ...execs]);
    const limited = answers.filter((a) => a.error === "rate limit: 100 statements per second");
    expect(limited).toHaveLength(50);
    expect(answers.filter((a) => String(a.error).startsWith("statement refused"))).toHaveLength(100);
    // Another worker has its own budget.
    expect((await sql(sessionFor(userOf(admin)).session, "SELECT 1 AS one")).rows).toEqual([[1]]);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await exec(h.session, tx, "SELECT 1 AS one")).rows).toEqual([[1]]);
    expect((await rollback(h.session, tx)).error).toBeUndefined();
  });
});

describe("concurrent statements", () => {
  it("one worker runs at most 4 statements at once and all workers together at most 6, so the Data API keeps connections", async () => {
    const workers = [1, 2, 3].map(() => sessionFor(userOf(admin)).session);
    const seen = { total: 0, perWorker: [0, 0, 0] };
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const { rows } = await core.core.db.pool.query<{ query: string }>("SELECT query FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(0.4), %'");
        seen.total = Math.max(seen.total, rows.length);
        workers.forEach((_, i) => (seen.perWorker[i] = Math.max(seen.perWorker[i]!, rows.filter((r) => r.query.includes(`'w${i}'`)).length)));
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    const answers = await Promise.all(workers.flatMap((w, i) => Array.from({ length: 6 }, () => sql(w, `SELECT pg_sleep(0.4), 'w${i}' AS w`))));
    polling = false;
    await poll;
    expect(answers.filter((a) => a.error !== undefined)).toEqual([]);
    expect(seen.total).toBeGreaterThan(0);
    expect(seen.total).toBeLessThanOrEqual(6);
    for (const n of seen.perWorker) expect(n).toBeLessThanOrEqual(4);
  });
});

describe("transactions", () => {
  it("commit keeps, rollback leaves nothing", async () => {
    const s = sessionFor(userOf(admin)).session;
    const b = await begin(s);
    expect(b).toMatchObject({ type: "sql_begin_result", id: seq });
    expect(b.tx_id).toMatch(/^[0-9a-f]{32}$/);
    expect((await exec(s, b.tx_id, "INSERT INTO ticket (subject) VALUES ($1) RETURNING subject", ["tx kept"])).rows).toEqual([["tx kept"]]);
    // Inside the transaction its own write is visible; outside, not yet.
    expect((await exec(s, b.tx_id, "SELECT count(*) FROM ticket WHERE subject = 'tx kept'")).rows).toEqual([["1"]]);
    expect(await subjects("tx kept")).toEqual([]);
    expect(await commit(s, b.tx_id)).toEqual({ type: "sql_end_result", id: seq });
    expect(await subjects("tx kept")).toEqual(["tx kept"]);

    const r = (await begin(s)).tx_id;
    await exec(s, r, "INSERT INTO ticket (subject) VALUES ('tx dropped')");
    await exec(s, r, "UPDATE ticket SET subject = 'tx renamed' WHERE subject = 'tx kept'");
    expect(await rollback(s, r)).toEqual({ type: "sql_end_result", id: seq });
    expect(await subjects("tx %")).toEqual(["tx kept"]);
  });

  it("one open transaction per worker; tx_id mismatch; no open transaction", async () => {
    const s = sessionFor(userOf(admin)).session;
    expect((await exec(s, "nope", "SELECT 1")).error).toBe("no open transaction");
    expect((await commit(s, "nope")).error).toBe("no open transaction");
    const [first, second] = await Promise.all([begin(s), begin(s)]);
    expect([first!.error, second!.error].filter(Boolean)).toEqual(["a transaction is already open"]);
    const tx = (first!.tx_id ?? second!.tx_id) as string;
    expect((await exec(s, "0".repeat(32), "SELECT 1")).error).toBe("tx_id mismatch");
    expect((await commit(s, "0".repeat(32))).error).toBe("tx_id mismatch");
    expect((await rollback(s, tx)).error).toBeUndefined();
    expect((await rollback(s, tx)).error).toBe("no open transaction");
  });

  it("a statement error aborts it: later execs answer that error, commit rolls back and says so", async () => {
    const s = sessionFor(userOf(admin)).session;
    const tx = (await begin(s)).tx_id;
    await exec(s, tx, "INSERT INTO ticket (subject) VALUES ('aborted tx')");
    expect((await exec(s, tx, "SELECT 1/0")).error).toBe("division by zero");
    expect((await exec(s, tx, "SELECT 1")).error).toBe("division by zero");
    expect((await commit(s, tx)).error).toBe("the transaction was rolled back: division by zero");
    expect(await subjects("aborted tx")).toEqual([]);
    const next = await begin(s);
    expect(next.error).toBeUndefined();
    expect((await rollback(s, next.tx_id)).error).toBeUndefined();
  });

  it("runs as the worker's identity: a reader's write in a transaction is refused", async () => {
    const s = sessionFor(userOf(reader)).session;
    const tx = (await begin(s)).tx_id;
    expect((await exec(s, tx, "SELECT count(*) > 0 AS seen FROM ticket")).rows).toEqual([[true]]);
    expect((await exec(s, tx, "INSERT INTO ticket (subject) VALUES ('reader tx')")).error).toMatch(/^permission denied: new row violates row-level security/);
    expect((await commit(s, tx)).error).toMatch(/^the transaction was rolled back: permission denied/);
    expect(await subjects("reader tx")).toEqual([]);
  });

  it("expires after its wall time: rolled back, and later messages say so", async () => {
    const s = sessionFor(userOf(admin), { txWallMs: 300 }).session;
    const tx = (await begin(s)).tx_id;
    await exec(s, tx, "INSERT INTO ticket (subject) VALUES ('expired tx')");
    await new Promise((r) => setTimeout(r, 500));
    expect((await exec(s, tx, "SELECT 1")).error).toBe("transaction expired (0.3 s)");
    expect((await commit(s, tx)).error).toBe("transaction expired (0.3 s)");
    expect(await subjects("expired tx")).toEqual([]);
    // An expired transaction is no longer open: a new one may begin.
    const next = await begin(s);
    expect(next.error).toBeUndefined();
    expect((await rollback(s, next.tx_id)).error).toBeUndefined();
  });

  it("close() (the worker exited) rolls back at once and ends the session", async () => {
    const s = sessionFor(userOf(admin)).session;
    const tx = (await begin(s)).tx_id;
    await exec(s, tx, "INSERT INTO ticket (subject) VALUES ('closed tx')");
    await s.close();
    expect(await subjects("closed tx")).toEqual([]);
    expect((await sql(s, "SELECT 1")).error).toBe("the worker's data session is closed");
  });

  it("at most 8 held transactions across the Core: the ninth waits briefly, then is refused; a freed slot serves it", async () => {
    const held: { s: WorkerDataSession; tx: unknown }[] = [];
    for (let i = 0; i < 8; i++) {
      const s = sessionFor(userOf(admin), { slotWaitMs: 200 }).session;
      const b = await begin(s);
      expect(b.error).toBeUndefined();
      held.push({ s, tx: b.tx_id });
    }
    const ninth = sessionFor(userOf(admin), { slotWaitMs: 200 }).session;
    const started = Date.now();
    expect((await begin(ninth)).error).toBe("too many open transactions (at most 8 across the Core); retry later");
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    // A waiting begin gets the slot a commit frees.
    const waiting = sessionFor(userOf(admin), { slotWaitMs: 5_000 }).session;
    const pending = begin(waiting);
    await new Promise((r) => setTimeout(r, 50));
    expect((await commit(held[0]!.s, held[0]!.tx)).error).toBeUndefined();
    const granted: WorkerReply = await pending;
    expect(granted.error).toBeUndefined();
    expect((await rollback(waiting, granted.tx_id)).error).toBeUndefined();
    for (const h of held.slice(1)) expect((await rollback(h.s, h.tx)).error).toBeUndefined();
    expect((await begin(ninth)).error).toBeUndefined();
    await ninth.close();
  });
});

describe("ctx.collection", () => {
  it("insert, find, findOne, update and list as a permitted user, with the Data API's value checks", async () => {
    const s = sessionFor(userOf(admin)).session;
    const ins = await coll(s, "insert", "ticket", { subject: "coll one", priority: "2", tags: ["a"] });
    expect(ins).toMatchObject({ type: "collection_op_result", id: seq, result: { subject: "coll one", priority: 2, tags: ["a"], status: "open" } });
    const id = (ins.result as { id: string }).id;
    expect((await coll(s, "find", "ticket", { subject: "coll one" })).result).toEqual([ins.result]);
    expect((await coll(s, "findOne", "ticket", { id })).result).toEqual(ins.result);
    expect((await coll(s, "findOne", "ticket", { subject: "no such" })).result).toBeNull();
    expect((await coll(s, "findOne", "ticket", { due: null, subject: "coll one" })).result).toMatchObject({ id });
    const upd = await coll(s, "update", "ticket", { id, status: "closed" });
    expect(upd.result).toMatchObject({ id, status: "closed", subject: "coll one" });
    expect(((await coll(s, "list", "ticket")).result as unknown[]).length).toBeGreaterThanOrEqual(2);
    expect((await coll(s, "insert", "ticket", { subject: "bad", priority: "high" })).error).toBe('field "priority" expects a number, got "high"');
    expect((await coll(s, "update", "ticket", { status: "closed" })).error).toBe("collection update: data.id is required (the record's id)");
    expect((await coll(s, "find", "ticket", { nope: 1 })).error).toBe('unknown column "nope" for entity ticket');
    expect((await coll(s, "find", "ticket", [1])).error).toBe("collection find: data must be an object");
  });

  it("an unknown entity is named", async () => {
    expect((await coll(sessionFor(userOf(admin)).session, "find", "nope", {})).error).toBe("entity nope not found in app helpdesk");
  });

  it("without the read key find is empty (RLS); without the create key insert is refused with a readable sentence", async () => {
    const s = sessionFor(userOf(nobody)).session;
    expect((await coll(s, "find", "ticket", {})).result).toEqual([]);
    expect((await coll(s, "findOne", "ticket", {})).result).toBeNull();
    const ins = await coll(s, "insert", "ticket", { subject: "nobody wrote" });
    expect(ins.error).toMatch(/^permission denied: new row violates row-level security policy for table "ticket"/);
    expect(await subjects("nobody wrote")).toEqual([]);
  });

  it("the onStart bypass: the lifecycle worker reads and writes its own app until its first dispatch, then sees nothing", async () => {
    const h = sessionFor(SYSTEM_IDENTITY, {}, true);
    const ins = await coll(h.session, "insert", "ticket", { subject: "from onStart" });
    expect(ins.result).toMatchObject({ subject: "from onStart" });
    expect(((await coll(h.session, "find", "ticket", { subject: "seed ticket" })).result as unknown[]).length).toBe(1);
    // ctx.sql during onStart stays deny-all.
    expect((await sql(h.session, "SELECT count(*) FROM ticket")).rows).toEqual([["0"]]);
    // The bypass leaves no actor in the audit trail (spec §5).
    const { rows } = await core.core.db.pool.query("SELECT actor_uid, trigger_ref FROM rootcx_system.audit_log WHERE new_record->>'subject' = 'from onStart'");
    expect(rows).toEqual([{ actor_uid: null, trigger_ref: null }]);
    h.bypass.on = false;
    expect((await coll(h.session, "find", "ticket", {})).result).toEqual([]);
    expect((await coll(h.session, "insert", "ticket", { subject: "after onStart" })).error).toMatch(/^permission denied/);
    expect(await subjects("after onStart")).toEqual([]);
  });

  it("the bypass is the lifecycle worker's only: an anonymous worker with the flag set is still deny-all", async () => {
    const s = sessionFor(ANON_IDENTITY, {}, true).session;
    expect((await coll(s, "find", "ticket", {})).result).toEqual([]);
  });

  it("collection writes are audited with the worker's principal and the trigger `collection`", async () => {
    const s = sessionFor(userOf(admin)).session;
    await coll(s, "insert", "ticket", { subject: "audited coll" });
    await sql(s, "INSERT INTO ticket (subject) VALUES ('audited sql')");
    const tx = (await begin(s)).tx_id;
    await exec(s, tx, "INSERT INTO ticket (subject) VALUES ('audited tx')");
    await commit(s, tx);
    const { rows } = await core.core.db.pool.query(
      "SELECT new_record->>'subject' AS subject, actor_uid::text AS actor, trigger_ref FROM rootcx_system.audit_log WHERE new_record->>'subject' LIKE 'audited %' ORDER BY 1",
    );
    expect(rows).toEqual([
      { subject: "audited coll", actor: admin.userId, trigger_ref: "collection" },
      { subject: "audited sql", actor: admin.userId, trigger_ref: "app_sql" },
      { subject: "audited tx", actor: admin.userId, trigger_ref: "app_tx" },
    ]);
  });
});

describe("self_action and the rest", () => {
  const trigger = (s: WorkerDataSession, actionName: string, input?: unknown) =>
    s.handle({ type: "self_action", id: ++seq, action: "triggerAction", params: { actionName, input } });

  it("triggerAction runs a manifest action when the identity holds its key", async () => {
    const h = sessionFor(userOf(actor));
    expect(await trigger(h.session, "close_stale", { days: 30 })).toEqual({ type: "self_action_result", id: seq, result: { ran: "close_stale", input: { days: 30 } } });
    expect(h.calls).toEqual([{ name: "close_stale", input: { days: 30 } }]);
  });

  it("is refused without the key, for system and anon, and for an unknown action, without calling it", async () => {
    const none = sessionFor(userOf(nobody));
    expect((await trigger(none.session, "close_stale")).error).toBe("permission denied: calling action close_stale needs app:helpdesk:action:close_stale");
    const delegated = sessionFor(userOf(actor, ["app:helpdesk:ticket.read"]));
    expect((await trigger(delegated.session, "close_stale")).error).toBe("permission denied: calling action close_stale needs app:helpdesk:action:close_stale");
    const system = sessionFor(SYSTEM_IDENTITY, {}, true);
    expect((await trigger(system.session, "close_stale")).error).toMatch(/^no identity to act as/);
    const anon = sessionFor(ANON_IDENTITY);
    expect((await trigger(anon.session, "close_stale")).error).toMatch(/^no identity to act as/);
    const unknown = sessionFor(userOf(admin));
    expect((await trigger(unknown.session, "nope")).error).toBe("unknown action nope");
    expect([none, delegated, system, anon, unknown].flatMap((h) => h.calls)).toEqual([]);
  });

  it("integrations say they are not available; storage_upload answers a single-use upload URL; unknown and malformed messages are answered, not thrown", async () => {
    const s = sessionFor(userOf(admin)).session;
    for (const action of ["call_integration", "syncConnectedUsers"]) {
      expect((await s.handle({ type: "self_action", id: 1, action, params: {} })).error).toBe("not supported by this Core: integrations are not available");
    }
    expect(await s.handle({ type: "storage_upload", id: 2, name: "a.txt", content_type: "text/plain", size: 1 })).toEqual({
      type: "storage_upload_url",
      id: 2,
      url: expect.stringMatching(/^\/api\/v1\/storage\/upload\/[A-Za-z0-9_-]{43}$/),
    });
    expect((await s.handle({ type: "storage_upload", id: 8, name: "a.txt" })).error).toMatch(/^malformed storage_upload message: content_type: /);
    expect(await s.handle({ type: "bogus", id: 3 })).toEqual({ type: "bogus_result", id: 3, error: "unknown message type: bogus" });
    expect((await s.handle({ type: 7 as unknown as string, id: 6 })).error).toBe("unknown message type: 7");
    expect((await s.handle({ type: "sql_query", id: 4, sql: 42 })).error).toMatch(/^malformed sql_query message: sql: /);
    expect((await s.handle({ type: "collection_op", id: 5, op: "drop", entity: "ticket" })).error).toMatch(/^malformed collection_op message: op: /);
  });
});

it("the default limits are spec §4.4's", () => {
  expect(DEFAULT_LIMITS).toEqual({ txWallMs: 60_000, slotWaitMs: 2_000, statementsPerSecond: 100 });
});
