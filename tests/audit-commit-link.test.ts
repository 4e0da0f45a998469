import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../src/server/governance/audit.ts";
import type { WorkerDataContext, WorkerReply } from "../src/server/workers/contracts.ts";
import { WorkerDataSession } from "../src/server/workers/data-access.ts";
import { helpdesk } from "./fixtures/manifests.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

// Migration 0015: audited rows join the hash chain when their transaction commits, so one app's open
// transaction (a worker may hold one for 60 s) never stalls the audited writes of everyone else.

let core: TestCore;
let second: TestCore;
let admin: Session;
/** The same administrator signed in on the second Core (each Core signs its own tokens). */
let adminOnSecond: Session;
const open: WorkerDataSession[] = [];

function sessionOn(c: TestCore, appId: string): WorkerDataSession {
  const ctx: WorkerDataContext = {
    appId,
    identity: { kind: "user", userId: admin.userId, email: admin.email },
    bypassActive: () => false,
    callAction: async () => ({}),
  };
  const s = new WorkerDataSession(c.core, ctx);
  open.push(s);
  return s;
}

let seq = 0;
/** A held worker transaction that has made `subjects.length` audited inserts and is left open. */
async function holdOpen(s: WorkerDataSession, subjects: string[]): Promise<unknown> {
  const begun: WorkerReply = await s.handle({ type: "sql_begin", id: ++seq });
  expect(begun.error).toBeUndefined();
  for (const subject of subjects) {
    const ins = await s.handle({ type: "sql_exec", id: ++seq, tx_id: begun.tx_id, sql: "INSERT INTO ticket (subject) VALUES ($1)", params: [subject] });
    expect(ins.error).toBeUndefined();
  }
  return begun.tx_id;
}
async function commit(s: WorkerDataSession, tx: unknown): Promise<void> {
  expect((await s.handle({ type: "sql_commit", id: ++seq, tx_id: tx })).error).toBeUndefined();
}

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await f();
  return { ms: performance.now() - started, value };
}

/** The audit ids of the rows recording these ticket subjects, in chain order. */
async function auditIds(subjects: string[]): Promise<number[]> {
  const { rows } = await core.core.db.pool.query<{ id: string }>(
    "SELECT a.id::text AS id FROM rootcx_system.audit_log a WHERE a.operation = 'INSERT' AND a.new_record ->> 'subject' = ANY ($1) ORDER BY a.id",
    [subjects],
  );
  return rows.map((r) => Number(r.id));
}

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@audit-link.test");
  for (const appId of ["helpdesk", "other"]) {
    const res = await api(core, "POST", "/api/v1/apps", helpdesk({ appId, name: appId }), admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  second = await startTestCore({ database: core.database, env: { ROOTCX_MASTER_KEY: core.core.config.masterKey.toString("hex") } });
  adminOnSecond = await signUpAndIn(second, admin.email);
}, 60_000);
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await second?.dispose();
  await core?.dispose();
});

describe("an open transaction with an audited write", () => {
  it("does not stall another app's Data API insert, a role change or a secret", async () => {
    const held = sessionOn(core, "helpdesk");
    const tx = await holdOpen(held, ["held open 1"]);
    const holdMs = 10_000;
    const released = new Promise<void>((resolve) => setTimeout(resolve, holdMs));
    try {
      const insert = await timed(() => api(core, "POST", "/api/v1/apps/other/collections/ticket", { subject: "while held" }, admin.accessToken));
      expect(insert.value.status, JSON.stringify(insert.value.body)).toBe(201);
      expect(insert.ms).toBeLessThan(2000);
      const role = await timed(() => api(core, "POST", "/api/v1/roles", { name: "while-held", permissions: ["app:other:ticket.read"] }, admin.accessToken));
      expect(role.value.status, JSON.stringify(role.value.body)).toBe(200);
      expect(role.ms).toBeLessThan(2000);
      const secret = await timed(() => api(core, "POST", "/api/v1/apps/other/secrets", { key: "WHILE_HELD", value: "v" }, admin.accessToken));
      expect(secret.value.status, JSON.stringify(secret.value.body)).toBe(200);
      expect(secret.ms).toBeLessThan(2000);
      // The other Core process shares the chain: its writes do not wait either.
      const remote = await timed(() => api(second, "POST", "/api/v1/apps/other/collections/ticket", { subject: "while held, second Core" }, adminOnSecond.accessToken));
      expect(remote.value.status, JSON.stringify(remote.value.body)).toBe(201);
      expect(remote.ms).toBeLessThan(2000);
    } finally {
      await released;
      await commit(held, tx);
    }
    // Rows join the chain in commit order: the held insert, committed last, comes after the others.
    const [whileHeld, whileHeldSecond, heldRow] = await Promise.all([auditIds(["while held"]), auditIds(["while held, second Core"]), auditIds(["held open 1"])]);
    expect(heldRow).toHaveLength(1);
    expect(heldRow[0]).toBeGreaterThan(Math.max(...whileHeld, ...whileHeldSecond));
    expect(await verifyAuditChain(core.core.db.pool)).toMatchObject({ ok: true });
  }, 30_000);
});

describe("the chain under concurrent writers", () => {
  it("links the rows of interleaved transactions, long and short, on two Core processes, each contiguous in commit order", async () => {
    const cores = [core, second];
    const longTx = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const s = sessionOn(cores[i % 2]!, i % 2 ? "other" : "helpdesk");
        const subjects = [0, 1, 2].map((j) => `long ${i}.${j}`);
        return { s, subjects, tx: await holdOpen(s, subjects) };
      }),
    );
    const rolledBack = sessionOn(core, "helpdesk");
    const rbTx = await holdOpen(rolledBack, ["rolled back"]);
    // Short writers through the Data API of both Cores run and commit while the long ones stay open.
    const short = Array.from({ length: 30 }, (_, i) => `short ${i}`);
    await Promise.all(
      short.map(async (subject, i) => {
        const res = await api(cores[i % 2]!, "POST", `/api/v1/apps/${i % 3 ? "helpdesk" : "other"}/collections/ticket`, { subject }, (i % 2 ? adminOnSecond : admin).accessToken);
        expect(res.status, JSON.stringify(res.body)).toBe(201);
      }),
    );
    // The long ones commit in an order different from the one they began in, two of them at once.
    await commit(longTx[2]!.s, longTx[2]!.tx);
    expect((await rolledBack.handle({ type: "sql_rollback", id: ++seq, tx_id: rbTx })).error).toBeUndefined();
    await Promise.all([commit(longTx[0]!.s, longTx[0]!.tx), commit(longTx[3]!.s, longTx[3]!.tx)]);
    await commit(longTx[1]!.s, longTx[1]!.tx);

    const shortIds = await auditIds(short);
    expect(shortIds).toHaveLength(short.length);
    const blocks = await Promise.all(longTx.map((t) => auditIds(t.subjects)));
    for (const ids of blocks) {
      expect(ids).toHaveLength(3);
      // One transaction's rows are linked together, under one lock, with nothing of another in between.
      expect(ids[2]! - ids[0]!).toBe(2);
      expect(ids[0]!).toBeGreaterThan(Math.max(...shortIds));
    }
    expect(blocks[2]![0]!).toBeLessThan(Math.min(blocks[0]![0]!, blocks[3]![0]!));
    expect(blocks[1]![0]!).toBeGreaterThan(Math.max(blocks[0]![0]!, blocks[3]![0]!));
    expect(await auditIds(["rolled back"])).toEqual([]);
    const pending = await core.core.db.pool.query<{ n: string }>("SELECT count(*)::text AS n FROM rootcx_system.audit_pending");
    expect(pending.rows[0]!.n).toBe("0");
    expect(await verifyAuditChain(core.core.db.pool)).toMatchObject({ ok: true });
  }, 60_000);
});

describe("savepoints", () => {
  it("a transaction whose first audited change was rolled back to a savepoint still links the later ones at commit", async () => {
    const c = await core.core.db.pool.connect();
    try {
      await c.query("BEGIN; SAVEPOINT a");
      await c.query("INSERT INTO helpdesk.ticket (subject) VALUES ('savepoint undone')");
      await c.query("ROLLBACK TO a");
      await c.query("INSERT INTO helpdesk.ticket (subject) VALUES ('savepoint kept 1'), ('savepoint kept 2')");
      await c.query("COMMIT");
      // And on the same pooled connection, the next transaction queues its own link.
      await c.query("INSERT INTO helpdesk.ticket (subject) VALUES ('savepoint next')");
    } finally {
      c.release();
    }
    const kept = await auditIds(["savepoint kept 1", "savepoint kept 2", "savepoint next"]);
    expect(kept).toHaveLength(3);
    expect(await auditIds(["savepoint undone"])).toEqual([]);
    const pending = await core.core.db.pool.query<{ n: string }>("SELECT count(*)::text AS n FROM rootcx_system.audit_pending");
    expect(pending.rows[0]!.n).toBe("0");
    expect(await verifyAuditChain(core.core.db.pool)).toMatchObject({ ok: true });
  });
});

describe("a statement that runs out of time", () => {
  it("is answered 503 with Retry-After and a sentence, not as the caller's bad input", async () => {
    const locker = new pg.Client({ connectionString: core.database.url });
    await locker.connect();
    try {
      await locker.query("BEGIN; LOCK TABLE other.ticket IN ACCESS EXCLUSIVE MODE");
      const res = await api(core, "POST", "/api/v1/apps/other/collections/ticket", { subject: "behind a lock" }, admin.accessToken);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(res.body).toEqual({ error: "the database did not finish the statement in time; retry in a moment" });
    } finally {
      await locker.query("ROLLBACK");
      await locker.end();
    }
  }, 30_000);
});

describe("retention", () => {
  it("archives only the prefix older than the cut-off, though a long transaction's older change joined the chain later", async () => {
    const held = sessionOn(core, "helpdesk");
    const tx = await holdOpen(held, ["retention held"]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const cut = new Date();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await api(core, "POST", "/api/v1/apps/other/collections/ticket", { subject: "retention after cut" }, admin.accessToken)).status).toBe(201);
    await commit(held, tx);
    const [after] = await auditIds(["retention after cut"]);
    const [late] = await auditIds(["retention held"]);
    expect(late).toBeGreaterThan(after!);

    const res = await api(core, "POST", "/api/v1/audit/archive", { before: cut.toISOString() }, admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Number(res.body.through_id)).toBe(after! - 1);
    // The row changed after the cut-off stays, and so does the older one behind it in the chain.
    expect(await auditIds(["retention after cut", "retention held"])).toEqual([after, late]);
    expect(await verifyAuditChain(core.core.db.pool)).toMatchObject({ ok: true });
  }, 30_000);
});
