import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CoreProcesses, waitHealthy, type CoreProcess } from "./core-process.ts";
import { createTestDatabase, signUpAndIn, type Session, type TestDatabase } from "./harness.ts";
import { enqueue, installJobsApp, runs, waitState } from "./jobs-helpers.ts";
import { waitFor } from "./workers-helpers.ts";

// Cores as real processes on one database, so one can be killed with SIGKILL mid-job.
const VISIBILITY_MS = 2000;
const procs = new CoreProcesses();
let db: TestDatabase;
let pool: pg.Pool;
const keys = { ROOTCX_JWT_SECRET: randomBytes(32).toString("hex"), ROOTCX_MASTER_KEY: randomBytes(32).toString("hex") };

interface Node {
  proc: CoreProcess;
  url: string;
  dataDir: string;
  port: number;
}

async function startNode(at?: { dataDir: string; port: number; url: string }): Promise<Node> {
  const place = at ?? (await procs.fresh("rootcx-jobs-"));
  const proc = procs.start("core", {
    ...keys,
    DATABASE_URL: db.url,
    ROOTCX_DATA_DIR: place.dataDir,
    PORT: String(place.port),
    ROOTCX_JOB_VISIBILITY_MS: String(VISIBILITY_MS),
    ROOTCX_JOB_POLL_MS: "200",
    ROOTCX_JOB_BACKOFF_MS: "200",
  });
  await waitHealthy(place.url, proc);
  return { proc, ...place };
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});

afterEach(async () => {
  await procs.stopAll("SIGKILL");
});

afterAll(async () => {
  await procs.stopAll("SIGKILL");
  await procs.removeDirs();
  await pool?.end();
  await db?.drop();
});

const jobRows = async (appId: string) =>
  (await pool.query<{ msg_id: string; state: string; attempts: number; payload: { key: string }; errors: { error: string }[] }>(
    "SELECT msg_id::text, state, attempts, payload, errors FROM rootcx_system.jobs WHERE app_id = $1",
    [appId],
  )).rows;

describe("jobs across Core processes", () => {
  let admin: Session;

  it("redelivers a job whose Core was killed (SIGKILL) mid-job once a Core runs again; it completes exactly once", async () => {
    const node = await startNode();
    admin = await signUpAndIn(node, "admin@cluster.test");
    await installJobsApp(node, admin, "killcore", [node.dataDir]);
    const res = await enqueue(node, admin.accessToken, "killcore", { payload: { key: "k", sleepMs: 3000 } });
    expect(res.status).toBe(201);
    await waitFor("the job to start", async () => (await runs(pool, "killcore", "k")).length > 0, 30_000);
    node.proc.child.kill("SIGKILL");
    await node.proc.exit;
    const killedAt = Date.now();
    const again = await startNode(node);
    const done = await waitState(again, admin.accessToken, "killcore", res.body.msg_id, ["done"], 30_000);
    expect(done.attempts).toBe(2);
    expect(done.errors.map((e: { error: string }) => e.error)).toEqual(["lease expired: the Core or worker running it stopped answering within the visibility timeout"]);
    const r = await runs(pool, "killcore", "k");
    // The killed Core's worker died with it (its parent watch) before it could finish: one start each, one end.
    expect(r.map((x) => x.phase)).toEqual(["start", "start", "end"]);
    expect(r[1]!.created_at.getTime() - killedAt).toBeGreaterThanOrEqual(0);
  }, 120_000);

  it("two Cores on one database: every job is done exactly once under load, with one Core killed half-way", async () => {
    const a = await startNode();
    const b = await startNode();
    admin = await signUpAndIn(a, "admin@cluster.test");
    await installJobsApp(a, admin, "loadapp", [a.dataDir, b.dataDir]);
    const TOTAL = 300;
    // Three batches, each committed at once (enqueue_job in one statement), both Cores woken by NOTIFY.
    for (let batch = 0; batch < 3; batch++) {
      await pool.query(
        `SELECT rootcx_system.enqueue_job('loadapp', jsonb_build_object('key', 'j' || g, 'sleepMs', 60), $1::uuid)
           FROM generate_series($2::int, $3::int) g`,
        [admin.userId, batch * 100 + 1, batch * 100 + 100],
      );
      await sleep(150);
    }
    // Half-way, B dies with whatever it is running.
    await waitFor("half the jobs done", async () => (await jobRows("loadapp")).filter((j) => j.state === "done").length >= TOTAL / 2, 120_000).catch(async (err: unknown) => {
      const rows = await jobRows("loadapp");
      const by: Record<string, number> = {};
      for (const j of rows) by[j.state] = (by[j.state] ?? 0) + 1;
      throw new Error(`${String(err)}: ${JSON.stringify(by)} ${JSON.stringify(rows.find((j) => j.errors.length > 0)?.errors ?? [])}\nA: ${a.proc.output().slice(-3000)}`);
    });
    const beforeKill = await runs(pool, "loadapp");
    const pidsBeforeKill = new Set(beforeKill.map((r) => r.pid));
    b.proc.child.kill("SIGKILL");
    await b.proc.exit;

    const jobs = await waitFor("every job done", async () => {
      const rows = await jobRows("loadapp");
      return rows.length === TOTAL && rows.every((j) => j.state === "done") ? rows : undefined;
    }, 90_000);
    expect(jobs).toHaveLength(TOTAL);
    // Both Cores ran jobs before the kill (their workers are distinct processes).
    expect(pidsBeforeKill.size).toBeGreaterThanOrEqual(2);

    const all = await runs(pool, "loadapp");
    const ends = new Map<string, number>();
    const starts = new Map<string, number>();
    for (const r of all) (r.phase === "end" ? ends : starts).set(r.key, ((r.phase === "end" ? ends : starts).get(r.key) ?? 0) + 1);
    const redelivered = jobs.filter((j) => j.attempts > 1);
    for (const j of jobs) {
      // Every job finished at least once.
      expect(ends.get(j.payload.key) ?? 0, j.payload.key).toBeGreaterThanOrEqual(1);
      if (j.attempts === 1) {
        // Claimed once: it ran once — no double claim, whichever Core took it.
        expect(starts.get(j.payload.key), j.payload.key).toBe(1);
        expect(ends.get(j.payload.key), j.payload.key).toBe(1);
        expect(j.errors).toEqual([]);
      } else {
        // Redelivered only because its lease expired (the killed Core held it).
        expect(j.errors.map((e) => e.error)).toEqual(["lease expired: the Core or worker running it stopped answering within the visibility timeout"]);
      }
    }
    // At most what B held ran again: its claim window of 8 running and 8 ahead per app counts a success until it is written.
    expect(redelivered.length).toBeLessThanOrEqual(16);
  }, 180_000);
  it("a Core without the app's backend (its own data directory) leaves the app's jobs to the Core that has it; with none, they stay queued (F4)", async () => {
    const a = await startNode();
    const b = await startNode();
    admin = await signUpAndIn(a, "admin@cluster.test");
    // Deployed to A's data directory only: B shares the database, not the backend.
    await installJobsApp(a, admin, "onlya", [a.dataDir]);
    await pool.query(
      "SELECT rootcx_system.enqueue_job('onlya', jsonb_build_object('key', 'o' || g), $1::uuid) FROM generate_series(1, 40) g",
      [admin.userId],
    );
    const jobs = await waitFor("every job done", async () => {
      const rows = await jobRows("onlya");
      return rows.length === 40 && rows.every((j) => j.state === "done") ? rows : undefined;
    }, 60_000);
    // B took none to fail it: each ran at its first attempt, without an error.
    expect(jobs.map((j) => [j.payload.key, j.attempts, j.errors])).toEqual(jobs.map((j) => [j.payload.key, 1, []]));

    // No Core with the backend: B keeps the job queued, spending nothing.
    a.proc.child.kill("SIGKILL");
    await a.proc.exit;
    const { rows } = await pool.query<{ msg_id: string }>("SELECT rootcx_system.enqueue_job('onlya', '{\"key\": \"waits\"}', $1::uuid)::text AS msg_id", [admin.userId]);
    await sleep(1500);
    const waiting = (await jobRows("onlya")).find((j) => j.msg_id === rows[0]!.msg_id)!;
    expect({ state: waiting.state, attempts: waiting.attempts, errors: waiting.errors }).toEqual({ state: "queued", attempts: 0, errors: [] });
    expect(b.proc.child.exitCode).toBeNull();
  }, 120_000);
});
