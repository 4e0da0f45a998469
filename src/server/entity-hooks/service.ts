import type { Principal } from "../auth/principal.ts";
import { getApp, shareAppsLock } from "../apps/sql.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { withActor } from "../governance/actor.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { requirePermission } from "../governance/authorize.ts";
import { assertMayActAs } from "../identities/act-as.ts";
import type { CreateHook, HookDto, HookFilter } from "./schema.ts";
import * as sql from "./sql.ts";
import { dropTrigger, ensureTrigger } from "./triggers.ts";

export const hookReadKey = (appId: string) => `app:${appId}:hook.read`;
export const hookWriteKey = (appId: string) => `app:${appId}:hook.write`;

function hookDto(h: sql.HookRow): HookDto {
  return { ...h, created_at: h.created_at.toISOString() };
}

async function requireApp(core: Core, appId: string): Promise<void> {
  if (!(await getApp(core.db.pool, appId))) throw new CoreError("NOT_FOUND", `app ${appId} not found`);
}

/** GET /apps/{id}/hooks (spec §2.10, with `?entity=&operation=`); unlike the original it needs app:{id}:hook.read. */
export async function listHooks(core: Core, p: Principal, appId: string, filter: HookFilter): Promise<HookDto[]> {
  await requirePermission(core, p, hookReadKey(appId));
  await requireApp(core, appId);
  return (await sql.list(core.db.pool, appId, filter)).map(hookDto);
}

export async function getHook(core: Core, p: Principal, appId: string, hookId: string): Promise<HookDto> {
  await requirePermission(core, p, hookReadKey(appId));
  const row = await sql.getOne(core.db.pool, appId, hookId);
  if (!row) throw new CoreError("NOT_FOUND", `hook ${hookId} not found in app ${appId}`);
  return hookDto(row);
}

/**
 * POST /apps/{id}/hooks: records the hook and, for the first of its (entity, operation), attaches the row trigger,
 * in one transaction. The job runs as runAs (act-as checked: a delegation and no widening) or as the creator.
 */
export async function createHook(core: Core, p: Principal, appId: string, body: CreateHook): Promise<HookDto> {
  await requirePermission(core, p, hookWriteKey(appId));
  if (body.action_type !== "job") {
    throw new CoreError("BAD_REQUEST", `action_type "${body.action_type}" is not supported yet: this Core runs "job" hooks only (agents and workflows are not part of it)`);
  }
  if (body.runAs !== undefined) await assertMayActAs(core, p.userId, body.runAs, "hook");
  const created = await withActor(core, p, async (tx) => {
    // An install or uninstall of the app holds this exclusively: the entity checked here is the one that stays.
    await shareAppsLock(tx);
    const app = await getApp(tx, appId);
    if (!app) throw new CoreError("NOT_FOUND", `app ${appId} not found`);
    if (!app.manifest.dataContract.some((e) => e.entityName === body.entity)) throw new CoreError("BAD_REQUEST", `app ${appId} has no entity "${body.entity}"`);
    await sql.lockAppHooks(tx, appId);
    const row = await sql.insert(tx, { appId, entity: body.entity, operation: body.operation, actionConfig: body.action_config ?? {}, runAs: body.runAs ?? null, createdBy: p.userId });
    await ensureTrigger(tx, appId, body.entity, body.operation);
    await recordAdminEvent(tx, { action: "hook.create", target: row.id, after: { app_id: appId, entity: row.entity, operation: row.operation, action_type: row.action_type, run_as: row.run_as } });
    return row;
  });
  core.log.info({ appId, hookId: created.id, entity: created.entity, operation: created.operation, by: p.userId }, "entity hook created");
  return hookDto(created);
}

/** DELETE /apps/{id}/hooks/{hookId} → {ok: true}; the last hook of its (entity, operation) takes the trigger along. */
export async function deleteHook(core: Core, p: Principal, appId: string, hookId: string): Promise<{ ok: true }> {
  await requirePermission(core, p, hookWriteKey(appId));
  await withActor(core, p, async (tx) => {
    await shareAppsLock(tx);
    await sql.lockAppHooks(tx, appId);
    const row = await sql.remove(tx, appId, hookId);
    if (!row) throw new CoreError("NOT_FOUND", `hook ${hookId} not found in app ${appId}`);
    if ((await sql.countActive(tx, appId, row.entity, row.operation)) === 0) await dropTrigger(tx, appId, row.entity, row.operation);
    await recordAdminEvent(tx, { action: "hook.delete", target: row.id, before: { app_id: appId, entity: row.entity, operation: row.operation, action_type: row.action_type, run_as: row.run_as } });
  });
  core.log.info({ appId, hookId, by: p.userId }, "entity hook deleted");
  return { ok: true };
}
