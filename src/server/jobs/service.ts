import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { withTransaction } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";
import { actAs } from "../governance/actor.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { requirePermission } from "../governance/authorize.ts";
import { assertMayActAs } from "../identities/act-as.ts";
import { enqueueJob } from "./enqueue.ts";
import { visibleJob } from "./payload-visibility.ts";
import { LIVE_STATES, type EnqueueRequest, type JobState, type JobView, type ListPage, type StatsView } from "./schema.ts";
import * as sql from "./sql.ts";

/**
 * The job queue's service (spec §2.8 and beyond; docs/JOBS.md "Queue"), shared by REST and tRPC. Permissions:
 * enqueue `app:{id}:invoke` (as the original), list/get/stats `app:{id}:job.read`, retry/cancel/replay
 * `app:{id}:job.manage` (keys the original does not have: it lets any signed-in user list every app's queue).
 */

export const jobReadKey = (appId: string) => `app:${appId}:job.read`;
export const jobManageKey = (appId: string) => `app:${appId}:job.manage`;
const invokeKey = (appId: string) => `app:${appId}:invoke`;

/** Replays per call of replayDead (the rest stay dead for the next call). */
const REPLAY_MAX = 10_000;

async function requireInstalled(core: Core, appId: string): Promise<void> {
  if (!(await core.apps.get(appId))) throw new CoreError("NOT_FOUND", `app ${appId} not found`);
}

/** Jobs as the caller may see them: an entity hook's records only with the entity's read key (payload-visibility.ts). */
async function shown(core: Core, principal: Principal, jobs: JobView[]): Promise<JobView[]> {
  if (!jobs.some((j) => j.source === "hook")) return jobs;
  const held = await core.auth.principals.permissions(principal.userId);
  return jobs.map((j) => visibleJob(j, held));
}

const showOne = async (core: Core, principal: Principal, job: JobView): Promise<JobView> => (await shown(core, principal, [job]))[0]!;

const notFound = (appId: string, msgId: string) => new CoreError("NOT_FOUND", `job ${msgId} not found in app ${appId}`);

/**
 * `POST /apps/{id}/jobs`: the job runs as the caller, or as `userId` when the caller may act as that user (act-as
 * delegation, identities/act-as.ts). An equal dedup key still live answers that job (`deduplicated`).
 */
export async function enqueue(core: Core, principal: Principal, appId: string, req: EnqueueRequest): Promise<{ msgId: string; deduplicated: boolean }> {
  await requirePermission(core, principal, invokeKey(appId));
  await requireInstalled(core, appId);
  const userId = req.userId ?? principal.userId;
  if (userId !== principal.userId) await assertMayActAs(core, principal.userId, userId, "job");
  const result = await enqueueJob(core.db.pool, {
    appId,
    payload: req.payload ?? {},
    userId,
    runAt: req.runAt,
    priority: req.priority,
    dedupKey: req.dedupKey,
    maxAttempts: req.maxAttempts,
    source: "api",
  });
  // This Core claims at once; the others hear the NOTIFY.
  if (!result.deduplicated) core.jobs.wake();
  return result;
}

export async function list(
  core: Core,
  principal: Principal,
  appId: string,
  p: { states?: JobState[]; limit?: number; before?: string },
): Promise<ListPage> {
  await requirePermission(core, principal, jobReadKey(appId));
  await requireInstalled(core, appId);
  const limit = p.limit ?? 100;
  const items = await shown(core, principal, await sql.listJobs(core.db.pool, appId, { states: p.states, limit, before: p.before }));
  return { items, nextCursor: items.length === limit ? items[items.length - 1]!.msgId : null };
}

/** The REST list's states: `state` if given, else done ones for `archived=true` (spec), else the live queue. */
export function restStates(state: JobState | undefined, archived: boolean): JobState[] {
  if (state) return [state];
  return archived ? ["done"] : LIVE_STATES;
}

export async function get(core: Core, principal: Principal, appId: string, msgId: string): Promise<JobView> {
  await requirePermission(core, principal, jobReadKey(appId));
  const job = await sql.getJob(core.db.pool, appId, msgId);
  if (!job) throw notFound(appId, msgId);
  return showOne(core, principal, job);
}

/** Runs `fn` on the locked job in an audited transaction; another app's job, or none, is a 404. */
async function change(core: Core, principal: Principal, appId: string, msgId: string, fn: (tx: Parameters<typeof sql.lockJob>[0], job: JobView) => Promise<JobView>): Promise<JobView> {
  await requirePermission(core, principal, jobManageKey(appId));
  try {
    return await withTransaction(core.db.pool, async (tx) => {
      await actAs(core, tx, principal.userId);
      const job = await sql.lockJob(tx, appId, msgId);
      if (!job) throw notFound(appId, msgId);
      return fn(tx, job);
    });
  } catch (err) {
    if ((err as { code?: unknown }).code === "23505") {
      throw new CoreError("CONFLICT", `job ${msgId} cannot run again now: another job of app ${appId} with its dedup_key is queued or running`);
    }
    throw err;
  }
}

/** Failed (retry now), dead or cancelled (start over) → queued. */
export async function retry(core: Core, principal: Principal, appId: string, msgId: string): Promise<JobView> {
  const job = await change(core, principal, appId, msgId, async (tx, job) => {
    if (job.state !== "failed" && job.state !== "dead" && job.state !== "cancelled") {
      throw new CoreError("CONFLICT", `job ${msgId} is ${job.state}: only failed, dead or cancelled jobs can be retried`);
    }
    const next = await sql.requeue(tx, msgId);
    await recordAdminEvent(tx, { action: "job.retry", target: msgId, before: { app_id: appId, state: job.state, attempts: job.attempts } });
    return next;
  });
  core.jobs.wake();
  return showOne(core, principal, job);
}

/** Queued or failed → cancelled; running → cancelled when its worker answers (the worker is not interrupted). */
export async function cancel(core: Core, principal: Principal, appId: string, msgId: string): Promise<JobView> {
  const job = await change(core, principal, appId, msgId, async (tx, job) => {
    if (job.state !== "queued" && job.state !== "failed" && job.state !== "running") {
      throw new CoreError("CONFLICT", `job ${msgId} is ${job.state}: only queued, failed or running jobs can be cancelled`);
    }
    const next = await sql.cancel(tx, msgId);
    await recordAdminEvent(tx, { action: "job.cancel", target: msgId, before: { app_id: appId, state: job.state } });
    return next;
  });
  return showOne(core, principal, job);
}

/** `POST /apps/{id}/jobs/dead/replay`: every dead job of the app queued again with a full set of attempts. */
export async function replayDead(core: Core, principal: Principal, appId: string): Promise<{ replayed: number; msgIds: string[] }> {
  await requirePermission(core, principal, jobManageKey(appId));
  await requireInstalled(core, appId);
  const msgIds = await withTransaction(core.db.pool, async (tx) => {
    await actAs(core, tx, principal.userId);
    const ids = await sql.replayDead(tx, appId, REPLAY_MAX);
    if (ids.length > 0) await recordAdminEvent(tx, { action: "job.replay", target: appId, after: { app_id: appId, replayed: ids.length, msg_ids: ids.slice(0, 100) } });
    return ids;
  });
  core.jobs.wake();
  return { replayed: msgIds.length, msgIds };
}

/** Counts now, per-minute rates over the window (every minute present, zeros included), wait and run percentiles. */
export async function stats(core: Core, principal: Principal, appId: string, windowMinutes = 60): Promise<StatsView> {
  await requirePermission(core, principal, jobReadKey(appId));
  await requireInstalled(core, appId);
  const lastMinute = Math.floor(Date.now() / 60_000) * 60_000;
  const since = new Date(lastMinute - (windowMinutes - 1) * 60_000);
  const [counts, minutes, t] = await Promise.all([
    sql.countByState(core.db.pool, appId),
    sql.minuteSeries(core.db.pool, appId, since),
    sql.timings(core.db.pool, appId, since),
  ]);
  const byMinute = new Map(minutes.map((m) => [m.at.getTime(), m]));
  const series = Array.from({ length: windowMinutes }, (_, i) => {
    const at = since.getTime() + i * 60_000;
    const m = byMinute.get(at);
    return { at: new Date(at).toISOString(), enqueued: m?.enqueued ?? 0, done: m?.done ?? 0, failed: m?.failed ?? 0, dead: m?.dead ?? 0 };
  });
  const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    counts: { queued: 0, running: 0, done: 0, failed: 0, dead: 0, cancelled: 0, ...counts },
    series,
    waitMs: { p50: round(t.wait[0]), p99: round(t.wait[1]) },
    runMs: { p50: round(t.run[0]), p99: round(t.run[1]) },
  };
}
