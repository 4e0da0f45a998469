import { readdirSync } from "node:fs";
import type { Logger } from "pino";
import { appIdSchema } from "../apps/manifest.ts";
import type { Core } from "../core.ts";
import type { AppRegistry } from "../apps/registry.ts";
import type { AuthRuntime } from "../auth/runtime.ts";
import type { CoreConfig } from "../config/load.ts";
import type { Vault } from "../vault/vault.ts";
import { appDir, appsRoot, entryPoint } from "./app-files.ts";
import type { LogSink, WorkerDataContext } from "./contracts.ts";
import { WorkerDataSession } from "./data-access.ts";
import { WorkerPidFile } from "./orphans.ts";
import { resolveBun } from "./spawn.ts";
import { WorkerStopFlags } from "./stop-flags.ts";
import { WorkerSupervisor } from "./supervisor.ts";

/** Spec §4.4 IPC write timeout, and how long a worker's onShutdown may run. */
const WRITE_TIMEOUT_MS = 5000;
const STOP_GRACE_MS = 2000;
/** After this long without a discover answer, a live worker is taken as v1 (legacy) and runs. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface SupervisorDeps {
  config: CoreConfig;
  log: Logger;
  vault: Vault;
  apps: AppRegistry;
  auth: AuthRuntime;
  sink: LogSink;
  runtimeUrl(): string;
  /** The Core the data sessions run against (built after the supervisor, which it holds). */
  core(): Core;
}

/** The supervisor as the Core runs it: secrets from the vault, manifests from the registry, data through the governed executor. */
export function createWorkerSupervisor(deps: SupervisorDeps): WorkerSupervisor {
  const { config, log, vault, apps, auth } = deps;
  return new WorkerSupervisor({
    dataDir: config.dataDir,
    runtimeUrl: deps.runtimeUrl,
    bunPath: resolveBun(config.bunPath),
    rpcTimeoutMs: config.rpcTimeoutMs,
    idleMs: config.workerIdleSeconds * 1000,
    maxUserWorkers: config.maxUserWorkers,
    writeTimeoutMs: WRITE_TIMEOUT_MS,
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    stopGraceMs: STOP_GRACE_MS,
    sink: deps.sink,
    log,
    pidFile: new WorkerPidFile(config.dataDir, log),
    credentials: async (appId) => (await vault.forWorker(appId)).values,
    manifest: async (appId) => (await apps.get(appId))?.manifest,
    callerOf: async (identity) =>
      identity.kind === "user"
        ? { userId: identity.userId, email: identity.email, effectivePerms: identity.delegated?.permissions ?? [...(await auth.principals.permissions(identity.userId))] }
        : null,
    openSession: (ctx: WorkerDataContext) => new WorkerDataSession(deps.core(), ctx),
    stops: new WorkerStopFlags(() => deps.core().db.pool),
  });
}

/** Every deployed app with an entry point gets its lifecycle worker at boot; a failure is logged, never fatal. */
export function startLifecycleWorkers(dataDir: string, workers: WorkerSupervisor, log: Logger): void {
  let ids: string[];
  try {
    ids = readdirSync(appsRoot(dataDir), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return;
  }
  for (const appId of ids) {
    // Only directories named as app ids are apps (anything else under apps/ is not a deployment).
    if (!appIdSchema.safeParse(appId).success || !entryPoint(appDir(dataDir, appId))) continue;
    workers.startApp(appId).catch((err: unknown) => log.warn({ err, appId }, "the app's lifecycle worker did not start"));
  }
}
