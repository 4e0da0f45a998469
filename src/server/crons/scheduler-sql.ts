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

export interface DueCron {
  id: string;
  schedule: string;
  timezone: string;
  next_fire_at: Date;
  /** Its run_as user was deleted (ON DELETE SET NULL): its ticks are refused, and it is disabled at this fire. */
  orphaned: boolean;
}

/** The crons due at `now`, most overdue first (read without a lock: cron_fire locks each and re-checks `owed`). */
export async function dueCrons(db: Queryable, now: Date, limit: number): Promise<DueCron[]> {
  const { rows } = await db.query<DueCron>(
    `SELECT id, schedule, timezone, next_fire_at, run_as IS NULL AS orphaned FROM rootcx_system.crons
      WHERE enabled AND next_fire_at IS NOT NULL AND next_fire_at <= $1
      ORDER BY next_fire_at LIMIT $2`,
    [now, limit],
  );
  return rows;
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

/** Said by cron_run_as_refusal (migration 0024) for a cron whose run_as was deleted. */
const GONE_REFUSAL = "the user this schedule runs as no longer exists; it was not run";
export const ORPHAN_DISABLED = "the schedule was disabled: the user it runs as was deleted, so no tick can run until it is deleted and created again";

/**
 * Disables the crons among `ids` whose run_as user is gone, after cron_fire recorded their refused tick, and adds
 * why to that run's message: otherwise such a cron stays enabled and records a failed run at every tick forever.
 * Answers the crons disabled.
 */
export async function disableOrphaned(db: Queryable, ids: string[]): Promise<{ id: string; app_id: string; name: string }[]> {
  const { rows } = await db.query<{ id: string; app_id: string; name: string }>(
    `WITH off AS (
       UPDATE rootcx_system.crons SET enabled = false, next_fire_at = NULL, updated_at = now()
        WHERE id = ANY ($1::uuid[]) AND run_as IS NULL AND enabled
       RETURNING id, app_id, name
     ), told AS (
       UPDATE rootcx_system.cron_runs r SET message = left(r.message || '; ' || $3, 4000)
         FROM off
        WHERE r.cron_id = off.id AND r.status = 'failed' AND r.message = $2
     )
     SELECT id::text, app_id, name FROM off`,
    [ids, GONE_REFUSAL, ORPHAN_DISABLED],
  );
  return rows;
}
