import argon2 from "argon2";
import pLimit from "p-limit";
import { CoreError } from "../errors.ts";

/** OWASP's argon2id parameters: 19 MiB, 2 iterations, parallelism 1. */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 10;
/** argon2 accepts any length; an upper bound keeps a single request from buying minutes of CPU. */
export const PASSWORD_MAX_LENGTH = 1024;

/** The policy of the seeds; the message names the first rule a password breaks. */
export function checkPasswordPolicy(password: string): void {
  const broken =
    password.length < PASSWORD_MIN_LENGTH
      ? `password must be at least ${PASSWORD_MIN_LENGTH} characters`
      : password.length > PASSWORD_MAX_LENGTH
        ? `password must be at most ${PASSWORD_MAX_LENGTH} characters`
        : !/[A-Z]/.test(password)
          ? "password must contain an upper-case letter"
          : !/[a-z]/.test(password)
            ? "password must contain a lower-case letter"
            : !/[0-9]/.test(password)
              ? "password must contain a digit"
              : undefined;
  if (broken) throw new CoreError("BAD_REQUEST", broken);
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the same work as a real verify, so an unknown account answers as slowly as a known one. */
  verifyDummy(password: string): Promise<void>;
}

/**
 * argon2 runs on libuv's thread pool. Capping concurrent hashes (and the queue behind them) keeps a login
 * flood from occupying every thread and every megabyte, so the rest of the Core stays responsive.
 */
export function createPasswordHasher(opts: { concurrency: number; maxQueue: number }): PasswordHasher {
  const limit = pLimit(opts.concurrency);
  let dummyHash: Promise<string> | undefined;

  function run<T>(fn: () => Promise<T>): Promise<T> {
    if (limit.pendingCount >= opts.maxQueue) {
      return Promise.reject(new CoreError("NOT_READY", "too many sign-in attempts in progress, retry shortly", { headers: { "retry-after": "1" } }));
    }
    return limit(fn);
  }

  return {
    hash: (password) => run(() => argon2.hash(password, ARGON2_OPTIONS)),
    verify: (hash, password) =>
      run(async () => {
        try {
          return await argon2.verify(hash, password);
        } catch {
          return false; // a malformed stored hash never authenticates
        }
      }),
    async verifyDummy(password) {
      dummyHash ??= argon2.hash("dummy-password-for-timing", ARGON2_OPTIONS);
      const hash = await dummyHash;
      await run(() => argon2.verify(hash, password).catch(() => false));
    },
  };
}
