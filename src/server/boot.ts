import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import type { AuthRateLimits } from "./auth/rate-limit.ts";
import { startAuthRuntime, type AuthRuntime } from "./auth/runtime.ts";
import { loadConfig, type CoreConfig } from "./config/load.ts";
import { scheduleAuditRetention } from "./governance/audit-service.ts";
import { startGovernedExecutor, type GovernedExecutor } from "./governance/executor.ts";
import { AppRegistry } from "./apps/registry.ts";
import { Vault } from "./vault/vault.ts";
import type { Core } from "./core.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { seedProviderFromEnv } from "./auth/oidc/providers.ts";
import { createLogger } from "./log.ts";
import { createRequestHandler, listen, type HttpServer } from "./http/server.ts";
import { createInProcessStudio, type StudioHandler } from "./studio/in-process.ts";
import { startStudioRenderer } from "./studio/supervisor.ts";
import type { RestRoute } from "./http/types.ts";
import { LogBus, type LogBusLimits } from "./workers/logs.ts";
import { createWorkerSupervisor, startLifecycleWorkers } from "./workers/boot-workers.ts";
import { reapOrphans } from "./workers/orphans.ts";
import { createMetrics } from "./metrics/metrics.ts";
import { startSpanExport, type SpanExport } from "./tracing/otel.ts";
import { RealtimeHub } from "./realtime/hub.ts";
import { JobDispatcher } from "./jobs/dispatcher.ts";
import { startCronScheduler } from "./crons/scheduler.ts";
import type { RealtimeLimits } from "./realtime/schema.ts";

export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** "prod" serves the built Studio, "dev" runs Next in development mode, false serves the API only. */
  studio?: "prod" | "dev" | false;
  logger?: Logger;
  /** The REST routes to serve; every subsystem's routes unless a test narrows or extends them. */
  routes?: RestRoute[];
  /** Overrides of the login and registration limits (tests that exercise them use small numbers). */
  authLimits?: Partial<AuthRateLimits>;
  /** Overrides of the worker log bus bounds (tests use a small queue and a short keep-alive). */
  logLimits?: Partial<LogBusLimits>;
  /** Overrides of the realtime change streams' bounds (tests use a small buffer and short intervals). */
  realtimeLimits?: Partial<RealtimeLimits>;
}

export interface RunningCore {
  core: Core;
  http: HttpServer;
  url: string;
  /** The Studio renderer's process id, when the Studio runs in one. */
  studioPid(): number | undefined;
  /** Drains in-flight requests, then stops the Studio and the database. Safe to call twice. */
  stop(): Promise<void>;
}

/** config → database (embedded or DATABASE_URL) → migrations → services → HTTP server. */
export async function startCore(opts: StartOptions = {}): Promise<RunningCore> {
  const config: CoreConfig = loadConfig(opts.env ?? process.env);
  const log = opts.logger ?? createLogger(config.logLevel);
  for (const generated of config.generatedKeys) {
    log.warn({ key: generated }, "generated a key because its variable is unset; persist the data directory (or set the variable) or existing tokens and secrets become unusable");
  }

  // The Studio renderer (a child process running Next) starts while the database does, so boot takes the
  // longer of the two rather than their sum. Its outcome is captured so an early failure is never unhandled.
  const studioMode = opts.studio ?? "prod";
  const renderer = studioMode === "prod"
    ? startStudioRenderer(log).then((handler) => ({ handler }), (error: unknown) => ({ error }))
    : undefined;
  const closeRenderer = async () => {
    const r = await renderer;
    if (r && "handler" in r) await r.handler.close().catch(() => undefined);
  };

  let db: Database;
  try {
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }, log);
  } catch (err) {
    await closeRenderer();
    throw err;
  }
  let auth: AuthRuntime;
  let governed: GovernedExecutor;
  let vault: Vault;
  let spans: SpanExport | undefined;
  const metrics = createMetrics({ enabled: config.metricsEnabled, version: VERSION });
  const apps = new AppRegistry(db.pool, db.url, log);
  const logs = new LogBus({ databaseUrl: db.url, pool: db.pool, log, limits: opts.logLimits });
  try {
    vault = await Vault.open(db.pool, { masterKey: config.masterKey, keySource: config.masterKeySource, dataDir: config.dataDir, log });
    auth = await startAuthRuntime({ jwtSecret: config.jwtSecret, pool: db.pool, databaseUrl: db.url, log, limits: { ...(config.loginRatePerMinute ? { loginPerIpPerMinute: config.loginRatePerMinute } : {}), ...(config.registerRatePerHour ? { registrationsPerIpPerHour: config.registerRatePerHour } : {}), ...opts.authLimits } });
    const principals = auth.principals;
    governed = await startGovernedExecutor(db.pool, db.url, log, (uid) => principals.cachedPermissions(uid) ?? principals.permissions(uid)).catch(async (err: unknown) => {
      await principals.stop();
      throw err;
    });
    if (metrics.enabled) governed.instrument(metrics.observeTransaction);
    await apps.start();
    await logs.start();
    if (config.otel) spans = await startSpanExport({ ...config.otel, version: VERSION }, log);
  } catch (err) {
    await logs.stop();
    await apps.stop();
    await closeRenderer();
    await db.close();
    throw err;
  }
  // Workers a previous Core on this data directory could not stop (it was killed) go before any new one starts.
  reapOrphans(config.dataDir, log);
  let runtimeUrl = config.publicUrl;
  const workers = createWorkerSupervisor({ config, log, vault, apps, auth, sink: logs, runtimeUrl: () => runtimeUrl, core: () => core });
  const realtime = new RealtimeHub({ pool: db.pool, databaseUrl: db.url, log, limits: opts.realtimeLimits });
  const core: Core = { config, log, db, auth, governed, vault, apps, logs, workers, realtime, jobs: new JobDispatcher(() => core, config.jobs), metrics, spans, version: VERSION, startedAt: new Date(), state: "starting" };
  metrics.watch(core);
  let studio: StudioHandler | undefined;
  let http: HttpServer | undefined;
  try {
    if (renderer) {
      const r = await renderer;
      if ("error" in r) throw r.error;
      studio = r.handler;
    } else if (studioMode === "dev") {
      studio = await createInProcessStudio({ dev: true, hostname: config.host, port: config.port });
    }
    await seedProviderFromEnv(core);
    await realtime.start(core);
    http = await listen(createRequestHandler(core, studio, opts.routes), config.host, config.port);
  } catch (err) {
    await spans?.shutdown();
    await studio?.close().catch(() => undefined);
    await realtime.stop();
    await logs.stop();
    await auth.stop();
    await apps.stop();
    await governed.stop();
    await db.close();
    throw err;
  }
  core.state = "online";
  runtimeUrl = http.url;
  // Secrets reach workers in discover only: a change restarts the workers that hold the old values.
  vault.onPlatformChange(() => workers.restartAll());
  vault.onAppChange((appId) => workers.restartAppWorkers(appId));
  // If the Core exits without stop() (an uncaught error), its workers' groups die with it.
  const killWorkers = () => workers.killAllNow();
  process.once("exit", killWorkers);
  startLifecycleWorkers(config.dataDir, workers, log);
  await core.jobs.start();
  // Every Core runs a scheduler; one at a time leads (fires ticks), the others wait on its lock (crons/leader.ts).
  const scheduler = startCronScheduler(core);
  const stopRetention = scheduleAuditRetention(core);
  log.info({ url: http.url, version: VERSION, database: db.info.embedded ? "embedded" : "external" }, "RootCX Core is listening");

  let stopping: Promise<void> | undefined;
  const server = http;
  return {
    core,
    http: server,
    url: server.url,
    studioPid: () => studio?.pid(),
    stop() {
      stopping ??= (async () => {
        core.state = "stopping";
        stopRetention();
        // Log streams never end by themselves: they are closed first, or the server would wait for them.
        await core.logs.stop();
        await core.realtime.stop();
        // No tick fires once stopping begins; the lock passes to another Core at once.
        await scheduler.stop();
        // The dispatcher stops claiming and gives back what it runs (after a short grace) while the workers still answer.
        await core.jobs.stop();
        // Workers stop before the server drains: their in-flight RPCs fail at once instead of holding requests open.
        await workers.shutdown();
        process.off("exit", killWorkers);
        await server.close();
        // Spans still batched leave before the process may.
        await spans?.shutdown();
        await studio?.close().catch((err: unknown) => log.warn({ err }, "the Studio did not close cleanly"));
        await core.auth.stop();
        await core.apps.stop();
        await core.governed.stop();
        await db.close();
        core.state = "offline";
        log.info("RootCX Core stopped");
      })();
      return stopping;
    },
  };
}
