import type pg from "pg";
import type { Principal } from "../auth/principal.ts";
import { appIdSchema } from "../apps/manifest.ts";
import * as appsSql from "../apps/sql.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { withActor } from "../governance/actor.ts";
import { type AdminAction, recordAdminEvent } from "../governance/admin-events.ts";
import { requirePermission } from "../governance/authorize.ts";
import { appDir } from "./app-files.ts";
import { bunInstall, type InstallReport } from "./bun-install.ts";
import { archiveFile, listHistory, previousDeploy, readHistory, recordDeploy, setCurrent } from "./deploy-history.ts";
import { checkEntryPoint } from "./entry-check.ts";
import { breakHardLinks } from "./tree-copy.ts";
import { applyMigrations, lockDeploys } from "./migrations.ts";
import type { UploadedFile } from "./multipart.ts";
import { stageArchive, swapInto } from "./release.ts";

export const DEPLOY_PERMISSION = "admin:apps.deploy";

export interface DeployAnswer {
  message: string;
  migrationsApplied: string[];
  deployId: string;
  /** Present when the archive has a package.json: what `bun install` said. */
  install?: InstallReport;
}

/**
 * What every deploy route checks before reading a byte of its body: the permission, the id (`core` and the
 * other reserved schemas refused), and that the app is installed: its migrations need its schema, and an
 * uninstall is what removes its files.
 */
export async function authorizeDeploy(core: Core, principal: Principal, id: string): Promise<string> {
  await requirePermission(core, principal, DEPLOY_PERMISSION);
  const appId = appIdSchema.parse(id);
  if (!(await appsSql.getApp(core.db.pool, appId))) {
    throw new CoreError("NOT_FOUND", `app ${appId} is not installed; install its manifest (POST /apps) before deploying to it`);
  }
  return appId;
}

async function audit(core: Core, principal: Principal, action: AdminAction, appId: string, after: Record<string, unknown>): Promise<void> {
  await withActor(core, principal, (tx) => recordAdminEvent(tx, { action, target: appId, after }));
}

/** Runs `fn` holding the app's deploy lock (deploys, rollbacks and their migrations never interleave). */
async function withDeployLock<T>(core: Core, appId: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const lock = await lockDeploys(core.db.pool, `${appId}.schema_migrations`);
  try {
    return await fn(lock.client);
  } finally {
    await lock.release();
  }
}

/**
 * Extract → bun install → migrations → swap → restart, called under the deploy lock. Anything failing before the
 * swap leaves the live files as they were; a restart that fails puts them back. Migrations that committed stay.
 */
async function release(core: Core, client: pg.PoolClient, appId: string, archive: string): Promise<{ migrations: string[]; install: InstallReport | undefined; hasBackend: boolean }> {
  const staged = await stageArchive(core.config.dataDir, archive, appId);
  try {
    const { hasBackend } = await checkEntryPoint(staged.root);
    const install = await bunInstall(staged.root, { dataDir: core.config.dataDir, appId });
    // The supervisor's permission pass then never meets a file that shares its inode with another name.
    await breakHardLinks(staged.root);
    const migrations = await applyMigrations(client, core.db.url, appId, staged.root, core.config.migrationTimeoutSeconds * 1000);
    const swapped = await swapInto(staged, appDir(core.config.dataDir, appId));
    try {
      await core.workers.restartApp(appId);
    } catch (err) {
      await swapped.restore();
      await core.workers.restartApp(appId).catch((again: unknown) => core.log.warn({ err: again, app: appId }, "the previous deployment did not restart either"));
      throw err;
    }
    return { migrations, install, hasBackend };
  } finally {
    // The old tree was moved aside into the staging directory: it goes only now, after the restart.
    await staged.dispose();
  }
}

/** POST /apps/{id}/deploy with the archive already received. The archive is kept for rollback (last 5). */
export async function deployBackend(core: Core, principal: Principal, appId: string, upload: UploadedFile): Promise<DeployAnswer> {
  const { migrations, install, record, hasBackend } = await withDeployLock(core, appId, async (client) => {
    const done = await release(core, client, appId, upload.file);
    const meta = { deployedBy: principal.email, size: upload.size, sha256: upload.sha256, migrationsApplied: done.migrations };
    return { ...done, record: await recordDeploy(core.config.dataDir, appId, upload.file, meta) };
  });
  await audit(core, principal, "app.deploy", appId, { deployId: record.id, size: upload.size, sha256: upload.sha256, migrationsApplied: migrations, install: install?.ok ?? null });
  core.log.info({ app: appId, deployId: record.id, migrations: migrations.length, by: principal.userId }, "app deployed");
  const message = hasBackend ? `app ${appId} deployed` : `app ${appId} deployed without a backend: the archive has migrations and no entry point, so no worker runs`;
  return { message, migrationsApplied: migrations, deployId: record.id, ...(install ? { install } : {}) };
}

/** POST /apps/{id}/deploy/rollback: the archive deployed before the live one becomes live again. */
export async function rollback(core: Core, principal: Principal, id: string): Promise<DeployAnswer> {
  const appId = await authorizeDeploy(core, principal, id);
  const { migrations, install, target, hasBackend } = await withDeployLock(core, appId, async (client) => {
    const previous = previousDeploy(await readHistory(core.config.dataDir, appId));
    if (!previous) throw new CoreError("CONFLICT", `app ${appId} has no earlier deployment to roll back to`);
    const done = await release(core, client, appId, archiveFile(core.config.dataDir, appId, previous.id));
    await setCurrent(core.config.dataDir, appId, previous.id);
    return { ...done, target: previous };
  });
  await audit(core, principal, "app.rollback", appId, { deployId: target.id, deployedAt: target.deployedAt, migrationsApplied: migrations });
  core.log.info({ app: appId, deployId: target.id, by: principal.userId }, "app rolled back");
  return {
    message: `app ${appId} rolled back to the deployment of ${target.deployedAt}${hasBackend ? "" : " (no backend: migrations only)"}`,
    migrationsApplied: migrations,
    deployId: target.id,
    ...(install ? { install } : {}),
  };
}

export async function deployHistory(core: Core, principal: Principal, id: string) {
  const appId = await authorizeDeploy(core, principal, id);
  return listHistory(core.config.dataDir, appId);
}
