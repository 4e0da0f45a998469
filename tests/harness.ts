import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { inject } from "vitest";
import { createCoreClient, type CoreClient } from "../src/client/index.ts";
import { startCore, type RunningCore } from "../src/server/boot.ts";
import type { AuthRateLimits } from "../src/server/auth/rate-limit.ts";
import type { RestRoute } from "../src/server/http/types.ts";
import type { LogBusLimits } from "../src/server/workers/logs.ts";
import type { RealtimeLimits } from "../src/server/realtime/schema.ts";
import { createLogger } from "../src/server/log.ts";

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return inject("pgAdminUrl");
}

/** A fresh, empty database in the test PostgreSQL, so that test files never see each other's rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `rcx_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestCore extends RunningCore {
  client: CoreClient;
  /** Every log line the Core wrote, at debug level and above. */
  logs: string[];
  database: TestDatabase;
  dataDir: string;
  /** Stops the Core, drops its database and removes its data directory (each only if this Core created it). */
  dispose(): Promise<void>;
}

/** Boots the real Core (HTTP server, REST, tRPC; no Studio) on a free port against its own database. */
export async function startTestCore(
  opts: { env?: Record<string, string>; routes?: RestRoute[]; authLimits?: Partial<AuthRateLimits>; logLimits?: Partial<LogBusLimits>; realtimeLimits?: Partial<RealtimeLimits>; database?: TestDatabase } = {},
): Promise<TestCore> {
  // A shared database (a second Core process on the same PostgreSQL) is dropped by its first owner only; such a
  // Core must be given the first one's ROOTCX_MASTER_KEY, or the vault's canary check stops it.
  const ownsDatabase = !opts.database;
  // Likewise a data directory passed in ROOTCX_DATA_DIR (a restart on another Core's keys) belongs to its first owner.
  const ownsDataDir = !opts.env?.ROOTCX_DATA_DIR;
  const database = opts.database ?? (await createTestDatabase());
  const dataDir = opts.env?.ROOTCX_DATA_DIR ?? mkdtempSync(path.join(os.tmpdir(), "rootcx-test-data-"));
  const release = async () => {
    if (ownsDatabase) await database.drop();
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const logs: string[] = [];
  const logger = createLogger("debug", { write: (line: string) => void logs.push(line) });
  let running: RunningCore;
  try {
    running = await startCore({
      studio: false,
      logger,
      routes: opts.routes,
      logLimits: opts.logLimits,
      realtimeLimits: opts.realtimeLimits,
      // Every test comes from 127.0.0.1: per-address limits would otherwise couple unrelated tests.
      authLimits: { loginPerIpPerMinute: 100_000, registrationsPerIpPerHour: 100_000, tokenExchangesPerIpPerMinute: 100_000, ...opts.authLimits },
      env: { DATABASE_URL: database.url, ROOTCX_DATA_DIR: dataDir, PORT: "0", ...opts.env },
    });
  } catch (err) {
    // A Core that is expected not to start (a wrong key, say) leaves nothing behind either.
    await release();
    throw err;
  }
  return {
    ...running,
    client: createCoreClient(running.url),
    logs,
    database,
    dataDir,
    async dispose() {
      await running.stop();
      await release();
    },
  };
}

export const PASSWORD = "Correct-Horse-42";

export interface Json {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test assertions read arbitrary JSON
  headers: Headers;
}

/** A JSON call to the running Core: `api(core, "POST", "/api/v1/auth/login", body, token)`. */
export async function api(core: { url: string }, method: string, path: string, body?: unknown, token?: string): Promise<Json> {
  const res = await fetch(core.url + path, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export interface Session {
  userId: string;
  email: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers (if needed) and signs in; the first user of a fresh Core is its admin. */
export async function signUpAndIn(core: { url: string }, email: string, password = PASSWORD): Promise<Session> {
  const reg = await api(core, "POST", "/api/v1/auth/register", { email, password });
  if (reg.status !== 201 && !(reg.status === 400 && reg.body.error === "email already registered")) {
    throw new Error(`register ${email}: ${reg.status} ${JSON.stringify(reg.body)}`);
  }
  const login = await api(core, "POST", "/api/v1/auth/login", { email, password });
  if (login.status !== 200) throw new Error(`login ${email}: ${login.status} ${JSON.stringify(login.body)}`);
  return { userId: login.body.user.id, email, accessToken: login.body.accessToken, refreshToken: login.body.refreshToken };
}
