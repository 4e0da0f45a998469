import { createHash } from "node:crypto";
import type pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import { setTimeout as delay } from "node:timers/promises";
import { CoreError } from "../errors.ts";
import { addressKey } from "./client-address.ts";

export interface AuthRateLimits {
  /** Login attempts per client address per minute. */
  loginPerIpPerMinute: number;
  /**
   * Failed logins for one account from one client address before that address is locked out of that account
   * for `accountLockoutMinutes`. Other addresses, the owner's included, are not locked out.
   */
  failuresPerAccount: number;
  accountLockoutMinutes: number;
  /**
   * Failed logins for one account from every address together, within `accountLockoutMinutes`, after which each
   * attempt on that account is held back, longer as failures grow (never refused: that would let anyone lock
   * the owner out).
   */
  accountSlowdownAfter: number;
  /** The longest that slowdown holds an attempt back. */
  accountSlowdownMaxMs: number;
  /** Registrations per client address per hour. */
  registrationsPerIpPerHour: number;
  /** Client-credentials exchanges (`POST /auth/token`) per client address per minute, refused or not. */
  tokenExchangesPerIpPerMinute: number;
  /** Tokens issued per service account per minute; with a 15-minute token this bounds its live sessions. */
  tokensPerAccountPerMinute: number;
}

export const DEFAULT_AUTH_RATE_LIMITS: AuthRateLimits = {
  loginPerIpPerMinute: 30,
  failuresPerAccount: 10,
  accountLockoutMinutes: 15,
  accountSlowdownAfter: 10,
  accountSlowdownMaxMs: 5_000,
  registrationsPerIpPerHour: 20,
  tokenExchangesPerIpPerMinute: 60,
  tokensPerAccountPerMinute: 20,
};

/** The first held-back attempt waits this long; each further failure doubles it, up to the maximum. */
const SLOWDOWN_BASE_MS = 250;

function tooMany(res: RateLimiterRes): CoreError {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new CoreError("TOO_MANY_REQUESTS", `too many attempts, retry in ${seconds} s`, { headers: { "retry-after": String(seconds) } });
}

/** Store keys are digests, so the counter table never holds an email address or a client address. */
const digest = (...parts: string[]) => createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 40);
const accountKey = (email: string) => digest(email);
const pairKey = (email: string, ip: string) => digest(email, addressKey(ip));

/**
 * Login and registration limits, counted in PostgreSQL (rootcx_system.rate_limits) so that every Core process
 * serving one database shares them and a restart does not reset them. Lockout is per (account, address), as
 * OWASP ASVS 5 §6.3 asks: a guesser locks only itself out, and the account as a whole is only slowed.
 */
export class AuthRateLimiter {
  readonly #loginIp: RateLimiterPostgres;
  /** Failures per (account, address): reaching the limit blocks that pair. */
  readonly #pair: RateLimiterPostgres;
  /** Failures per account from every address: only ever slows attempts down. */
  readonly #account: RateLimiterPostgres;
  readonly #registerIp: RateLimiterPostgres;
  readonly #tokenIp: RateLimiterPostgres;
  readonly #tokenAccount: RateLimiterPostgres;
  readonly #limits: AuthRateLimits;

  constructor(pool: pg.Pool, limits: AuthRateLimits) {
    this.#limits = limits;
    const base = { storeClient: pool, schemaName: "rootcx_system", tableName: "rate_limits", tableCreated: true, clearExpiredByTimeout: true };
    const window = limits.accountLockoutMinutes * 60;
    this.#loginIp = new RateLimiterPostgres({ ...base, keyPrefix: "login_ip", points: limits.loginPerIpPerMinute, duration: 60 });
    this.#pair = new RateLimiterPostgres({ ...base, keyPrefix: "login_acct_addr", points: limits.failuresPerAccount, duration: window, blockDuration: window });
    this.#account = new RateLimiterPostgres({ ...base, keyPrefix: "login_acct", points: Number.MAX_SAFE_INTEGER, duration: window });
    this.#registerIp = new RateLimiterPostgres({ ...base, keyPrefix: "register_ip", points: limits.registrationsPerIpPerHour, duration: 3600 });
    this.#tokenIp = new RateLimiterPostgres({ ...base, keyPrefix: "token_ip", points: limits.tokenExchangesPerIpPerMinute, duration: 60 });
    this.#tokenAccount = new RateLimiterPostgres({ ...base, keyPrefix: "token_acct", points: limits.tokensPerAccountPerMinute, duration: 60 });
  }

  async #consume(limiter: RateLimiterPostgres, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw tooMany(err);
      throw err;
    }
  }

  /** How long an attempt on an account with this many recent failures (from anywhere) is held back. */
  slowdownMs(accountFailures: number): number {
    const over = accountFailures - this.#limits.accountSlowdownAfter;
    if (over < 0) return 0;
    return Math.min(this.#limits.accountSlowdownMaxMs, SLOWDOWN_BASE_MS * 2 ** Math.min(over, 30));
  }

  /**
   * Counts a login attempt from this address, refuses it while this address is locked out of the account, and
   * holds it back while the account is under attack. Resolves to whether this address has recorded failures
   * for the account (which a successful login then clears).
   */
  async beforeLogin(ip: string, email: string): Promise<boolean> {
    const [, pair, account] = await Promise.all([
      this.#consume(this.#loginIp, addressKey(ip)),
      this.#pair.get(pairKey(email, ip)),
      this.#account.get(accountKey(email)),
    ]);
    if (pair && pair.consumedPoints >= this.#limits.failuresPerAccount) throw tooMany(pair);
    const wait = this.slowdownMs(account?.consumedPoints ?? 0);
    if (wait > 0) await delay(wait);
    return pair !== null && pair.consumedPoints > 0;
  }

  /** A wrong password (or unknown account) counts towards this address's lockout and the account's slowdown. */
  async loginFailed(ip: string, email: string): Promise<void> {
    const key = pairKey(email, ip);
    await Promise.all([
      this.#pair.penalty(key, 1).then(async (res) => {
        if (res.consumedPoints >= this.#limits.failuresPerAccount) await this.#pair.block(key, this.#limits.accountLockoutMinutes * 60);
      }),
      this.#account.penalty(accountKey(email), 1),
    ]);
  }

  /**
   * Clears this address's failures. The account-wide count is left to expire: the owner signing in must not
   * reset the slowdown an attacker elsewhere is facing.
   */
  async loginSucceeded(ip: string, email: string): Promise<void> {
    await this.#pair.delete(pairKey(email, ip));
  }

  async beforeRegister(ip: string): Promise<void> {
    await this.#consume(this.#registerIp, addressKey(ip));
  }

  /** Every client-credentials exchange from this address counts, before its key is even looked at. */
  async beforeTokenExchange(ip: string): Promise<void> {
    await this.#consume(this.#tokenIp, addressKey(ip));
  }

  /**
   * Counts a token about to be issued to this account. Only exchanges whose key was right count, so nobody
   * without the key can use up the account's allowance.
   */
  async beforeTokenIssued(accountId: string): Promise<void> {
    await this.#consume(this.#tokenAccount, digest(accountId));
  }
}
