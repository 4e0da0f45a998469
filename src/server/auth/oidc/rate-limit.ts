import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { Core } from "../../core.ts";
import { CoreError } from "../../errors.ts";
import { addressKey } from "../client-address.ts";

const limiters = new WeakMap<Core, RateLimiterPostgres>();

/**
 * The public SSO endpoints (authorize, callback, token exchange, nonce exchange) count against one per-address
 * budget (the password sign-in's per-minute number, ROOTCX_LOGIN_RATE_PER_MINUTE), kept in PostgreSQL like the password limits so every Core process shares it. Each endpoint does work
 * a flood would multiply: a row, a discovery or key fetch, a call to the provider.
 */
export async function beforeSsoRequest(core: Core, ip: string): Promise<void> {
  let limiter = limiters.get(core);
  if (!limiter) {
    limiter = new RateLimiterPostgres({
      storeClient: core.db.pool,
      schemaName: "rootcx_system",
      tableName: "rate_limits",
      tableCreated: true,
      clearExpiredByTimeout: true,
      keyPrefix: "sso_ip",
      points: core.auth.limits.loginPerIpPerMinute,
      duration: 60,
    });
    limiters.set(core, limiter);
  }
  try {
    await limiter.consume(addressKey(ip));
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
    throw new CoreError("TOO_MANY_REQUESTS", `too many sign-in attempts, retry in ${seconds} s`, { headers: { "retry-after": String(seconds) } });
  }
}
