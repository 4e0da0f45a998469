import { availableParallelism } from "node:os";
import type pg from "pg";
import type { Logger } from "pino";
import { createPasswordHasher, type PasswordHasher } from "./password.ts";
import { PrincipalDirectory } from "./principal-directory.ts";
import { AuthRateLimiter, DEFAULT_AUTH_RATE_LIMITS, type AuthRateLimits } from "./rate-limit.ts";
import { TokenService } from "./tokens.ts";

/**
 * Concurrent argon2 hashes: one core fewer than the machine has (at least one), so that a login flood leaves a
 * core for every other request, PostgreSQL included, instead of saturating them all.
 */
export const ARGON2_CONCURRENCY = Math.max(1, availableParallelism() - 1);

/** The authentication subsystem's long-lived parts, built once at boot. */
export interface AuthRuntime {
  tokens: TokenService;
  hasher: PasswordHasher;
  limiter: AuthRateLimiter;
  principals: PrincipalDirectory;
  /** The sign-in limits in force (the SSO endpoints share the per-address one). */
  limits: AuthRateLimits;
  stop(): Promise<void>;
}

export async function startAuthRuntime(opts: {
  jwtSecret: string;
  pool: pg.Pool;
  databaseUrl: string;
  log: Logger;
  limits?: Partial<AuthRateLimits>;
}): Promise<AuthRuntime> {
  const principals = new PrincipalDirectory(opts.pool, opts.databaseUrl, opts.log);
  await principals.start();
  const limits = { ...DEFAULT_AUTH_RATE_LIMITS, ...opts.limits };
  return {
    tokens: new TokenService(opts.jwtSecret),
    hasher: createPasswordHasher({ concurrency: ARGON2_CONCURRENCY, maxQueue: 64 }),
    limiter: new AuthRateLimiter(opts.pool, limits),
    principals,
    limits,
    stop: () => principals.stop(),
  };
}
