import { z } from "zod";
import { parseTrustedProxies } from "../auth/client-address.ts";

const optionalString = z
  .string()
  .transform((v) => v.trim())
  .optional()
  .transform((v) => (v ? v : undefined));

const optionalUrl = optionalString.pipe(
  z
    .string()
    .refine((v) => URL.canParse(v), { message: "must be an absolute URL such as https://core.example.com" })
    .optional(),
);

const logLevel = z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

/** The environment variables the Core reads, as they arrive (all strings, all optional). */
export const envSchema = z.object({
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .refine((v) => URL.canParse(v) && /^postgres(ql)?:$/.test(new URL(v).protocol), {
        message: "must be a postgres:// or postgresql:// URL",
      })
      .optional(),
  ),
  ROOTCX_BIND: optionalString,
  ROOTCX_JWT_SECRET: optionalString.pipe(
    z.string().min(32, { message: "must be at least 32 characters" }).optional(),
  ),
  ROOTCX_MASTER_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, { message: "must be exactly 32 bytes written as 64 hexadecimal characters" })
      .optional(),
  ),
  ROOTCX_PUBLIC_URL: optionalUrl,
  ROOTCX_URL: optionalUrl,
  ROOTCX_OIDC_ISSUER: optionalUrl,
  ROOTCX_OIDC_CLIENT_ID: optionalString,
  ROOTCX_OIDC_CLIENT_SECRET: optionalString,
  /** Where sign-in links are e-mailed from: smtp:// (STARTTLS when offered) or smtps://, credentials in the URL. */
  ROOTCX_SMTP_URL: optionalString.pipe(
    z
      .string()
      .refine((v) => URL.canParse(v) && /^smtps?:$/.test(new URL(v).protocol) && new URL(v).hostname !== "", {
        message: "must be an smtp:// or smtps:// URL such as smtp://user:pass@mail.example.com:587",
      })
      .optional(),
  ),
  /** The From header of those mails: an address, optionally with a name ("RootCX <no-reply@example.com>"). */
  ROOTCX_SMTP_FROM: optionalString.pipe(
    z
      .string()
      .max(320, { message: "is too long" })
      .regex(/^(?:[^<>\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, {
        message: "must be an e-mail address, optionally with a name: RootCX <no-reply@example.com>",
      })
      .optional(),
  ),
  ROOTCX_DISABLE_PASSWORD_LOGIN: optionalString.pipe(
    z.enum(["true", "1", "false", "0"], { message: "must be true, 1, false or 0" }).optional(),
  ),
  RUST_LOG: optionalString.pipe(logLevel.optional()),
  LOG_LEVEL: optionalString.pipe(logLevel.optional()),
  ROOTCX_DATA_DIR: optionalString,
  /** Proxies whose X-Forwarded-For is believed: addresses or CIDR ranges, comma-separated. */
  ROOTCX_TRUSTED_PROXIES: optionalString.pipe(
    z
      .string()
      .refine(
        (v) => {
          try {
            parseTrustedProxies(v);
            return true;
          } catch {
            return false;
          }
        },
        { message: "must be IP addresses or CIDR ranges separated by commas, e.g. 10.0.0.0/8,fd00::/8" },
      )
      .optional(),
  ),
  /** Sign-in attempts one client address may make per minute (a NAT or a test run may need more). */
  ROOTCX_LOGIN_RATE_PER_MINUTE: optionalString.pipe(
    z.string().regex(/^[1-9]\d{0,5}$/, { message: "must be a whole number of attempts per minute (1 or more)" }).transform(Number).optional(),
  ),
  /** Sign-ups one client address may make per hour (a test run registering many people needs more). */
  ROOTCX_REGISTER_RATE_PER_HOUR: optionalString.pipe(
    z.string().regex(/^[1-9]\d{0,5}$/, { message: "must be a whole number of sign-ups per hour (1 or more)" }).transform(Number).optional(),
  ),
  ROOTCX_AUDIT_RETENTION_DAYS: optionalString.pipe(
    z.string().regex(/^[1-9]\d{0,4}$/, { message: "must be a whole number of days (1 or more)" }).transform(Number).optional(),
  ),
  /** How long an app's RPC may take before the caller gets 504 (spec §4.4: 30 s). */
  ROOTCX_RPC_TIMEOUT_MS: optionalString.pipe(
    z.string().regex(/^[1-9]\d{0,6}$/, { message: "must be a whole number of milliseconds between 1 and 9999999" }).transform(Number).optional(),
  ),
  /** An upload whose body sends nothing for this long is answered 408 and rolled back, freeing its upload slot. */
  ROOTCX_UPLOAD_IDLE_TIMEOUT_MS: optionalString.pipe(
    z.string().regex(/^[1-9]\d{2,6}$/, { message: "must be a whole number of milliseconds between 100 and 9999999" }).transform(Number).optional(),
  ),
  /** How long one deploy migration file may run (and sit idle in its transaction) before the deploy is refused. */
  ROOTCX_MIGRATION_TIMEOUT_SECONDS: optionalString.pipe(
    z.string().regex(/^[1-9]\d{0,5}$/, { message: "must be a whole number of seconds (1 or more)" }).transform(Number).optional(),
  ),
  /** A user's or the anonymous worker process stops after this many seconds without a call. */
  ROOTCX_WORKER_IDLE_SECONDS: optionalString.pipe(
    z.string().regex(/^[1-9]\d{0,5}$/, { message: "must be a whole number of seconds (1 or more)" }).transform(Number).optional(),
  ),
  /** User worker processes kept at once across apps; beyond it the least recently used idle ones stop. */
  ROOTCX_MAX_USER_WORKERS: optionalString.pipe(
    z.string().regex(/^[1-9]\d{0,4}$/, { message: "must be a whole number of processes (1 or more)" }).transform(Number).optional(),
  ),
  /** "off" stops recording metrics (GET /metrics answers 404); on by default. */
  ROOTCX_METRICS: optionalString.pipe(z.enum(["on", "off"], { message: "must be on or off" }).optional()),
  /** The bearer token GET /metrics requires; unset, only loopback callers (not through a proxy) may scrape. */
  ROOTCX_METRICS_TOKEN: optionalString.pipe(
    z.string().regex(/^[\x21-\x7e]{16,256}$/, { message: "must be 16 to 256 printable characters without spaces" }).optional(),
  ),
  /** An OTLP/HTTP collector (http://collector:4318): HTTP spans are exported there; unset, nothing is loaded. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(
    z
      .string()
      .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), { message: "must be an http:// or https:// URL such as http://collector:4318" })
      .optional(),
  ),
  /** The service.name of exported spans. */
  OTEL_SERVICE_NAME: optionalString,
  /** The bun binary workers run on; the `bun` npm package's when unset. */
  BUN_PATH: optionalString,
  PORT: optionalString.pipe(
    z
      .string()
      .regex(/^\d{1,5}$/, { message: "must be a port number between 0 and 65535" })
      .transform(Number)
      .refine((n) => n <= 65535, { message: "must be a port number between 0 and 65535" })
      .optional(),
  ),
}).superRefine((env, ctx) => {
  if (env.ROOTCX_OIDC_ISSUER) {
    for (const key of ["ROOTCX_OIDC_CLIENT_ID", "ROOTCX_OIDC_CLIENT_SECRET"] as const) {
      if (!env[key]) ctx.addIssue({ code: "custom", path: [key], message: "is required when ROOTCX_OIDC_ISSUER is set" });
    }
  }
  // Half an SMTP configuration would silently send nothing (or send from nowhere): both or neither.
  if (env.ROOTCX_SMTP_URL && !env.ROOTCX_SMTP_FROM) ctx.addIssue({ code: "custom", path: ["ROOTCX_SMTP_FROM"], message: "is required when ROOTCX_SMTP_URL is set" });
  if (env.ROOTCX_SMTP_FROM && !env.ROOTCX_SMTP_URL) ctx.addIssue({ code: "custom", path: ["ROOTCX_SMTP_URL"], message: "is required when ROOTCX_SMTP_FROM is set" });
});

export type RawEnv = z.infer<typeof envSchema>;
export type LogLevel = z.infer<typeof logLevel>;
