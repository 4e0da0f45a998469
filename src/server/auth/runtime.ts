import type pg from "pg";
import type { Logger } from "pino";
import { createPasswordHasher, type PasswordHasher } from "./password.ts";
import { PrincipalDirectory } from "./principal-directory.ts";
import { AuthRateLimiter, DEFAULT_AUTH_RATE_LIMITS, type AuthRateLimits } from "./rate-limit.ts";
import { TokenService } from "./tokens.ts";

/** The authentication subsystem's long-lived parts, built once at boot. */
export interface AuthRuntime {
  tokens: TokenService;
  hasher: PasswordHasher;
  limiter: AuthRateLimiter;
  principals: PrincipalDirectory;
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
  return {
    tokens: new TokenService(opts.jwtSecret),
    // Two hashes at a time leave libuv's other threads (DNS, files, compression) free under a login flood.
    hasher: createPasswordHasher({ concurrency: 2, maxQueue: 64 }),
    limiter: new AuthRateLimiter(opts.pool, { ...DEFAULT_AUTH_RATE_LIMITS, ...opts.limits }),
    principals,
    stop: () => principals.stop(),
  };
}
