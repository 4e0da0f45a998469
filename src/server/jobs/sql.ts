import type { Queryable } from "../db/queryable.ts";
import type { JobState, JobView } from "./schema.ts";

/** The service's SQL (reads, retry, cancel, replay, stats) over rootcx_system.jobs (migration 0023). */

const COLUMNS = `msg_id::text AS msg_id, app_id, payload, user_id::text AS user_id, state, priority, run_at, attempts, max_attempts,
  dedup_key, source, source_id, last_error, errors, enqueued_at, started_at, finished_at, cancel_requested`;

interface JobRow {
  msg_id: string;
  app_id: string;
  payload: unknown;
  user_id: string | null;
  state: JobState;
  priority: number;
  run_at: Date;
  attempts: number;
  max_attempts: number;
  dedup_key: string | null;
  source: string;
  source_id: string | null;
  last_error: string | null;
  errors: { attempt: number; at: string; error: string }[];
  enqueued_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  cancel_requested: boolean;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toView(r: JobRow): JobView {
  return {
    msgId: r.msg_id,
    appId: r.app_id,
    payload: r.payload,
    userId: r.user_id,
    state: r.state,
    priority: r.priority,
    runAt: r.run_at.toISOString(),
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    dedupKey: r.dedup_key,
    source: r.source,
    sourceId: r.source_id,
    lastError: r.last_error,
    errors: r.errors,
    enqueuedAt: r.enqueued_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    cancelRequested: r.cancel_requested,
  };
}

/**
 * Newest first; `before` pages on msg_id. The ORDER BY names the table's column: a bare `msg_id` would be the text
 * output column of COLUMNS ("99" after "185"), which the bigint `before` filter does not follow, so pages skipped jobs.
 */
export async function listJobs(db: Queryable, appId: string, p: { states: JobState[] | undefined; limit: number; before: string | undefined }): Promise<JobView[]> {
  const { rows } = await db.query<JobRow>(
    `SELECT ${COLUMNS} FROM rootcx_system.jobs j
      WHERE app_id = $1 AND ($2::text[] IS NULL OR state = ANY ($2::text[])) AND ($3::bigint IS NULL OR j.msg_id < $3::bigint)
      ORDER BY j.msg_id DESC LIMIT $4`,
    [appId, p.states ?? null, p.before ?? null, p.limit],
  );
  return rows.map(toView);
}

export async function getJob(db: Queryable, appId: string, msgId: string): Promise<JobView | undefined> {
  const { rows } = await db.query<JobRow>(`SELECT ${COLUMNS} FROM rootcx_system.jobs WHERE app_id = $1 AND msg_id = $2::bigint`, [appId, msgId]);
  return rows[0] && toView(rows[0]);
}

/** Locks one job of the app for a change (retry, cancel). */
export async function lockJob(db: Queryable, appId: string, msgId: string): Promise<JobView | undefined> {
  const { rows } = await db.query<JobRow>(`SELECT ${COLUMNS} FROM rootcx_system.jobs WHERE app_id = $1 AND msg_id = $2::bigint FOR UPDATE`, [appId, msgId]);
  return rows[0] && toView(rows[0]);
}

/**
 * Queued again now: a failed job keeps its attempts (the retry only comes sooner); a dead or cancelled one starts
 * over with a full set of attempts. Wakes the dispatchers at commit.
 */
export async function requeue(db: Queryable, msgId: string): Promise<JobView> {
  const { rows } = await db.query<JobRow>(
    `UPDATE rootcx_system.jobs
        SET attempts = CASE WHEN state = 'failed' THEN attempts ELSE 0 END, state = 'queued', run_at = now(),
            finished_at = NULL, cancel_requested = false
      WHERE msg_id = $1::bigint
     RETURNING ${COLUMNS}`,
    [msgId],
  );
  await db.query("SELECT pg_notify('rootcx_jobs', $1)", [rows[0]!.app_id]);
  return toView(rows[0]!);
}

/** Queued or failed: cancelled now. Running: marked, and it ends as cancelled when its worker answers. */
export async function cancel(db: Queryable, msgId: string): Promise<JobView> {
  const { rows } = await db.query<JobRow>(
    `UPDATE rootcx_system.jobs
        SET state = CASE WHEN state = 'running' THEN 'running' ELSE 'cancelled' END,
            finished_at = CASE WHEN state = 'running' THEN finished_at ELSE now() END,
            cancel_requested = (state = 'running')
      WHERE msg_id = $1::bigint
     RETURNING ${COLUMNS}`,
    [msgId],
  );
  return toView(rows[0]!);
}

/**
 * Every dead job of the app queued again with a full set of attempts (at most `max` per call), except one whose
 * dedup key a live job holds; of several dead jobs sharing a key, the newest. Wakes the dispatchers at commit.
 */
export async function replayDead(db: Queryable, appId: string, max: number): Promise<string[]> {
  const { rows } = await db.query<{ msg_id: string }>(
    `WITH dead AS MATERIALIZED (
       SELECT msg_id, dedup_key FROM rootcx_system.jobs WHERE app_id = $1 AND state = 'dead'
        ORDER BY msg_id LIMIT $2 FOR UPDATE SKIP LOCKED
     ), chosen AS (
       SELECT DISTINCT ON (d.dedup_key IS NULL, coalesce(d.dedup_key, d.msg_id::text)) d.msg_id
         FROM dead d
        WHERE d.dedup_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM rootcx_system.jobs l
           WHERE l.app_id = $1 AND l.dedup_key = d.dedup_key AND l.state IN ('queued', 'running', 'failed'))
        ORDER BY d.dedup_key IS NULL, coalesce(d.dedup_key, d.msg_id::text), d.msg_id DESC
     )
     UPDATE rootcx_system.jobs j
        SET state = 'queued', attempts = 0, run_at = now(), finished_at = NULL, cancel_requested = false
       FROM chosen c
      WHERE j.msg_id = c.msg_id
     RETURNING j.msg_id::text AS msg_id`,
    [appId, max],
  );
  if (rows.length > 0) await db.query("SELECT pg_notify('rootcx_jobs', $1)", [appId]);
  return rows.map((r) => r.msg_id).sort((a, b) => Number(BigInt(a) - BigInt(b)));
}

export async function countByState(db: Queryable, appId: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ state: string; n: number }>(
    "SELECT state, count(*)::int AS n FROM rootcx_system.jobs WHERE app_id = $1 GROUP BY state",
    [appId],
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

export interface MinuteCounts {
  at: Date;
  enqueued: number;
  done: number;
  failed: number;
  dead: number;
}

/**
 * Per minute since `since`: jobs enqueued, done, dead (by when they ended) and failed attempts (by the errors'
 * times, which a retry or replay keeps). Minutes without any are absent.
 */
export async function minuteSeries(db: Queryable, appId: string, since: Date): Promise<MinuteCounts[]> {
  const { rows } = await db.query<{ at: Date; kind: "enqueued" | "done" | "dead" | "failed"; n: number }>(
    `SELECT date_trunc('minute', enqueued_at) AS at, 'enqueued' AS kind, count(*)::int AS n
       FROM rootcx_system.jobs WHERE app_id = $1 AND enqueued_at >= $2 GROUP BY 1
     UNION ALL
     SELECT date_trunc('minute', finished_at), state, count(*)::int
       FROM rootcx_system.jobs WHERE app_id = $1 AND finished_at >= $2 AND state IN ('done', 'dead') GROUP BY 1, 2
     UNION ALL
     SELECT date_trunc('minute', (e.value ->> 'at')::timestamptz), 'failed', count(*)::int
       FROM rootcx_system.jobs j CROSS JOIN LATERAL jsonb_array_elements(j.errors) AS e(value)
      WHERE j.app_id = $1 AND jsonb_array_length(j.errors) > 0 AND (j.finished_at IS NULL OR j.finished_at >= $2)
        AND (e.value ->> 'at')::timestamptz >= $2
      GROUP BY 1`,
    [appId, since],
  );
  const byMinute = new Map<number, MinuteCounts>();
  for (const r of rows) {
    const key = r.at.getTime();
    const m = byMinute.get(key) ?? { at: r.at, enqueued: 0, done: 0, failed: 0, dead: 0 };
    m[r.kind] += r.n;
    byMinute.set(key, m);
  }
  return [...byMinute.values()];
}

/** p50/p99 of wait (claimable → started) and run (started → done) of the jobs done since `since`, in ms. */
export async function timings(db: Queryable, appId: string, since: Date): Promise<{ wait: [number | null, number | null]; run: [number | null, number | null] }> {
  const { rows } = await db.query<{ wait: (number | null)[] | null; run: (number | null)[] | null }>(
    `SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - run_at) * 1000) AS wait,
            percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000) AS run
       FROM rootcx_system.jobs
      WHERE app_id = $1 AND state = 'done' AND finished_at >= $2 AND started_at IS NOT NULL`,
    [appId, since],
  );
  const pair = (v: (number | null)[] | null | undefined): [number | null, number | null] => [v?.[0] ?? null, v?.[1] ?? null];
  return { wait: pair(rows[0]?.wait), run: pair(rows[0]?.run) };
}
