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
}

/** The crons due at `now`, most overdue first (read without a lock: cron_fire locks each and re-checks `owed`). */
export async function dueCrons(db: Queryable, now: Date, limit: number): Promise<DueCron[]> {
  const { rows } = await db.query<DueCron>(
    `SELECT id, schedule, timezone, next_fire_at FROM rootcx_system.crons
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
