import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import type { AuthRateLimits } from "./auth/rate-limit.ts";
import { startAuthRuntime, type AuthRuntime } from "./auth/runtime.ts";
import { loadConfig, type CoreConfig } from "./config/load.ts";
import type { Core } from "./core.ts";
import { openDatabase } from "./db/database.ts";
import { createLogger } from "./log.ts";
import { createRequestHandler, listen, type HttpServer } from "./http/server.ts";
import { createStudioHandler, type StudioHandler } from "./http/studio.ts";
import type { RestRoute } from "./http/types.ts";

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
}

export interface RunningCore {
  core: Core;
  http: HttpServer;
  url: string;
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

  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }, log);
  let auth: AuthRuntime;
  try {
    auth = await startAuthRuntime({ jwtSecret: config.jwtSecret, pool: db.pool, databaseUrl: db.url, log, limits: opts.authLimits });
  } catch (err) {
    await db.close();
    throw err;
  }
  const core: Core = { config, log, db, auth, version: VERSION, startedAt: new Date(), state: "starting" };
  let studio: StudioHandler | undefined;
  let http: HttpServer | undefined;
  try {
    const studioMode = opts.studio ?? "prod";
    if (studioMode) studio = await createStudioHandler({ dev: studioMode === "dev", hostname: config.host, port: config.port });
    http = await listen(createRequestHandler(core, studio, opts.routes), config.host, config.port);
  } catch (err) {
    await studio?.close().catch(() => undefined);
    await auth.stop();
    await db.close();
    throw err;
  }
  core.state = "online";
  log.info({ url: http.url, version: VERSION, database: db.info.embedded ? "embedded" : "external" }, "RootCX Core is listening");

  let stopping: Promise<void> | undefined;
  const server = http;
  return {
    core,
    http: server,
    url: server.url,
    stop() {
      stopping ??= (async () => {
        core.state = "stopping";
        await server.close();
        await studio?.close().catch((err: unknown) => log.warn({ err }, "the Studio did not close cleanly"));
        await core.auth.stop();
        await db.close();
        core.state = "offline";
        log.info("RootCX Core stopped");
      })();
      return stopping;
    },
  };
}
