import type { Queryable } from "../db/queryable.ts";

/** The leader's advisory lock: one scheduler per database. */
export const LEADER_LOCK_SQL = "SELECT pg_advisory_lock(hashtextextended('rootcx_system.crons', 0))";

/** The earliest instant owed by any enabled cron (null when there is none). */
export async function earliestOwed(db: Queryable): Promise<Date | null> {
  const { rows } = await db.query<{ at: Date | null }>(
    "SELECT min(next_fire_at) AS at FROM rootcx_system.crons WHERE enabled AND next_fire_at IS NOT NULL",
  );
  return rows[0]?.at ?? null;
}

/** Ids of the crons due at `now`, most overdue first. */
export async function dueCronIds(db: Queryable, now: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM rootcx_system.crons
      WHERE enabled AND next_fire_at IS NOT NULL AND next_fire_at <= $1
      ORDER BY next_fire_at LIMIT $2`,
    [now, limit],
  );
  return rows.map((r) => r.id);
}

/**
 * Why a cron (`c`) may not run as its run_as now, or NULL: the user is gone, or the cron runs as someone other than
 * its creator and that person's act-as delegation to the creator no longer stands. Asked at every fire and trigger,
 * as consent can be withdrawn after the cron was made.
 */
export const RUN_AS_REFUSAL = `CASE
              WHEN c.run_as IS NULL THEN 'the user this schedule runs as no longer exists; it was not run'
              WHEN c.run_as IS DISTINCT FROM c.created_by AND NOT EXISTS (
                SELECT 1 FROM rootcx_system.delegations d
                 WHERE d.delegator_uid = c.run_as AND d.delegatee_uid = c.created_by AND d.trigger_type = 'act_as'
                   AND d.revoked_at IS NULL AND (d.expires_at IS NULL OR d.expires_at > now()))
                THEN 'the act-as delegation from the user this schedule runs as to its creator no longer stands; it was not run'
            END`;

export interface DueCron {
  id: string;
  app_id: string;
  name: string;
  schedule: string;
  timezone: string;
  payload: Record<string, unknown>;
  overlap_policy: "skip" | "queue";
  run_as: string | null;
  next_fire_at: Date;
  /** Why a tick must not run as run_as now, or null: checked at every fire, as consent can be withdrawn. */
  refusal: string | null;
}

/**
 * Locks a cron that is still due (an edit or another leader may have moved it since it was listed) and says whether
 * its run_as may still run: the user exists, and if the cron was made to run as someone other than its creator,
 * that person's act-as delegation to the creator still stands.
 */
export async function lockDue(db: Queryable, id: string, now: Date): Promise<DueCron | undefined> {
  const { rows } = await db.query<DueCron>(
    `SELECT c.id, c.app_id, c.name, c.schedule, c.timezone, c.payload, c.overlap_policy, c.run_as, c.next_fire_at,
            ${RUN_AS_REFUSAL} AS refusal
      FROM rootcx_system.crons c
      WHERE c.id = $1 AND c.enabled AND c.next_fire_at IS NOT NULL AND c.next_fire_at <= $2
        FOR UPDATE OF c SKIP LOCKED`,
    [id, now],
  );
  return rows[0];
}

export type TickStatus = "scheduled" | "failed" | "skipped" | "missed";

/** Records a tick; undefined when it is already recorded (by this or another leader): then it must not fire. */
export async function insertTick(db: Queryable, t: { cronId: string; at: Date; status: TickStatus; message: string | null; firedAt: Date | null }): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO rootcx_system.cron_runs (cron_id, scheduled_at, status, message, fired_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (cron_id, scheduled_at) DO NOTHING
     RETURNING id::text`,
    [t.cronId, t.at, t.status, t.message, t.firedAt],
  );
  return rows[0]?.id;
}

export async function settleTick(db: Queryable, runId: string, status: "skipped" | "failed", message: string): Promise<void> {
  await db.query("UPDATE rootcx_system.cron_runs SET status = $2, message = $3, finished_at = fired_at WHERE id = $1", [runId, status, message]);
}

/** The msg_id of a job of this cron that is still queued, running or awaiting a retry (the `skip` policy's test). */
export async function liveJob(db: Queryable, appId: string, cronId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ msg_id: string }>(
    `SELECT msg_id::text FROM rootcx_system.jobs
      WHERE app_id = $1 AND source = 'cron' AND source_id = $2 AND state IN ('queued', 'running', 'failed')
      ORDER BY msg_id LIMIT 1`,
    [appId, cronId],
  );
  return rows[0]?.msg_id;
}

export async function advance(db: Queryable, id: string, next: Date | null): Promise<void> {
  await db.query("UPDATE rootcx_system.crons SET next_fire_at = $2 WHERE id = $1", [id, next]);
}

/**
 * Retention: finished runs older than `days`, and beyond the newest `keep` of each cron (a `1 seconds` cron makes
 * 86,400 a day). Runs whose job is still live stay.
 */
export async function pruneRuns(db: Queryable, days: number, keep: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM rootcx_system.cron_runs r
      USING (SELECT id FROM (
               SELECT id, scheduled_at, status, row_number() OVER (PARTITION BY cron_id ORDER BY scheduled_at DESC) AS rn
                 FROM rootcx_system.cron_runs) x
              WHERE (x.rn > $2 OR x.scheduled_at < now() - make_interval(days => $1))
                AND x.status NOT IN ('scheduled', 'running')) old
      WHERE r.id = old.id`,
    [days, keep],
  );
  return rowCount ?? 0;
}
