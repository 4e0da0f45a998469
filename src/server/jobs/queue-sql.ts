import type { Queryable } from "../db/queryable.ts";

/**
 * The dispatcher's SQL (migration 0023): claims, leases and outcomes. Every outcome is fenced by the claim's lease
 * token: a result arriving after the lease expired and the job was claimed again (here or on another Core) matches
 * no row and changes nothing.
 */

/** One claimed job, as the dispatcher runs it. */
export interface ClaimedJob {
  msgId: string;
  appId: string;
  payload: unknown;
  userId: string | null;
  lease: string;
  attempts: number;
  maxAttempts: number;
  /** When it became claimable (enqueue time, or its retry's time): the wait is measured from here. */
  runAt: Date;
}

/** The errors array with one more entry {attempt, at, error}, keeping the most recent 50. */
const appendError = (errorParam: string) => `(
  SELECT coalesce(jsonb_agg(e.value ORDER BY e.n), '[]'::jsonb)
    FROM jsonb_array_elements(errors || jsonb_build_array(jsonb_build_object('attempt', attempts, 'at', now(), 'error', ${errorParam}::text)))
         WITH ORDINALITY AS e(value, n)
   WHERE e.n > jsonb_array_length(errors) + 1 - 50)`;

const RELEASED = "locked_by = NULL, locked_until = NULL, lease = NULL";

/**
 * Claims up to `limit` claimable jobs in dispatch order (priority desc, run_at, msg_id), skipping rows another Core
 * holds (SKIP LOCKED) and apps this Core has no free slot for; within the batch an app gets at most its free slots.
 * Each claim counts an attempt and gets a fresh lease token.
 */
export async function claimJobs(
  db: Queryable,
  p: { coreId: string; limit: number; saturated: string[]; freeByApp: Record<string, number>; perApp: number; leaseMs: number },
): Promise<ClaimedJob[]> {
  const { rows } = await db.query<{ msg_id: string; app_id: string; payload: unknown; user_id: string | null; lease: string; attempts: number; max_attempts: number; run_at: Date; priority: number }>(
    `WITH locked AS MATERIALIZED (
       SELECT msg_id, app_id, priority, run_at FROM rootcx_system.jobs
        WHERE state IN ('queued', 'failed') AND run_at <= now() AND app_id <> ALL ($3::text[])
        ORDER BY priority DESC, run_at, msg_id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
     ), picked AS (
       SELECT r.msg_id FROM (
         SELECT l.msg_id, l.app_id,
                row_number() OVER (PARTITION BY l.app_id ORDER BY l.priority DESC, l.run_at, l.msg_id) AS rn
           FROM locked l) r
        WHERE r.rn <= coalesce(($4::jsonb ->> r.app_id)::integer, $5)
     )
     UPDATE rootcx_system.jobs j
        SET state = 'running', attempts = j.attempts + 1, started_at = now(), finished_at = NULL,
            locked_by = $1, locked_until = now() + $6 * interval '1 millisecond', lease = gen_random_uuid()
       FROM picked p
      WHERE j.msg_id = p.msg_id
     RETURNING j.msg_id::text AS msg_id, j.app_id, j.payload, j.user_id::text AS user_id, j.lease::text AS lease,
               j.attempts, j.max_attempts, j.run_at, j.priority`,
    [p.coreId, p.limit, p.saturated, JSON.stringify(p.freeByApp), p.perApp, p.leaseMs],
  );
  // RETURNING has no order: the batch is dispatched in the claim's order.
  rows.sort((a, b) => b.priority - a.priority || a.run_at.getTime() - b.run_at.getTime() || Number(BigInt(a.msg_id) - BigInt(b.msg_id)));
  return rows.map((r) => ({ msgId: r.msg_id, appId: r.app_id, payload: r.payload, userId: r.user_id, lease: r.lease, attempts: r.attempts, maxAttempts: r.max_attempts, runAt: r.run_at }));
}

/** Pushes the leases of the jobs this Core is running forward (they outlive the visibility timeout only while it lives). */
export async function extendLeases(db: Queryable, leases: string[], leaseMs: number): Promise<number> {
  if (leases.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE rootcx_system.jobs SET locked_until = now() + $2 * interval '1 millisecond'
      WHERE state = 'running' AND lease = ANY ($1::uuid[])`,
    [leases, leaseMs],
  );
  return rowCount ?? 0;
}

export type Outcome = "done" | "failed" | "dead" | "cancelled" | "queued";

/**
 * Successes, several in one statement: done (archived), or cancelled when a cancel arrived while it ran. A job
 * missing from the answer lost its lease (fenced out).
 */
export async function completeJobs(db: Queryable, done: { msgId: string; lease: string }[]): Promise<Map<string, Outcome>> {
  const { rows } = await db.query<{ msg_id: string; state: Outcome }>(
    `UPDATE rootcx_system.jobs j
        SET state = CASE WHEN j.cancel_requested THEN 'cancelled' ELSE 'done' END, finished_at = now(), ${RELEASED}
       FROM unnest($1::bigint[], $2::uuid[]) AS d(msg_id, lease)
      WHERE j.msg_id = d.msg_id AND j.lease = d.lease AND j.state = 'running'
     RETURNING j.msg_id::text AS msg_id, j.state`,
    [done.map((d) => d.msgId), done.map((d) => d.lease)],
  );
  return new Map(rows.map((r) => [r.msg_id, r.state]));
}

/**
 * A failed attempt: retried at now + `retryInMs` (state failed), or dead once its attempts are spent or the failure is
 * `permanent`; cancelled when a cancel arrived while it ran. Null: the lease was lost.
 */
export async function failJob(db: Queryable, p: { msgId: string; lease: string; error: string; retryInMs: number; permanent: boolean }): Promise<Outcome | null> {
  const { rows } = await db.query<{ state: Outcome }>(
    `WITH next AS (
       SELECT msg_id, CASE WHEN cancel_requested THEN 'cancelled' WHEN $5 OR attempts >= max_attempts THEN 'dead' ELSE 'failed' END AS state
         FROM rootcx_system.jobs WHERE msg_id = $1 AND lease = $2::uuid AND state = 'running'
     )
     UPDATE rootcx_system.jobs j
        SET state = next.state,
            run_at = CASE WHEN next.state = 'failed' THEN now() + $4 * interval '1 millisecond' ELSE j.run_at END,
            finished_at = CASE WHEN next.state = 'failed' THEN NULL ELSE now() END,
            last_error = $3, errors = ${appendError("$3")}, ${RELEASED}
       FROM next
      WHERE j.msg_id = next.msg_id
     RETURNING j.state`,
    [p.msgId, p.lease, p.error, p.retryInMs, p.permanent],
  );
  return rows[0]?.state ?? null;
}

/**
 * Gives a claim back without counting it (the app's workers are stopped by an administrator, or this Core is
 * stopping before it dispatched): queued again at now + `delayMs`.
 */
export async function releaseJob(db: Queryable, msgId: string, lease: string, delayMs: number): Promise<Outcome | null> {
  const { rows } = await db.query<{ state: Outcome }>(
    `UPDATE rootcx_system.jobs
        SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END,
            finished_at = CASE WHEN cancel_requested THEN now() ELSE NULL END,
            attempts = greatest(attempts - 1, 0), run_at = now() + $3 * interval '1 millisecond', ${RELEASED}
      WHERE msg_id = $1 AND lease = $2::uuid AND state = 'running'
     RETURNING state`,
    [msgId, lease, delayMs],
  );
  return rows[0]?.state ?? null;
}

/** Wakes every Core's dispatcher (LISTEN rootcx_jobs) for jobs of `appId` given back. */
export async function notifyJobs(db: Queryable, appId: string): Promise<void> {
  await db.query("SELECT pg_notify('rootcx_jobs', $1)", [appId]);
}

/**
 * Running jobs whose lease has run out (their Core died, or lost the database long enough) or that this Core
 * abandons (`leases`, at shutdown): claimable again at once with their attempt count, dead when it is spent,
 * cancelled when a cancel was asked. The error says why.
 */
export async function expireLeases(db: Queryable, p: { leases?: string[]; error: string; batch: number }): Promise<{ msgId: string; appId: string; state: Outcome }[]> {
  const which = p.leases ? "lease = ANY ($3::uuid[])" : "locked_until < now()";
  const { rows } = await db.query<{ msg_id: string; app_id: string; state: Outcome }>(
    `WITH expired AS (
       SELECT msg_id, CASE WHEN cancel_requested THEN 'cancelled' WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END AS state
         FROM rootcx_system.jobs WHERE state = 'running' AND ${which}
        ORDER BY locked_until LIMIT $2
        FOR UPDATE SKIP LOCKED
     )
     UPDATE rootcx_system.jobs j
        SET state = expired.state, run_at = CASE WHEN expired.state = 'queued' THEN now() ELSE j.run_at END,
            finished_at = CASE WHEN expired.state = 'queued' THEN NULL ELSE now() END,
            last_error = $1, errors = ${appendError("$1")}, ${RELEASED}
       FROM expired
      WHERE j.msg_id = expired.msg_id
     RETURNING j.msg_id::text AS msg_id, j.app_id, j.state`,
    p.leases ? [p.error, p.batch, p.leases] : [p.error, p.batch],
  );
  return rows.map((r) => ({ msgId: r.msg_id, appId: r.app_id, state: r.state }));
}

/** Milliseconds until the next queued or failed job becomes claimable (null: none waits). */
export async function nextDueInMs(db: Queryable): Promise<number | null> {
  const { rows } = await db.query<{ ms: number | null }>(
    `SELECT ceil(extract(epoch FROM min(run_at) - now()) * 1000)::float8 AS ms
       FROM rootcx_system.jobs WHERE state IN ('queued', 'failed')`,
  );
  return rows[0]?.ms ?? null;
}

/** Deletes one batch of done and cancelled jobs that ended more than `days` ago; says how many. */
export async function pruneArchived(db: Queryable, days: number, batch: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM rootcx_system.jobs WHERE msg_id IN (
       SELECT msg_id FROM rootcx_system.jobs
        WHERE state IN ('done', 'cancelled') AND finished_at < now() - $1 * interval '1 day'
        ORDER BY finished_at LIMIT $2
        FOR UPDATE SKIP LOCKED)`,
    [days, batch],
  );
  return rowCount ?? 0;
}

/** The owner a job runs as: e-mail and whether it is disabled (undefined: no such user any more). */
export async function jobOwner(db: Queryable, userId: string): Promise<{ email: string; disabled: boolean } | undefined> {
  const { rows } = await db.query<{ email: string; disabled: boolean }>(
    "SELECT email, disabled_at IS NOT NULL AS disabled FROM rootcx_system.users WHERE id = $1",
    [userId],
  );
  return rows[0];
}
