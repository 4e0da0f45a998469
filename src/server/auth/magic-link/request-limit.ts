import { createHash } from "node:crypto";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { Core } from "../../core.ts";
import { CoreError } from "../../errors.ts";
import { addressKey } from "../client-address.ts";

/**
 * Self-service sign-in links per hour: per e-mail address (nobody can flood one inbox) and per client address
 * (nobody can mail the whole user list). Both are counted whether or not the address has an account, so a
 * refusal says nothing about who exists.
 */
export const REQUESTS_PER_EMAIL_PER_HOUR = 5;
export const REQUESTS_PER_IP_PER_HOUR = 30;

interface Limiters {
  email: RateLimiterPostgres;
  ip: RateLimiterPostgres;
}

const limiters = new WeakMap<Core, Limiters>();

function limitersOf(core: Core): Limiters {
  let l = limiters.get(core);
  if (!l) {
    // The same PostgreSQL table as the sign-in limits: every Core process shares the counts.
    const base = { storeClient: core.db.pool, schemaName: "rootcx_system", tableName: "rate_limits", tableCreated: true, clearExpiredByTimeout: true, duration: 3600 };
    l = {
      email: new RateLimiterPostgres({ ...base, keyPrefix: "magic_link_email", points: REQUESTS_PER_EMAIL_PER_HOUR }),
      ip: new RateLimiterPostgres({ ...base, keyPrefix: "magic_link_ip", points: REQUESTS_PER_IP_PER_HOUR }),
    };
    limiters.set(core, l);
  }
  return l;
}

/** Keys are digests: the counter table never holds an e-mail address. */
const digest = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 40);

async function take(limiter: RateLimiterPostgres, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
    throw new CoreError("TOO_MANY_REQUESTS", `too many sign-in link requests, retry in ${seconds} s`, { headers: { "retry-after": String(seconds) } });
  }
}

export async function beforeLinkRequest(core: Core, ip: string, email: string): Promise<void> {
  const l = limitersOf(core);
  await take(l.ip, addressKey(ip));
  await take(l.email, digest(email));
}
