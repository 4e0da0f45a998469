import { createHash } from "node:crypto";
import type pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { CoreError } from "../errors.ts";

export interface AuthRateLimits {
  /** Login attempts per client address per minute. */
  loginPerIpPerMinute: number;
  /** Failed logins per account before it is locked out for `accountLockoutMinutes`. */
  failuresPerAccount: number;
  accountLockoutMinutes: number;
  /** Registrations per client address per hour. */
  registrationsPerIpPerHour: number;
}

export const DEFAULT_AUTH_RATE_LIMITS: AuthRateLimits = {
  loginPerIpPerMinute: 30,
  failuresPerAccount: 10,
  accountLockoutMinutes: 15,
  registrationsPerIpPerHour: 20,
};

function tooMany(res: RateLimiterRes): CoreError {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new CoreError("TOO_MANY_REQUESTS", `too many attempts, retry in ${seconds} s`, { headers: { "retry-after": String(seconds) } });
}

/** The store key of an account: a digest, so the counter table never holds an email address. */
const accountKey = (email: string) => createHash("sha256").update(email).digest("hex").slice(0, 40);

/**
 * Login and registration limits, counted in PostgreSQL (rootcx_system.rate_limits) so that every Core process
 * serving one database shares them and a restart does not reset them.
 */
export class AuthRateLimiter {
  readonly #loginIp: RateLimiterPostgres;
  readonly #account: RateLimiterPostgres;
  readonly #registerIp: RateLimiterPostgres;
  readonly #limits: AuthRateLimits;

  constructor(pool: pg.Pool, limits: AuthRateLimits) {
    this.#limits = limits;
    const base = { storeClient: pool, schemaName: "rootcx_system", tableName: "rate_limits", tableCreated: true, clearExpiredByTimeout: true };
    this.#loginIp = new RateLimiterPostgres({ ...base, keyPrefix: "login_ip", points: limits.loginPerIpPerMinute, duration: 60 });
    this.#account = new RateLimiterPostgres({
      ...base,
      keyPrefix: "login_acct",
      points: limits.failuresPerAccount,
      duration: limits.accountLockoutMinutes * 60,
      blockDuration: limits.accountLockoutMinutes * 60,
    });
    this.#registerIp = new RateLimiterPostgres({ ...base, keyPrefix: "register_ip", points: limits.registrationsPerIpPerHour, duration: 3600 });
  }

  async #consume(limiter: RateLimiterPostgres, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw tooMany(err);
      throw err;
    }
  }

  /**
   * Counts a login attempt from this address, and refuses it while the account is locked out. Resolves to
   * whether the account has recorded failures (which a successful login then clears).
   */
  async beforeLogin(ip: string, email: string): Promise<boolean> {
    const [, account] = await Promise.all([this.#consume(this.#loginIp, ip), this.#account.get(accountKey(email))]);
    if (account && account.consumedPoints >= this.#limits.failuresPerAccount) throw tooMany(account);
    return account !== null && account.consumedPoints > 0;
  }

  /** A wrong password (or unknown account) counts towards the account's lockout. */
  async loginFailed(email: string): Promise<void> {
    await this.#account.penalty(accountKey(email), 1).then(async (res) => {
      if (res.consumedPoints >= this.#limits.failuresPerAccount) await this.#account.block(accountKey(email), this.#limits.accountLockoutMinutes * 60);
    });
  }

  async loginSucceeded(email: string): Promise<void> {
    await this.#account.delete(accountKey(email));
  }

  async beforeRegister(ip: string): Promise<void> {
    await this.#consume(this.#registerIp, ip);
  }
}
