import type { Queryable } from "../db/queryable.ts";

export interface CronRow {
  id: string;
  app_id: string;
  name: string;
  schedule: string;
  timezone: string;
  payload: Record<string, unknown>;
  overlap_policy: "skip" | "queue";
  enabled: boolean;
  run_as: string | null;
  created_by: string | null;
  source: "manifest" | "api";
  next_fire_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = "id, app_id, name, schedule, timezone, payload, overlap_policy, enabled, run_as, created_by, source, next_fire_at, created_at, updated_at";

/** Wakes the leader (on whichever Core it runs) at commit, so a change takes effect at once. */
export async function notifyChange(db: Queryable, appId: string): Promise<void> {
  await db.query("SELECT pg_notify('rootcx_crons', $1)", [appId]);
}

export interface NewCron {
  appId: string;
  name: string;
  schedule: string;
  timezone: string;
  payloadJson: string;
  overlapPolicy: "skip" | "queue";
  enabled: boolean;
  runAs: string;
  createdBy: string;
  source: "manifest" | "api";
  nextFireAt: Date | null;
}

/** Inserts unless the app already has a cron of that name (undefined then). */
export async function insertCron(db: Queryable, c: NewCron): Promise<CronRow | undefined> {
  const { rows } = await db.query<CronRow>(
    `INSERT INTO rootcx_system.crons (app_id, name, schedule, timezone, payload, overlap_policy, enabled, run_as, created_by, source, next_fire_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (app_id, name) DO NOTHING
     RETURNING ${COLUMNS}`,
    [c.appId, c.name, c.schedule, c.timezone, c.payloadJson, c.overlapPolicy, c.enabled, c.runAs, c.createdBy, c.source, c.nextFireAt],
  );
  return rows[0];
}

/** Serialises the changes that count an app's crons (creates, installs), so two at once cannot pass the cap together. */
export async function lockAppCrons(db: Queryable, appId: string): Promise<void> {
  await db.query("SELECT pg_advisory_xact_lock(hashtextextended('rootcx_system.crons:' || $1, 0))", [appId]);
}

export async function countAppCrons(db: Queryable, appId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM rootcx_system.crons WHERE app_id = $1", [appId]);
  return rows[0]!.n;
}

/** Crons of one app, or of every app; one creator's when `createdBy` is given. Oldest first, as created. */
export async function listCrons(db: Queryable, filter: { appId?: string; createdBy?: string }): Promise<CronRow[]> {
  const { rows } = await db.query<CronRow>(
    `SELECT ${COLUMNS} FROM rootcx_system.crons
      WHERE ($1::text IS NULL OR app_id = $1) AND ($2::uuid IS NULL OR created_by = $2::uuid)
      ORDER BY app_id, created_at, id
      LIMIT 10000`,
    [filter.appId ?? null, filter.createdBy ?? null],
  );
  return rows;
}

/** One cron of an app; locked for a change when `forUpdate`. */
export async function getCron(db: Queryable, appId: string, id: string, forUpdate = false): Promise<CronRow | undefined> {
  const { rows } = await db.query<CronRow>(
    `SELECT ${COLUMNS} FROM rootcx_system.crons WHERE app_id = $1 AND id = $2${forUpdate ? " FOR UPDATE" : ""}`,
    [appId, id],
  );
  return rows[0];
}

export interface CronChange {
  schedule: string;
  timezone: string;
  payloadJson: string;
  overlapPolicy: "skip" | "queue";
  enabled: boolean;
  nextFireAt: Date | null;
}

export async function updateCron(db: Queryable, id: string, c: CronChange & { runAs?: string; createdBy?: string }): Promise<CronRow> {
  const { rows } = await db.query<CronRow>(
    `UPDATE rootcx_system.crons
        SET schedule = $2, timezone = $3, payload = $4::jsonb, overlap_policy = $5, enabled = $6, next_fire_at = $7,
            run_as = coalesce($8, run_as), created_by = coalesce($9, created_by), updated_at = now()
      WHERE id = $1
      RETURNING ${COLUMNS}`,
    [id, c.schedule, c.timezone, c.payloadJson, c.overlapPolicy, c.enabled, c.nextFireAt, c.runAs ?? null, c.createdBy ?? null],
  );
  return rows[0]!;
}

export async function deleteCron(db: Queryable, id: string): Promise<void> {
  await db.query("DELETE FROM rootcx_system.crons WHERE id = $1", [id]);
}

export interface RunRow {
  id: string;
  scheduled_at: Date;
  trigger: "schedule" | "manual";
  status: "scheduled" | "running" | "succeeded" | "failed" | "skipped" | "missed";
  message: string | null;
  msg_id: string | null;
  fired_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
}

/** The newest runs first (by the tick's instant). */
export async function listRuns(db: Queryable, cronId: string, limit: number): Promise<RunRow[]> {
  const { rows } = await db.query<RunRow>(
    `SELECT r.id::text, scheduled_at, trigger, status, message, msg_id::text, fired_at, started_at, finished_at
       FROM rootcx_system.cron_runs r WHERE cron_id = $1
      ORDER BY scheduled_at DESC, r.id DESC LIMIT $2`,
    [cronId, limit],
  );
  return rows;
}

/** A manual trigger's run, at the database's clock (unique per cron by that instant, as ticks are). */
export async function insertManualRun(db: Queryable, cronId: string, message: string): Promise<{ id: string; scheduled_at: Date } | undefined> {
  const { rows } = await db.query<{ id: string; scheduled_at: Date }>(
    `INSERT INTO rootcx_system.cron_runs (cron_id, scheduled_at, trigger, status, message, fired_at)
     VALUES ($1, clock_timestamp(), 'manual', 'scheduled', $2, clock_timestamp())
     ON CONFLICT (cron_id, scheduled_at) DO NOTHING
     RETURNING id::text, scheduled_at`,
    [cronId, message],
  );
  return rows[0];
}

export async function attachJob(db: Queryable, runId: string, msgId: string): Promise<void> {
  await db.query("UPDATE rootcx_system.cron_runs SET msg_id = $2 WHERE id = $1", [runId, msgId]);
}

/** Why the cron may not run as its run_as now (rootcx_system.cron_run_as_refusal, migration 0024), or null. */
export async function runAsRefusal(db: Queryable, cronId: string): Promise<string | null> {
  const { rows } = await db.query<{ refusal: string | null }>("SELECT rootcx_system.cron_run_as_refusal(run_as, created_by) AS refusal FROM rootcx_system.crons WHERE id = $1", [cronId]);
  return rows[0]?.refusal ?? null;
}
