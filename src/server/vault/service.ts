import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { getApp, shareAppsLock } from "../apps/sql.ts";
import type { Queryable } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";
import { actAs, withActor } from "../governance/actor.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { requireAdmin, requirePermission } from "../governance/authorize.ts";
import { PLATFORM_SCOPE, type RotationResult } from "./vault.ts";

export const SECRETS_MANAGE = "admin:secrets.manage";
const authorize = (core: Core, p: Principal) => requirePermission(core, p, SECRETS_MANAGE);

/** Seed 003: "System users cannot manage platform secrets", whatever roles a service account holds. */
function refuseServiceAccount(p: Principal): void {
  if (p.kind === "service") throw new CoreError("FORBIDDEN", "service accounts cannot manage platform secrets; a person must make this change");
}

/**
 * App secrets belong to an installed app: naming one that is not installed is a 404, never a silent write. In a
 * write's transaction the uninstall lock is shared first, so no secret outlives the app it was written for.
 */
async function requireApp(db: Queryable, appId: string, opts: { forWrite: boolean }): Promise<void> {
  if (opts.forWrite) await shareAppsLock(db);
  if (!(await getApp(db, appId))) throw new CoreError("NOT_FOUND", `app ${appId} not found`);
}

/** Writes or deletes a secret and its audit row in one transaction; the row names the key, never the value. */
async function setAudited(core: Core, p: Principal, scope: string, key: string, value: string, guard?: (tx: Queryable) => Promise<void>): Promise<void> {
  await withActor(core, p, async (tx) => {
    await guard?.(tx);
    await core.vault.set(scope, key, value, tx);
    await recordAdminEvent(tx, { action: "secret.set", target: `${scope}:${key}`, after: { scope, key } });
  });
}

async function deleteAudited(core: Core, p: Principal, scope: string, key: string): Promise<boolean> {
  return withActor(core, p, async (tx) => {
    if (!(await core.vault.delete(scope, key, tx))) return false;
    await recordAdminEvent(tx, { action: "secret.delete", target: `${scope}:${key}`, before: { scope, key } });
    return true;
  });
}

export async function listAppSecrets(core: Core, p: Principal, appId: string): Promise<string[]> {
  await authorize(core, p);
  await requireApp(core.db.pool, appId, { forWrite: false });
  return core.vault.names(appId);
}

export async function setAppSecret(core: Core, p: Principal, appId: string, key: string, value: string): Promise<{ message: string }> {
  await authorize(core, p);
  await setAudited(core, p, appId, key, value, (tx) => requireApp(tx, appId, { forWrite: true }));
  core.log.info({ appId, key, by: p.userId }, "app secret set");
  await core.vault.appChanged(appId);
  return { message: `secret ${key} set` };
}

export async function deleteAppSecret(core: Core, p: Principal, appId: string, key: string): Promise<{ message: string }> {
  await authorize(core, p);
  await requireApp(core.db.pool, appId, { forWrite: false });
  if (!(await deleteAudited(core, p, appId, key))) throw new CoreError("NOT_FOUND", `secret ${key} not found`);
  core.log.info({ appId, key, by: p.userId }, "app secret deleted");
  await core.vault.appChanged(appId);
  return { message: `secret ${key} deleted` };
}

export async function listPlatformSecrets(core: Core, p: Principal): Promise<string[]> {
  await authorize(core, p);
  return core.vault.names(PLATFORM_SCOPE);
}

/** Setting or deleting a platform secret restarts every worker (they receive secrets at start). */
export async function setPlatformSecret(core: Core, p: Principal, key: string, value: string): Promise<{ message: string; workers_restarted: number }> {
  refuseServiceAccount(p);
  await authorize(core, p);
  await setAudited(core, p, PLATFORM_SCOPE, key, value);
  core.log.info({ key, by: p.userId }, "platform secret set");
  return { message: `platform secret ${key} set`, workers_restarted: await core.vault.platformChanged() };
}

export async function deletePlatformSecret(core: Core, p: Principal, key: string): Promise<{ message: string; workers_restarted: number }> {
  refuseServiceAccount(p);
  await authorize(core, p);
  if (!(await deleteAudited(core, p, PLATFORM_SCOPE, key))) throw new CoreError("NOT_FOUND", `platform secret ${key} not found`);
  core.log.info({ key, by: p.userId }, "platform secret deleted");
  return { message: `platform secret ${key} deleted`, workers_restarted: await core.vault.platformChanged() };
}

/** The decrypted platform map the Studio's configuration screens read; an unreadable value is left out and logged. */
export async function platformEnv(core: Core, p: Principal): Promise<Record<string, string>> {
  refuseServiceAccount(p);
  await authorize(core, p);
  return (await core.vault.values(PLATFORM_SCOPE)).values;
}

export async function rotateMasterKey(core: Core, p: Principal, newKeyHex: string | undefined): Promise<RotationResult> {
  refuseServiceAccount(p);
  await requireAdmin(core, p);
  return core.vault.rotate(newKeyHex ? Buffer.from(newKeyHex, "hex") : undefined, { actor: (tx) => actAs(core, tx, p.userId) });
}
