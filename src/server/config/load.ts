import { randomBytes } from "node:crypto";
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { envSchema, type LogLevel } from "./schema.ts";
import { parseJobsConfig, type JobsConfig } from "../jobs/config.ts";
import { parseCronsConfig, type CronsConfig } from "../crons/config.ts";

export interface OidcEnvConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

export interface CoreConfig {
  /** Absolute path of the data directory (database, generated keys). */
  dataDir: string;
  /** External PostgreSQL; undefined means the embedded one under `<dataDir>/postgres`. */
  databaseUrl: string | undefined;
  host: string;
  port: number;
  jwtSecret: string;
  masterKey: Buffer;
  /** Where the master key came from: the variable, or the generated file `<data>/config/master.key`. */
  masterKeySource: "env" | "file";
  publicUrl: string;
  oidc: OidcEnvConfig | undefined;
  passwordLoginDisabled: boolean;
  /** Outgoing mail for sign-in links; undefined: links are only handed to the administrator who made them. */
  smtp: SmtpConfig | undefined;
  logLevel: LogLevel;
  /** Audit rows older than this many days are archived hourly; undefined keeps them forever. */
  auditRetentionDays: number | undefined;
  /** Keys that were generated into the data directory because their variable was unset. */
  generatedKeys: string[];
  /** ROOTCX_TRUSTED_PROXIES as given (validated); empty: X-Forwarded-For is ignored. */
  trustedProxies: string | undefined;
  /** ROOTCX_LOGIN_RATE_PER_MINUTE; undefined keeps the default. */
  loginRatePerMinute: number | undefined;
  /** ROOTCX_REGISTER_RATE_PER_HOUR; undefined keeps the default. */
  registerRatePerHour: number | undefined;
  /** ROOTCX_RPC_TIMEOUT_MS: an app RPC's deadline (30 s by default). */
  rpcTimeoutMs: number;
  /** ROOTCX_UPLOAD_IDLE_TIMEOUT_MS: an upload body silent this long is 408 (20 s by default). */
  uploadIdleTimeoutMs: number;
  /** ROOTCX_MIGRATION_TIMEOUT_SECONDS: how long one deploy migration file may run (300 s by default). */
  migrationTimeoutSeconds: number;
  /** ROOTCX_WORKER_IDLE_SECONDS: idle time before a user or anonymous worker stops (300 by default). */
  workerIdleSeconds: number;
  /** ROOTCX_MAX_USER_WORKERS: user worker processes kept at once (200 by default). */
  maxUserWorkers: number;
  /** BUN_PATH; undefined: the `bun` npm package's binary. */
  bunPath: string | undefined;
  /** ROOTCX_METRICS: false stops recording metrics altogether. */
  metricsEnabled: boolean;
  /** ROOTCX_METRICS_TOKEN; undefined: /metrics answers loopback callers only. */
  metricsToken: string | undefined;
  /** OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_SERVICE_NAME; undefined: no OpenTelemetry export (the SDK is not loaded). */
  otel: { endpoint: string; serviceName: string } | undefined;
  /** ROOTCX_JOB_*: the job queue's dispatcher (src/server/jobs/config.ts). */
  jobs: JobsConfig;
  /** ROOTCX_CRON_*: the scheduler (src/server/crons/config.ts). */
  crons: CronsConfig;
}

export interface SmtpConfig {
  url: string;
  from: string;
}

/** A configuration problem that must stop the Core; the message names the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const DEFAULT_PORT = 9100;

/**
 * Validates the environment once and resolves the keys: an unset ROOTCX_JWT_SECRET or ROOTCX_MASTER_KEY is
 * generated once into `<data>/config/*.key` (mode 0600) and read back on every later start.
 */
export function loadConfig(env: Record<string, string | undefined>, cwd = process.cwd()): CoreConfig {
  const parsed = envSchema.safeParse(env);
  const jobs = parseJobsConfig(env);
  const crons = parseCronsConfig(env);
  if (!parsed.success || "problems" in jobs || "problems" in crons) {
    const lines = [
      ...(parsed.error?.issues.map((i) => `${i.path.join(".") || "environment"}: ${i.message}`) ?? []),
      ...("problems" in jobs ? jobs.problems : []),
      ...("problems" in crons ? crons.problems : []),
    ];
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(cwd, e.ROOTCX_DATA_DIR ?? "data");
  const configDir = path.join(dataDir, "config");
  const generatedKeys: string[] = [];

  const jwtSecret =
    e.ROOTCX_JWT_SECRET ??
    readOrCreateKey(path.join(configDir, "jwt.key"), "ROOTCX_JWT_SECRET", /^.{32,}$/, generatedKeys);
  const masterHex =
    e.ROOTCX_MASTER_KEY ??
    readOrCreateKey(path.join(configDir, "master.key"), "ROOTCX_MASTER_KEY", /^[0-9a-fA-F]{64}$/, generatedKeys);

  return {
    dataDir,
    databaseUrl: e.DATABASE_URL,
    host: e.ROOTCX_BIND ? "0.0.0.0" : "127.0.0.1",
    port: e.PORT ?? DEFAULT_PORT,
    jwtSecret,
    masterKey: Buffer.from(masterHex, "hex"),
    masterKeySource: e.ROOTCX_MASTER_KEY ? "env" : "file",
    publicUrl: (e.ROOTCX_PUBLIC_URL ?? e.ROOTCX_URL ?? `http://localhost:${e.PORT ?? DEFAULT_PORT}`).replace(/\/+$/, ""),
    oidc:
      e.ROOTCX_OIDC_ISSUER && e.ROOTCX_OIDC_CLIENT_ID && e.ROOTCX_OIDC_CLIENT_SECRET
        ? { issuer: e.ROOTCX_OIDC_ISSUER, clientId: e.ROOTCX_OIDC_CLIENT_ID, clientSecret: e.ROOTCX_OIDC_CLIENT_SECRET }
        : undefined,
    passwordLoginDisabled: e.ROOTCX_DISABLE_PASSWORD_LOGIN === "true" || e.ROOTCX_DISABLE_PASSWORD_LOGIN === "1",
    smtp: e.ROOTCX_SMTP_URL && e.ROOTCX_SMTP_FROM ? { url: e.ROOTCX_SMTP_URL, from: e.ROOTCX_SMTP_FROM } : undefined,
    logLevel: e.LOG_LEVEL ?? e.RUST_LOG ?? "info",
    auditRetentionDays: e.ROOTCX_AUDIT_RETENTION_DAYS,
    generatedKeys,
    trustedProxies: e.ROOTCX_TRUSTED_PROXIES,
    loginRatePerMinute: e.ROOTCX_LOGIN_RATE_PER_MINUTE,
    registerRatePerHour: e.ROOTCX_REGISTER_RATE_PER_HOUR,
    rpcTimeoutMs: e.ROOTCX_RPC_TIMEOUT_MS ?? 30_000,
    migrationTimeoutSeconds: e.ROOTCX_MIGRATION_TIMEOUT_SECONDS ?? 300,
    uploadIdleTimeoutMs: e.ROOTCX_UPLOAD_IDLE_TIMEOUT_MS ?? 20_000,
    workerIdleSeconds: e.ROOTCX_WORKER_IDLE_SECONDS ?? 300,
    maxUserWorkers: e.ROOTCX_MAX_USER_WORKERS ?? 200,
    bunPath: e.BUN_PATH,
    metricsEnabled: e.ROOTCX_METRICS !== "off",
    metricsToken: e.ROOTCX_METRICS_TOKEN,
    otel: e.OTEL_EXPORTER_OTLP_ENDPOINT ? { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME ?? "rootcx-core" } : undefined,
    jobs: jobs.config,
    crons: crons.config,
  };
}

function readOrCreateKey(file: string, variable: string, shape: RegExp, generated: string[]): string {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written aside and hard-linked into place: link() fails if the key exists, so two Cores starting at
  // once never overwrite each other's key, and no reader ever sees a half-written file.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(tmp, randomBytes(32).toString("hex"), { mode: 0o600 });
    linkSync(tmp, file);
    generated.push(`${variable} → ${file}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new ConfigError(`${variable} is unset and ${file} cannot be written: ${(err as Error).message}`);
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  const value = readFileSync(file, "utf8").trim();
  if (!shape.test(value)) {
    throw new ConfigError(`${variable} is unset and ${file} does not hold a valid key; fix or remove the file`);
  }
  chmodSync(file, 0o600);
  return value;
}
