import { RateLimiterPostgres } from "rate-limiter-flexible";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";

/**
 * Per-webhook call limits, counted in PostgreSQL (rootcx_system.rate_limits, as the login limits are) so that
 * every Core serving one database shares one budget per webhook. Each webhook has its own limit (a column an
 * administrator sets), so one counter of unlimited points per webhook and minute is compared with it here rather
 * than one limiter per limit value. Expired rows are cleared by the auth limiter, which shares the table.
 */
const limiters = new WeakMap<Core, RateLimiterPostgres>();

function limiterOf(core: Core): RateLimiterPostgres {
  let limiter = limiters.get(core);
  if (!limiter) {
    limiter = new RateLimiterPostgres({
      storeClient: core.db.pool,
      schemaName: "rootcx_system",
      tableName: "rate_limits",
      tableCreated: true,
      clearExpiredByTimeout: false,
      keyPrefix: "webhook",
      points: Number.MAX_SAFE_INTEGER,
      duration: 60,
    });
    limiters.set(core, limiter);
  }
  return limiter;
}

/** Counts the call; 429 with Retry-After (seconds to the next window) once the webhook's minute is spent. */
export async function takeCall(core: Core, webhookId: string, perMinute: number): Promise<void> {
  const res = await limiterOf(core).consume(webhookId, 1);
  if (res.consumedPoints > perMinute) {
    const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    throw new CoreError("TOO_MANY_REQUESTS", `this webhook takes at most ${perMinute} calls a minute; retry in ${seconds} s`, { headers: { "retry-after": String(seconds) } });
  }
}
