import type pg from "pg";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { withActor } from "../governance/actor.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { requirePermission } from "../governance/authorize.ts";
import { holdsPermission } from "../governance/permissions.ts";
import { assertMayActAs } from "../identities/act-as.ts";
import { enqueueJob } from "../jobs/enqueue.ts";
import { toCronDto as toDto, toRunDto as runDto } from "./dto.ts";
import { DEFAULT_TIMEZONE, nextInstants, parseSchedule } from "./schedule.ts";
import { MAX_CRONS_PER_APP, type CreateCronBody, type CronDto, type CronRunDto, type UpdateCronBody } from "./schema.ts";
import * as sql from "./sql.ts";

const key = (appId: string, what: "read" | "write" | "trigger" | "manage_others") => `app:${appId}:cron.${what}`;

async function requireInstalled(core: Core, appId: string): Promise<void> {
  if (!(await core.apps.get(appId))) throw new CoreError("NOT_FOUND", `app ${appId} not found`);
}

/** Whether the caller may act on every schedule of the app, not only those it created. */
async function managesOthers(core: Core, p: Principal, appId: string): Promise<boolean> {
  return holdsPermission(await core.auth.principals.permissions(p.userId), key(appId, "manage_others"));
}

/** Spec §2.9 "ownership": the cron's creator, or a holder of app:{id}:cron.manage_others. */
function assertOwnership(row: sql.CronRow, p: Principal, others: boolean, verb: string): void {
  if (row.created_by !== p.userId && !others) {
    throw new CoreError("FORBIDDEN", `only the creator of schedule ${row.name} or a holder of ${key(row.app_id, "manage_others")} may ${verb} it`);
  }
}

async function findCron(db: pg.PoolClient | pg.Pool, appId: string, cronId: string, forUpdate = false): Promise<sql.CronRow> {
  const row = await sql.getCron(db, appId, cronId, forUpdate);
  if (!row) throw new CoreError("NOT_FOUND", `schedule ${cronId} of app ${appId} not found`);
  return row;
}

/** GET /crons: every app's schedules the caller may read (cron.read), only its own where it lacks manage_others. */
export async function listAllCrons(core: Core, p: Principal): Promise<CronDto[]> {
  const held = await core.auth.principals.permissions(p.userId);
  const rows = await sql.listCrons(core.db.pool, {});
  return rows
    .filter((r) => holdsPermission(held, key(r.app_id, "read")) && (r.created_by === p.userId || holdsPermission(held, key(r.app_id, "manage_others"))))
    .map(toDto);
}

/** GET /apps/{id}/crons: the caller's own schedules, or all of them with manage_others. */
export async function listCrons(core: Core, p: Principal, appId: string): Promise<CronDto[]> {
  await requirePermission(core, p, key(appId, "read"));
  await requireInstalled(core, appId);
  const others = await managesOthers(core, p, appId);
  return (await sql.listCrons(core.db.pool, { appId, createdBy: others ? undefined : p.userId })).map(toDto);
}

/**
 * POST /apps/{id}/crons → 201. Runs as the caller, or as `runAs` when that person has an act-as delegation to the
 * caller (identities/act-as.ts). The first instant is computed now; the leader is woken at commit.
 */
export async function createCron(core: Core, p: Principal, appId: string, body: CreateCronBody): Promise<CronDto> {
  await requirePermission(core, p, key(appId, "write"));
  await requireInstalled(core, appId);
  const timezone = body.timezone ?? DEFAULT_TIMEZONE;
  const schedule = parseSchedule(body.schedule, timezone);
  const runAs = body.runAs ?? p.userId;
  await assertMayActAs(core, p.userId, runAs, "cron");
  const enabled = body.enabled ?? true;
  return withActor(core, p, async (tx) => {
    await sql.lockAppCrons(tx, appId);
    if ((await sql.countAppCrons(tx, appId)) >= MAX_CRONS_PER_APP) {
      throw new CoreError("BAD_REQUEST", `app ${appId} already has ${MAX_CRONS_PER_APP} schedules, the most one app may have`);
    }
    const row = await sql.insertCron(tx, {
      appId,
      name: body.name,
      schedule: body.schedule.trim(),
      timezone,
      payloadJson: JSON.stringify(body.payload ?? {}),
      overlapPolicy: body.overlapPolicy ?? "skip",
      enabled,
      runAs,
      createdBy: p.userId,
      source: "api",
      nextFireAt: enabled ? schedule.nextAfter(new Date()) : null,
    });
    if (!row) throw new CoreError("CONFLICT", `app ${appId} already has a schedule named ${body.name}`);
    await recordAdminEvent(tx, { action: "cron.create", target: row.id, after: { app_id: appId, name: row.name, schedule: row.schedule, timezone, run_as: runAs, enabled } });
    await sql.notifyChange(tx, appId);
    return toDto(row);
  });
}

/**
 * PATCH /apps/{id}/crons/{cronId}: cron.write and ownership. A new schedule or time zone, or enabling, counts the
 * next instant from now; disabling stops it (next_fire_at NULL) until it is enabled again, and the ticks in between
 * are not missed, they were not owed.
 */
export async function updateCron(core: Core, p: Principal, appId: string, cronId: string, body: UpdateCronBody): Promise<CronDto> {
  await requirePermission(core, p, key(appId, "write"));
  const others = await managesOthers(core, p, appId);
  return withActor(core, p, async (tx) => {
    const row = await findCron(tx, appId, cronId, true);
    assertOwnership(row, p, others, "change");
    const schedule = body.schedule?.trim() ?? row.schedule;
    const timezone = body.timezone ?? row.timezone;
    const parsed = parseSchedule(schedule, timezone);
    const enabled = body.enabled ?? row.enabled;
    const retimed = schedule !== row.schedule || timezone !== row.timezone || (enabled && !row.enabled);
    const nextFireAt = !enabled ? null : retimed || !row.next_fire_at ? parsed.nextAfter(new Date()) : row.next_fire_at;
    const updated = await sql.updateCron(tx, row.id, {
      schedule,
      timezone,
      payloadJson: JSON.stringify(body.payload ?? row.payload),
      overlapPolicy: body.overlapPolicy ?? row.overlap_policy,
      enabled,
      nextFireAt,
    });
    await recordAdminEvent(tx, {
      action: "cron.update",
      target: row.id,
      before: { schedule: row.schedule, timezone: row.timezone, overlap_policy: row.overlap_policy, enabled: row.enabled },
      after: { schedule, timezone, overlap_policy: updated.overlap_policy, enabled, payload_changed: body.payload !== undefined },
    });
    await sql.notifyChange(tx, appId);
    return toDto(updated);
  });
}

/** DELETE /apps/{id}/crons/{cronId}: cron.write and ownership; its run history goes with it. */
export async function deleteCron(core: Core, p: Principal, appId: string, cronId: string): Promise<{ message: string }> {
  await requirePermission(core, p, key(appId, "write"));
  const others = await managesOthers(core, p, appId);
  return withActor(core, p, async (tx) => {
    const row = await findCron(tx, appId, cronId, true);
    assertOwnership(row, p, others, "delete");
    await sql.deleteCron(tx, row.id);
    await recordAdminEvent(tx, { action: "cron.delete", target: row.id, before: { app_id: appId, name: row.name, schedule: row.schedule, source: row.source } });
    await sql.notifyChange(tx, appId);
    return { message: `schedule ${row.name} deleted` };
  });
}

/** GET /apps/{id}/crons/{cronId}/runs: cron.read and ownership; newest tick first. */
export async function listRuns(core: Core, p: Principal, appId: string, cronId: string, limit = 50): Promise<CronRunDto[]> {
  await requirePermission(core, p, key(appId, "read"));
  const row = await findCron(core.db.pool, appId, cronId);
  assertOwnership(row, p, await managesOthers(core, p, appId), "see the runs of");
  return (await sql.listRuns(core.db.pool, row.id, limit)).map(runDto);
}

/**
 * POST /apps/{id}/crons/{cronId}/trigger: cron.trigger and ownership. Enqueues the cron's payload now, as the
 * original does (without cron_id), as the cron's run_as; the run is recorded with trigger "manual". The overlap
 * policy does not apply: the caller asked for this run.
 */
export async function triggerCron(core: Core, p: Principal, appId: string, cronId: string): Promise<{ msgId: string }> {
  await requirePermission(core, p, key(appId, "trigger"));
  const others = await managesOthers(core, p, appId);
  return withActor(core, p, async (tx) => {
    const row = await findCron(tx, appId, cronId);
    assertOwnership(row, p, others, "trigger");
    const refusal = await sql.runAsRefusal(tx, row.id);
    if (refusal) throw new CoreError("CONFLICT", `schedule ${row.name} cannot run: ${refusal.replace(/; it was not run$/, "")}`);
    const run = await sql.insertManualRun(tx, row.id, `triggered by ${p.email}`);
    if (!run) throw new CoreError("CONFLICT", `schedule ${row.name} was triggered at this very instant already; try again`);
    const { msgId } = await enqueueJob(tx, { appId, payload: row.payload, userId: row.run_as, source: "cron", sourceId: row.id });
    await sql.attachJob(tx, run.id, msgId);
    await recordAdminEvent(tx, { action: "cron.trigger", target: row.id, after: { app_id: appId, name: row.name, msg_id: msgId, run_as: row.run_as } });
    return { msgId };
  });
}

/** The next `count` fire instants of a schedule in its time zone (ISO, UTC), or a 400 saying what is wrong. */
export function previewSchedule(schedule: string, timezone = DEFAULT_TIMEZONE, count = 5, from = new Date()): { next: string[] } {
  return { next: nextInstants(parseSchedule(schedule, timezone), from, count).map((d) => d.toISOString()) };
}
