import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Logger, makeWorkerUtils, run as runGraphile, type Runner, type WorkerUtils } from "graphile-worker";
import pg from "pg";
import PgBoss from "pg-boss";
import { freePort, startEmbeddedDatabase } from "../src/server/db/embedded.ts";
import { createLogger } from "../src/server/log.ts";
import { median, percentile, requestJson, removeOnFailure, ROOT, ROUNDS, startProcess, type Row, type ServerProcess } from "./lib.ts";

/**
 * The job queue end to end: jobs/s of a batch of no-op jobs through the Core's queue and a Bun worker's onJob, and
 * enqueue→start latency of single jobs on an idle queue, against pg-boss and graphile-worker running the same no-op
 * in this process, on the same PostgreSQL, one after the other. Each runs 8 jobs at once (the Core's default per app).
 * Latency is read from each queue's own database timestamps (enqueued → claimed), so all three use one clock.
 */

const APP = "jbench";
const BATCH = Number(process.env.BENCH_JOBS ?? 3000);
const SINGLES = Number(process.env.BENCH_JOB_SINGLES ?? 200);
const CONCURRENCY = 8;
const DEADLINE_MS = 180_000;

interface Measured {
  jobsPerSecond: number;
  latencyMs: number[];
}

async function until(what: string, probe: () => Promise<boolean>, everyMs: number): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`bench jobs: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The Core: a batch enqueued in one statement (enqueue_job over generate_series), done when every row is `done`. */
async function measureCore(pool: pg.Pool, userId: string): Promise<Measured> {
  const done = async (after: string) =>
    Number((await pool.query("SELECT count(*) FROM rootcx_system.jobs WHERE app_id = $1 AND msg_id > $2 AND state = 'done'", [APP, after])).rows[0].count);
  const high = async () => String((await pool.query("SELECT coalesce(max(msg_id), 0) AS m FROM rootcx_system.jobs")).rows[0].m);
  // Warm-up: the user's worker spawns on the first job.
  let base = await high();
  await pool.query("SELECT rootcx_system.enqueue_job($1, '{\"noop\":true}', $2::uuid) FROM generate_series(1, 50)", [APP, userId]);
  await until("the warm-up", async () => (await done(base)) === 50, 20);
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    base = await high();
    const t0 = performance.now();
    await pool.query("SELECT rootcx_system.enqueue_job($1, '{\"noop\":true}', $2::uuid) FROM generate_series(1, $3::int)", [APP, userId, BATCH]);
    await until("the Core's batch", async () => (await done(base)) === BATCH, 10);
    rates.push(BATCH / ((performance.now() - t0) / 1000));
  }
  const latencyMs: number[] = [];
  for (let i = 0; i < SINGLES; i++) {
    const { rows } = await pool.query<{ id: string }>("SELECT rootcx_system.enqueue_job($1, '{\"noop\":true}', $2::uuid)::text AS id", [APP, userId]);
    const id = rows[0]!.id;
    let ms: number | null = null;
    await until("a single job", async () => {
      const r = await pool.query<{ state: string; ms: number }>("SELECT state, extract(epoch FROM started_at - enqueued_at) * 1000 AS ms FROM rootcx_system.jobs WHERE msg_id = $1", [id]);
      if (r.rows[0]?.state !== "done") return false;
      ms = Number(r.rows[0].ms);
      return true;
    }, 2);
    latencyMs.push(ms!);
  }
  return { jobsPerSecond: median(rates), latencyMs };
}

/**
 * pg-boss: `CONCURRENCY` workers fetching `batchSize` jobs each, at its shortest polling interval (0.5 s). A pg-boss 10
 * worker waits for its next poll after every fetch, so its throughput is workers × batchSize per interval; the
 * bench runs it with batches of 1 (8 jobs in flight, as the others), 8 and 100.
 */
async function measurePgBoss(url: string, batchSize: number, jobs: number, singles: number): Promise<Measured> {
  const boss = new PgBoss({ connectionString: url, schema: "pgboss_bench", max: CONCURRENCY + 4 });
  boss.on("error", (err: unknown) => console.error("pg-boss:", err));
  await boss.start();
  const queue = `noop_${batchSize}`;
  await boss.createQueue(queue);
  const latencyMs: number[] = [];
  let recording = false;
  for (let w = 0; w < CONCURRENCY; w++) {
    await boss.work<object>(queue, { batchSize, pollingIntervalSeconds: 0.5, includeMetadata: true }, async (jobs) => {
      if (recording) for (const j of jobs) latencyMs.push(j.startedOn.getTime() - j.createdOn.getTime());
    });
  }
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const completed = async () => Number((await pool.query("SELECT count(*) FROM pgboss_bench.job WHERE name = $1 AND state = 'completed'", [queue])).rows[0].count);
  try {
    const rates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = await completed();
      const t0 = performance.now();
      await boss.insert(Array.from({ length: jobs }, () => ({ name: queue, data: { noop: true } })));
      await until("pg-boss's batch", async () => (await completed()) - before === jobs, 10);
      rates.push(jobs / ((performance.now() - t0) / 1000));
    }
    recording = true;
    for (let i = 0; i < singles; i++) {
      const before = await completed();
      await boss.send(queue, { noop: true });
      await until("a pg-boss single", async () => (await completed()) > before, 2);
    }
    return { jobsPerSecond: median(rates), latencyMs };
  } finally {
    await pool.end();
    await boss.stop({ graceful: false, wait: true });
  }
}

/** graphile-worker: concurrency `CONCURRENCY`, LISTEN/NOTIFY wake-ups, jobs deleted when done. */
async function measureGraphile(url: string): Promise<Measured> {
  const latencyMs: number[] = [];
  let recording = false;
  const runner: Runner = await runGraphile({
    connectionString: url,
    concurrency: CONCURRENCY,
    noHandleSignals: true,
    pollInterval: 2000,
    // Its default logger prints a line per job, which would cost it time the others do not spend.
    logger: new Logger(() => () => undefined),
    taskList: {
      noop: async (_payload, helpers) => {
        if (recording && helpers.job.locked_at) latencyMs.push(helpers.job.locked_at.getTime() - helpers.job.created_at.getTime());
      },
    },
  });
  const utils: WorkerUtils = await makeWorkerUtils({ connectionString: url, logger: new Logger(() => () => undefined) });
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const left = async () => Number((await pool.query("SELECT count(*) FROM graphile_worker._private_jobs")).rows[0].count);
  try {
    const rates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = performance.now();
      await utils.addJobs(Array.from({ length: BATCH }, () => ({ identifier: "noop", payload: { noop: true } })));
      await until("graphile-worker's batch", async () => (await left()) === 0, 10);
      rates.push(BATCH / ((performance.now() - t0) / 1000));
    }
    recording = true;
    for (let i = 0; i < SINGLES; i++) {
      await utils.addJob("noop", { noop: true });
      await until("a graphile-worker single", async () => (await left()) === 0, 2);
    }
    return { jobsPerSecond: median(rates), latencyMs };
  } finally {
    await pool.end();
    await utils.release();
    await runner.stop();
  }
}

export async function jobsBench(): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-bench-jobs-"));
  const db = await removeOnFailure(dataDir, startEmbeddedDatabase(dataDir, createLogger("warn")));
  let core: ServerProcess | undefined;
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  try {
    core = await startProcess(["--import", "tsx", "bench/auth-server.ts"], { ROOTCX_DATA_DIR: dataDir, DATABASE_URL: db.url, ROOTCX_JOB_CONCURRENCY_PER_APP: String(CONCURRENCY) }, await freePort());
    const credentials = { email: "admin@bench.local", password: "Bench-Password-2026" };
    await requestJson(core.url, "POST", "/api/v1/auth/register", credentials);
    const login = (await requestJson(core.url, "POST", "/api/v1/auth/login", credentials)) as { accessToken: string; user: { id: string } };
    await requestJson(core.url, "POST", "/api/v1/apps", {
      appId: APP,
      name: "Jobs bench",
      dataContract: [{ entityName: "run", fields: [{ name: "key", type: "text" }, { name: "phase", type: "text" }, { name: "pid", type: "number" }, { name: "who", type: "text" }] }],
    }, login.accessToken);
    cpSync(path.join(ROOT, "tests/fixtures/apps/jobs"), path.join(dataDir, "apps", APP), { recursive: true });

    const ours = await measureCore(pool, login.user.id);
    // Batches of 1 and 8 make ~16 and ~128 jobs/s by construction, so fewer jobs; each single waits for a poll (up to
    // 0.5 s), so fewer of those.
    const bossOne = await measurePgBoss(db.url, 1, Math.min(BATCH, 200), 0);
    const bossSmall = await measurePgBoss(db.url, CONCURRENCY, Math.min(BATCH, 1000), 0);
    const bossBatch = await measurePgBoss(db.url, 100, BATCH, Math.ceil(SINGLES / 4));
    const graphile = await measureGraphile(db.url);

    const p50 = (m: Measured) => percentile(m.latencyMs, 50);
    const p99 = (m: Measured) => percentile(m.latencyMs, 99);
    const allBossLatency = bossBatch.latencyMs;
    return [
      { metric: `jobs/s, ${BATCH} no-op jobs through a Bun worker (c${CONCURRENCY})`, value: ours.jobsPerSecond.toFixed(0), baseline: `${bossSmall.jobsPerSecond.toFixed(0)} (pg-boss, 8 workers × batchSize 8, in-process)`, ratio: (ours.jobsPerSecond / bossSmall.jobsPerSecond).toFixed(2), target: "≥ 1.00", pass: ours.jobsPerSecond >= bossSmall.jobsPerSecond },
      { metric: "jobs/s against pg-boss at 8 in flight", value: ours.jobsPerSecond.toFixed(0), baseline: `${bossOne.jobsPerSecond.toFixed(0)} (pg-boss, 8 workers × batchSize 1)`, ratio: (ours.jobsPerSecond / bossOne.jobsPerSecond).toFixed(2), target: "report", pass: true },
      { metric: "jobs/s against pg-boss in batches of 100", value: ours.jobsPerSecond.toFixed(0), baseline: `${bossBatch.jobsPerSecond.toFixed(0)} (pg-boss, 8 workers × batchSize 100)`, ratio: (ours.jobsPerSecond / bossBatch.jobsPerSecond).toFixed(2), target: "report", pass: true },
      { metric: "jobs/s against graphile-worker", value: ours.jobsPerSecond.toFixed(0), baseline: `${graphile.jobsPerSecond.toFixed(0)} (graphile-worker, in-process)`, ratio: (ours.jobsPerSecond / graphile.jobsPerSecond).toFixed(2), target: "report", pass: true },
      { metric: "enqueue→start p50, idle queue (ms)", value: p50(ours).toFixed(2), baseline: `${p50(graphile).toFixed(2)} (graphile-worker)`, ratio: (p50(ours) / p50(graphile)).toFixed(2), target: "≤ 1.00", pass: p50(ours) <= p50(graphile) },
      { metric: "enqueue→start p99, idle queue (ms)", value: p99(ours).toFixed(2), baseline: `${p99(graphile).toFixed(2)} (graphile-worker)`, ratio: (p99(ours) / p99(graphile)).toFixed(2), target: "report", pass: true },
      { metric: "enqueue→start p50/p99 of pg-boss (ms)", value: `${p50(ours).toFixed(2)} / ${p99(ours).toFixed(2)}`, baseline: `${percentile(allBossLatency, 50).toFixed(0)} / ${percentile(allBossLatency, 99).toFixed(0)} (pg-boss, 0.5 s polling)`, ratio: "-", target: "report", pass: true },
    ];
  } finally {
    await pool.end();
    await core?.stop();
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
