import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { enqueue, getJob, installJobsApp, runs, waitState } from "./jobs-helpers.ts";
import { collectLogs, waitFor } from "./workers-helpers.ts";
import { list as jobList, stats as jobStats } from "../src/server/jobs/service.ts";

// One Core, one job at a time per app and none claimed ahead (so order is observable), a short visibility timeout,
// poll and backoff.
const VISIBILITY_MS = 1500;
const BACKOFF_MS = 300;
const APP = "jobsq";
const OTHER = "jobsother";

let core: TestCore;
let pool: pg.Pool;
let admin: Session;
let user: Session;

beforeAll(async () => {
  core = await startTestCore({
    env: { ROOTCX_JOB_VISIBILITY_MS: String(VISIBILITY_MS), ROOTCX_JOB_POLL_MS: "200", ROOTCX_JOB_BACKOFF_MS: String(BACKOFF_MS), ROOTCX_JOB_CONCURRENCY_PER_APP: "1", ROOTCX_JOB_PREFETCH: "0" },
  });
  pool = new pg.Pool({ connectionString: core.database.url, max: 2 });
  admin = await signUpAndIn(core, "admin@jobs.test");
  user = await signUpAndIn(core, "user@jobs.test");
  await installJobsApp(core, admin, APP, [core.dataDir]);
  await installJobsApp(core, admin, OTHER, [core.dataDir]);
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await core?.dispose();
});

describe("the queue", () => {
  it("runs an enqueued job once on its owner's worker, archives it done, and lists it (spec §2.8 shapes)", async () => {
    const res = await enqueue(core, admin.accessToken, APP, { payload: { key: "basic" } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ msg_id: expect.stringMatching(/^\d+$/), deduplicated: false });
    const job = await waitState(core, admin.accessToken, APP, res.body.msg_id, ["done"]);
    expect(job).toMatchObject({ msg_id: res.body.msg_id, app_id: APP, payload: { key: "basic" }, user_id: admin.userId, read_ct: 1, attempts: 1, source: "api", last_error: null, errors: [] });
    expect(job.archived_at).toBe(job.finished_at);
    const r = await runs(pool, APP, "basic");
    expect(r.map((x) => x.phase)).toEqual(["start", "end"]);
    // The caller onJob got is the owner.
    expect(r[0]!.who).toBe(admin.email);

    const archived = await api(core, "GET", `/api/v1/apps/${APP}/jobs?archived=true`, undefined, admin.accessToken);
    expect(archived.status).toBe(200);
    expect(archived.body.map((j: { msg_id: string }) => j.msg_id)).toContain(res.body.msg_id);
    const live = await api(core, "GET", `/api/v1/apps/${APP}/jobs`, undefined, admin.accessToken);
    expect(live.body.map((j: { msg_id: string }) => j.msg_id)).not.toContain(res.body.msg_id);
  });

  it("retries with growing backoff, then dead after max_attempts; a replay of the dead runs it again to done", async () => {
    const res = await enqueue(core, admin.accessToken, APP, { payload: { key: "flaky", failTimes: 3 }, max_attempts: 3 });
    expect(res.status).toBe(201);
    const dead = await waitState(core, admin.accessToken, APP, res.body.msg_id, ["dead"]);
    expect(dead.attempts).toBe(3);
    expect(dead.last_error).toBe("planned failure 3 of 3");
    expect(dead.errors.map((e: { attempt: number; error: string }) => [e.attempt, e.error])).toEqual([
      [1, "planned failure 1 of 3"],
      [2, "planned failure 2 of 3"],
      [3, "planned failure 3 of 3"],
    ]);
    const starts = (await runs(pool, APP, "flaky")).filter((r) => r.phase === "start").map((r) => r.created_at.getTime());
    expect(starts).toHaveLength(3);
    // Retry n waits between half and all of BACKOFF·2^(n−1): ≥150 ms, then ≥300 ms.
    const gaps = [starts[1]! - starts[0]!, starts[2]! - starts[1]!];
    expect(gaps[0]).toBeGreaterThanOrEqual(BACKOFF_MS / 2);
    expect(gaps[1]).toBeGreaterThanOrEqual(BACKOFF_MS);

    const deadList = await api(core, "GET", `/api/v1/apps/${APP}/jobs?state=dead`, undefined, admin.accessToken);
    expect(deadList.body.map((j: { msg_id: string }) => j.msg_id)).toEqual([res.body.msg_id]);
    const replay = await api(core, "POST", `/api/v1/apps/${APP}/jobs/dead/replay`, undefined, admin.accessToken);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ replayed: 1, msg_ids: [res.body.msg_id] });
    const done = await waitState(core, admin.accessToken, APP, res.body.msg_id, ["done"]);
    expect(done.attempts).toBe(1);
    expect(done.errors).toHaveLength(3);
    expect((await runs(pool, APP, "flaky")).filter((r) => r.phase === "end")).toHaveLength(1);
  });

  it("holds a delayed job until run_at", async () => {
    const runAt = new Date(Date.now() + 1500);
    const res = await enqueue(core, admin.accessToken, APP, { payload: { key: "delayed" }, run_at: runAt.toISOString() });
    expect(res.status).toBe(201);
    await sleep(800);
    expect(await runs(pool, APP, "delayed")).toEqual([]);
    expect((await getJob(core, admin.accessToken, APP, res.body.msg_id)).body.state).toBe("queued");
    await waitState(core, admin.accessToken, APP, res.body.msg_id, ["done"]);
    const [start] = await runs(pool, APP, "delayed");
    expect(start!.created_at.getTime()).toBeGreaterThanOrEqual(runAt.getTime());
    // Started by the due timer, not the next 2 s poll: well within a second of run_at.
    expect(start!.created_at.getTime() - runAt.getTime()).toBeLessThan(1000);
  });

  it("runs higher priorities first", async () => {
    // A blocker holds the app's single slot while the others queue.
    const blocker = await enqueue(core, admin.accessToken, APP, { payload: { key: "prio-block", sleepMs: 700 } });
    await waitFor("the blocker to start", async () => (await runs(pool, APP, "prio-block")).length > 0);
    const ids: Record<string, string> = {};
    for (const [key, priority] of [["prio-low", 0], ["prio-high", 10], ["prio-mid", 5]] as const) {
      ids[key] = (await enqueue(core, admin.accessToken, APP, { payload: { key }, priority })).body.msg_id;
    }
    await waitState(core, admin.accessToken, APP, blocker.body.msg_id, ["done"]);
    for (const id of Object.values(ids)) await waitState(core, admin.accessToken, APP, id, ["done"]);
    const order = (await runs(pool, APP)).filter((r) => r.key.startsWith("prio-") && r.phase === "start").map((r) => r.key);
    expect(order).toEqual(["prio-block", "prio-high", "prio-mid", "prio-low"]);
  });

  it("deduplicates an equal key while its job is live, and not after", async () => {
    const runAt = new Date(Date.now() + 1000).toISOString();
    const first = await enqueue(core, admin.accessToken, APP, { payload: { key: "dedup" }, dedup_key: "k1", run_at: runAt });
    const second = await enqueue(core, admin.accessToken, APP, { payload: { key: "dedup", other: true }, dedup_key: "k1" });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ msg_id: first.body.msg_id, deduplicated: true });
    await waitState(core, admin.accessToken, APP, first.body.msg_id, ["done"]);
    const third = await enqueue(core, admin.accessToken, APP, { payload: { key: "dedup" }, dedup_key: "k1" });
    expect(third.status).toBe(201);
    expect(third.body.msg_id).not.toBe(first.body.msg_id);
    await waitState(core, admin.accessToken, APP, third.body.msg_id, ["done"]);
    expect((await runs(pool, APP, "dedup")).filter((r) => r.phase === "start")).toHaveLength(2);
  });

  it("cancels a queued job (it never runs) and a running one (it ends cancelled; the worker is not interrupted)", async () => {
    const queued = await enqueue(core, admin.accessToken, APP, { payload: { key: "cancel-q" }, run_at: new Date(Date.now() + 1000).toISOString() });
    const c1 = await api(core, "POST", `/api/v1/apps/${APP}/jobs/${queued.body.msg_id}/cancel`, undefined, admin.accessToken);
    expect(c1.status).toBe(200);
    expect(c1.body.state).toBe("cancelled");

    const running = await enqueue(core, admin.accessToken, APP, { payload: { key: "cancel-r", sleepMs: 800 } });
    await waitFor("the job to start", async () => (await runs(pool, APP, "cancel-r")).length > 0);
    const c2 = await api(core, "POST", `/api/v1/apps/${APP}/jobs/${running.body.msg_id}/cancel`, undefined, admin.accessToken);
    expect(c2.status).toBe(200);
    expect(c2.body).toMatchObject({ state: "running", cancel_requested: true });
    const ended = await waitState(core, admin.accessToken, APP, running.body.msg_id, ["cancelled", "done"]);
    expect(ended.state).toBe("cancelled");
    expect((await runs(pool, APP, "cancel-r")).map((r) => r.phase)).toEqual(["start", "end"]);

    await sleep(1300);
    expect(await runs(pool, APP, "cancel-q")).toEqual([]);
    const again = await api(core, "POST", `/api/v1/apps/${APP}/jobs/${running.body.msg_id}/cancel`, undefined, admin.accessToken);
    expect(again.status).toBe(409);
    expect(again.body.error).toBe(`job ${running.body.msg_id} is cancelled: only queued, failed or running jobs can be cancelled`);
    // A cancelled job can be retried, and then runs.
    const retried = await api(core, "POST", `/api/v1/apps/${APP}/jobs/${queued.body.msg_id}/retry`, undefined, admin.accessToken);
    expect(retried.status).toBe(200);
    await waitState(core, admin.accessToken, APP, queued.body.msg_id, ["done"]);
    expect((await runs(pool, APP, "cancel-q")).map((r) => r.phase)).toEqual(["start", "end"]);
  });

  it("redelivers a job whose worker was killed (SIGKILL) mid-job after the visibility timeout; it completes exactly once", async () => {
    const res = await enqueue(core, admin.accessToken, APP, { payload: { key: "kill-worker", sleepMs: 2500 } });
    const [start] = await waitFor("the job to start", async () => {
      const r = await runs(pool, APP, "kill-worker");
      return r.length > 0 ? r : undefined;
    });
    process.kill(start!.pid, "SIGKILL");
    const killedAt = Date.now();
    const done = await waitState(core, admin.accessToken, APP, res.body.msg_id, ["done"], 30_000);
    expect(done.attempts).toBe(2);
    expect(done.errors).toEqual([expect.objectContaining({ attempt: 1, error: "lease expired: the Core or worker running it stopped answering within the visibility timeout" })]);
    const r = await runs(pool, APP, "kill-worker");
    expect(r.map((x) => x.phase)).toEqual(["start", "start", "end"]);
    expect(r[1]!.pid).not.toBe(start!.pid);
    // Not retried at once on the crash: it waited for its lease to run out (extended at most VISIBILITY/3 before the kill).
    expect(r[1]!.created_at.getTime() - killedAt).toBeGreaterThanOrEqual((VISIBILITY_MS * 2) / 3 - 100);
  });

  it("runs a disabled owner's job on the anonymous worker (no caller) and refuses a deleted owner's (dead, with the reason)", async () => {
    const victim = await signUpAndIn(core, "victim@jobs.test");
    const logs = collectLogs(core, APP);
    // Due in 500 ms, so the owner is disabled before the job is claimed.
    const { rows } = await pool.query<{ msg_id: string }>("SELECT rootcx_system.enqueue_job($1, $2, $3, jsonb_build_object('runAt', now() + interval '500 milliseconds'))::text AS msg_id", [APP, { key: "disabled-owner" }, victim.userId]);
    await pool.query("UPDATE rootcx_system.users SET disabled_at = now() WHERE id = $1", [victim.userId]);
    // The deny-all anonymous worker cannot write the run table: the job fails, and we only need its first attempt.
    await waitFor("the job to have run", async () => (await getJob(core, admin.accessToken, APP, rows[0]!.msg_id)).body.attempts >= 1);
    const job = (await getJob(core, admin.accessToken, APP, rows[0]!.msg_id)).body;
    expect(await runs(pool, APP, "disabled-owner")).toEqual([]);
    await waitFor("the failed attempt", async () => (await getJob(core, admin.accessToken, APP, rows[0]!.msg_id)).body.errors.length >= 1);
    expect(job.user_id).toBe(victim.userId);
    // It went to the anonymous worker, not one of the victim's.
    expect(logs.entries.some((e) => /^worker started \(anon, pid \d+\)$/.test(e.message))).toBe(true);
    expect(logs.entries.some((e) => e.message.includes("victim@jobs.test"))).toBe(false);
    logs.stop();

    const ghost = "00000000-0000-4000-8000-000000000001";
    const { rows: g } = await pool.query<{ msg_id: string }>("SELECT rootcx_system.enqueue_job($1, $2, $3)::text AS msg_id", [APP, { key: "ghost" }, ghost]);
    const dead = await waitState(core, admin.accessToken, APP, g[0]!.msg_id, ["dead"]);
    expect(dead.last_error).toBe(`the job's owner (user ${ghost}) no longer exists`);
    expect(dead.attempts).toBe(1);
  });

  it("prunes done and cancelled jobs past the retention period, and nothing else", async () => {
    const res = await enqueue(core, admin.accessToken, APP, { payload: { key: "old" } });
    await waitState(core, admin.accessToken, APP, res.body.msg_id, ["done"]);
    await pool.query("UPDATE rootcx_system.jobs SET finished_at = now() - interval '8 days' WHERE msg_id = $1", [res.body.msg_id]);
    const before = Number((await pool.query("SELECT count(*) FROM rootcx_system.jobs")).rows[0].count);
    expect(await core.core.jobs.prune()).toBe(1);
    expect((await getJob(core, admin.accessToken, APP, res.body.msg_id)).status).toBe(404);
    expect(Number((await pool.query("SELECT count(*) FROM rootcx_system.jobs")).rows[0].count)).toBe(before - 1);
  });

  it("answers stats: counts per state, a point per minute, wait and run percentiles", async () => {
    const ids = [];
    for (const key of ["stats-1", "stats-2", "stats-3"]) ids.push((await enqueue(core, admin.accessToken, APP, { payload: { key } })).body.msg_id);
    ids.push((await enqueue(core, admin.accessToken, APP, { payload: { key: "stats-f", failTimes: 1 } })).body.msg_id);
    for (const id of ids) await waitState(core, admin.accessToken, APP, id, ["done"]);
    const principal = { userId: admin.userId, email: admin.email, sessionId: undefined, displayName: null, createdAt: new Date(0) };
    const s = await jobStats(core.core, principal, APP, 5);
    expect(s.series).toHaveLength(5);
    expect(s.counts.done).toBeGreaterThanOrEqual(4);
    expect(s.series.reduce((n, p) => n + p.enqueued, 0)).toBeGreaterThanOrEqual(4);
    expect(s.series.reduce((n, p) => n + p.done, 0)).toBeGreaterThanOrEqual(4);
    expect(s.series.reduce((n, p) => n + p.failed, 0)).toBeGreaterThanOrEqual(1);
    expect(s.waitMs.p50).not.toBeNull();
    expect(s.runMs.p99).toBeGreaterThan(0);
  });
});

describe("lists and payloads (prober findings F1, F2, F6)", () => {
  it("pages newest first by msg_id as a number, through every job (F2: as text, 8 of 185 were reached)", async () => {
    // Far in the future, so they stay queued; enough that the msg ids cross a power of ten.
    const { rows } = await pool.query<{ msg_id: string }>(
      "SELECT rootcx_system.enqueue_job($1, jsonb_build_object('n', n), NULL, jsonb_build_object('runAt', now() + interval '1 hour'))::text AS msg_id FROM generate_series(1, 120) n",
      [OTHER],
    );
    const want = rows.map((r) => r.msg_id).sort((a, b) => Number(BigInt(b) - BigInt(a)));
    expect(want.at(-1)!.length).toBeLessThan(want[0]!.length);
    const seen: string[] = [];
    let before: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await api(core, "GET", `/api/v1/apps/${OTHER}/jobs?state=queued&limit=7${before ? `&before=${before}` : ""}`, undefined, admin.accessToken);
      expect(res.status).toBe(200);
      if (res.body.length === 0) break;
      seen.push(...res.body.map((j: { msg_id: string }) => j.msg_id));
      before = seen[seen.length - 1];
    }
    expect(seen).toEqual(want);
    // tRPC's cursor pages the same way.
    const principal = { userId: admin.userId, email: admin.email, sessionId: undefined, displayName: null, createdAt: new Date(0) };
    const viaCursor: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await jobList(core.core, principal, OTHER, { states: ["queued"], limit: 13, before: cursor });
      viaCursor.push(...page.items.map((j) => j.msgId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(viaCursor).toEqual(want);
    await pool.query("DELETE FROM rootcx_system.jobs WHERE msg_id = ANY ($1::bigint[])", [want]);
  });

  it("shows an entity hook job's records only to a reader of the entity; others see a marker naming the key (F1)", async () => {
    const record = { id: "r1", key: "secret-row", phase: "start" };
    const hookPayload = { _hook: true, hook_id: "00000000-0000-4000-8000-0000000000aa", entity: "run", operation: "UPDATE", record_id: "r1", record, old_record: { ...record, phase: "old" }, action_type: "job", action_config: {} };
    const { rows } = await pool.query<{ msg_id: string }>(
      "SELECT rootcx_system.enqueue_job($1, $2, NULL, jsonb_build_object('runAt', now() + interval '1 hour', 'source', 'hook', 'sourceId', 'h1'))::text AS msg_id",
      [APP, hookPayload],
    );
    const msgId = rows[0]!.msg_id;
    const role = async (name: string, permissions: string[]) => expect((await api(core, "POST", "/api/v1/roles", { name, permissions }, admin.accessToken)).status).toBe(200);
    await role("jobsq_job_reader", [`app:${APP}:job.read`]);
    await role("jobsq_run_reader", [`app:${APP}:job.read`, `app:${APP}:run.read`]);
    const reader = await signUpAndIn(core, "jobreader@jobs.test");
    const entityReader = await signUpAndIn(core, "runreader@jobs.test");
    for (const [who, r] of [[reader, "jobsq_job_reader"], [entityReader, "jobsq_run_reader"]] as const) {
      expect((await api(core, "POST", "/api/v1/roles/assign", { userId: who.userId, role: r }, admin.accessToken)).status).toBe(200);
    }
    const marker = `[hidden: requires app:${APP}:run.read]`;
    const masked = { ...hookPayload, record: marker, old_record: marker };
    const listed = async (token: string) => (await api(core, "GET", `/api/v1/apps/${APP}/jobs?state=queued`, undefined, token)).body.find((j: { msg_id: string }) => j.msg_id === msgId)?.payload;
    expect((await getJob(core, reader.accessToken, APP, msgId)).body.payload).toEqual(masked);
    expect(await listed(reader.accessToken)).toEqual(masked);
    expect((await getJob(core, entityReader.accessToken, APP, msgId)).body.payload).toEqual(hookPayload);
    expect(await listed(entityReader.accessToken)).toEqual(hookPayload);
    expect((await getJob(core, admin.accessToken, APP, msgId)).body.payload).toEqual(hookPayload);
    // An API job's payload is its enqueuer's own, shown as it is.
    const api1 = await enqueue(core, admin.accessToken, APP, { payload: { record: "mine" }, run_at: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await getJob(core, reader.accessToken, APP, api1.body.msg_id)).body.payload).toEqual({ record: "mine" });
    await pool.query("DELETE FROM rootcx_system.jobs WHERE msg_id = ANY ($1::bigint[])", [[msgId, api1.body.msg_id]]);
  });

  it("refuses a null body or payload and __proto__ keys, and names an unknown key (F6)", async () => {
    const cases: [unknown, string][] = [
      [null, "the body must be a JSON object {payload?, user_id?, run_at?, priority?, dedup_key?, max_attempts?}"],
      [{ payload: null }, "payload: payload must not be null: leave it out for {}"],
      [{ extra: 1 }, 'unknown key "extra": the body takes {payload?, user_id?, run_at?, priority?, dedup_key?, max_attempts?}'],
      [JSON.parse('{"payload": {"__proto__": {"x": 1}}}'), 'payload: payload cannot have the key "__proto__"'],
      [JSON.parse('{"payload": {"a": [{"__proto__": 1}]}}'), 'payload: payload.a[0] cannot have the key "__proto__"'],
    ];
    for (const [body, error] of cases) {
      const r = await api(core, "POST", `/api/v1/apps/${APP}/jobs`, body === null ? "null" : JSON.stringify(body), admin.accessToken);
      expect({ body, status: r.status, error: r.body.error }).toEqual({ body, status: 400, error });
    }
    // An empty body is still {} (spec payload?={}).
    const empty = await api(core, "POST", `/api/v1/apps/${APP}/jobs`, undefined, admin.accessToken);
    expect(empty.status).toBe(201);
    expect((await getJob(core, admin.accessToken, APP, empty.body.msg_id)).body.payload).toEqual({});
  });
});

describe("refusals", () => {
  it("refuses act-as without a delegation, and callers without the app's keys, with the reason", async () => {
    const asOther = await enqueue(core, admin.accessToken, APP, { payload: {}, user_id: user.userId });
    expect(asOther.status).toBe(403);
    expect(asOther.body.error).toBe(`job may not run as user ${user.userId}: a person may not act as another person`);
    const noInvoke = await enqueue(core, user.accessToken, APP, { payload: {} });
    expect(noInvoke.status).toBe(403);
    expect(noInvoke.body.error).toBe(`permission required: app:${APP}:invoke`);
    const noRead = await api(core, "GET", `/api/v1/apps/${APP}/jobs`, undefined, user.accessToken);
    expect(noRead.status).toBe(403);
    expect(noRead.body.error).toBe(`permission required: app:${APP}:job.read`);
    const noManage = await api(core, "POST", `/api/v1/apps/${APP}/jobs/dead/replay`, undefined, user.accessToken);
    expect(noManage.status).toBe(403);
    expect(noManage.body.error).toBe(`permission required: app:${APP}:job.manage`);
    const anonymous = await enqueue(core, "", APP, { payload: {} });
    expect(anonymous.status).toBe(401);
  });

  it("answers 404 for unknown ids and for another app's jobs, 400 for hostile input", async () => {
    const mine = await enqueue(core, admin.accessToken, APP, { payload: { key: "mine" } });
    const viaOther = await getJob(core, admin.accessToken, OTHER, mine.body.msg_id);
    expect(viaOther.status).toBe(404);
    expect(viaOther.body.error).toBe(`job ${mine.body.msg_id} not found in app ${OTHER}`);
    const retryOther = await api(core, "POST", `/api/v1/apps/${OTHER}/jobs/${mine.body.msg_id}/retry`, undefined, admin.accessToken);
    expect(retryOther.status).toBe(404);
    expect((await getJob(core, admin.accessToken, APP, "999999999")).status).toBe(404);
    const noApp = await enqueue(core, admin.accessToken, "nosuchapp", {});
    expect(noApp.status).toBe(404);
    expect(noApp.body.error).toBe("app nosuchapp not found");

    const bad: [string, string, string, unknown, RegExp][] = [
      ["GET", `/api/v1/apps/${APP}/jobs/abc`, "", undefined, /msgId must be a job's msg_id/],
      ["GET", `/api/v1/apps/${APP}/jobs/1;DROP%20TABLE%20x`, "", undefined, /msgId must be a job's msg_id/],
      ["GET", `/api/v1/apps/${APP}/jobs/99999999999999999999`, "", undefined, /msgId must be a job's msg_id/],
      ["GET", `/api/v1/apps/${APP}/jobs/-1`, "", undefined, /msgId must be a job's msg_id/],
      ["GET", `/api/v1/apps/${APP}/jobs?state=zombie`, "", undefined, /state must be one of/],
      ["GET", `/api/v1/apps/${APP}/jobs?limit=5000`, "", undefined, /limit must be a whole number between 1 and 1000/],
      ["GET", `/api/v1/apps/Robert'%3B--/jobs`, "", undefined, /./],
      ["POST", `/api/v1/apps/${APP}/jobs`, "", "not json{", /./],
      ["POST", `/api/v1/apps/${APP}/jobs`, "", [1, 2], /the body must be a JSON object/],
      ["POST", `/api/v1/apps/${APP}/jobs`, "", { priority: 1.5 }, /priority must be a whole number/],
      ["POST", `/api/v1/apps/${APP}/jobs`, "", { priority: "high" }, /priority must be a whole number/],
      ["POST", `/api/v1/apps/${APP}/jobs`, "", { max_attempts: 0 }, /max_attempts must be a whole number between 1 and 100/],
      ["POST", `/api/v1/apps/${APP}/jobs`, "", { run_at: "tomorrow" }, /run_at must be an ISO 8601 date-time/],
      ["POST", `/api/v1/apps/${APP}/jobs`, "", { run_at: "2999-01-01T00:00:00Z" }, /run_at must be at most a year ahead/],
      ["POST", `/api/v1/apps/${APP}/jobs`, "", { user_id: "'; DROP TABLE users; --" }, /user_id must be a user's id/],
      ["POST", `/api/v1/apps/${APP}/jobs`, "", { dedup_key: "" }, /dedup_key must be 1 to 256 characters/],
      ["POST", `/api/v1/apps/${APP}/jobs`, "", { payload: {}, sneaky: 1 }, /unknown key "sneaky": the body takes \{payload\?, user_id\?/],
      ["POST", `/api/v1/apps/${APP}/jobs`, "", { payload: { big: "x".repeat(1_000_000) } }, /payload must be at most 1000000 bytes|too large/],
    ];
    for (const [method, path, , body, message] of bad) {
      const r = await api(core, method, path, body, admin.accessToken);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 80)}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${method} ${path}`).toBeLessThan(500);
      expect(r.body.error, `${method} ${path}`).toMatch(message);
    }
    // Concurrent retries of one cancelled job: one wins, the others answer 409, none a 5xx.
    const res = await enqueue(core, admin.accessToken, APP, { payload: { key: "race" }, run_at: new Date(Date.now() + 60_000).toISOString() });
    expect((await api(core, "POST", `/api/v1/apps/${APP}/jobs/${res.body.msg_id}/cancel`, undefined, admin.accessToken)).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 6 }, () => api(core, "POST", `/api/v1/apps/${APP}/jobs/${res.body.msg_id}/retry`, undefined, admin.accessToken)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
  });
});
