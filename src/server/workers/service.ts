import { existsSync } from "node:fs";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { requireAdmin } from "../governance/authorize.ts";
import { appDir } from "./app-files.ts";
import type { WorkerState } from "./contracts.ts";
import { appIdSchema, type WorkersList } from "./schema.ts";

/** An app id that is neither installed nor deployed is a 404 before anything is started or stopped. */
async function requireKnownApp(core: Core, rawAppId: string): Promise<string> {
  const appId = appIdSchema.parse(rawAppId);
  if (!(await core.apps.get(appId)) && !existsSync(appDir(core.config.dataDir, appId))) throw new CoreError("NOT_FOUND", `app ${appId} not found`);
  return appId;
}

/** `GET /workers` (admin): each app's state, running winning across identities; `detail` adds every process. */
export async function listWorkers(core: Core, p: Principal, detail: boolean): Promise<WorkersList> {
  await requireAdmin(core, p);
  const workers = core.workers.states();
  return detail ? { workers, details: core.workers.details() } : { workers };
}

export async function startWorker(core: Core, p: Principal, rawAppId: string): Promise<{ message: string }> {
  await requireAdmin(core, p);
  const appId = await requireKnownApp(core, rawAppId);
  await core.workers.adminStart(appId);
  core.log.info({ appId, by: p.userId }, "worker started");
  return { message: `worker for app ${appId} started` };
}

export async function stopWorker(core: Core, p: Principal, rawAppId: string): Promise<{ message: string }> {
  await requireAdmin(core, p);
  const appId = await requireKnownApp(core, rawAppId);
  await core.workers.adminStop(appId, p.userId);
  core.log.info({ appId, by: p.userId }, "worker stopped");
  return { message: `worker for app ${appId} stopped` };
}

/** Zero-downtime: the new lifecycle worker answers its handshake before the old one stops. */
export async function restartWorker(core: Core, p: Principal, rawAppId: string): Promise<{ message: string }> {
  await requireAdmin(core, p);
  const appId = await requireKnownApp(core, rawAppId);
  await core.workers.restartApp(appId);
  core.log.info({ appId, by: p.userId }, "worker restarted");
  return { message: `worker for app ${appId} restarted` };
}

/** `GET /apps/:appId/worker/status` (any user): 404 when the app has no worker at all (the original answers 500). */
export function workerStatus(core: Core, _p: Principal, rawAppId: string): { app_id: string; status: WorkerState } {
  const appId = appIdSchema.parse(rawAppId);
  const status = core.workers.appState(appId);
  if (!status) throw new CoreError("NOT_FOUND", `no worker for app ${appId}`);
  return { app_id: appId, status };
}
