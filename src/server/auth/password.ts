import argon2 from "argon2";
import pLimit from "p-limit";
import { CoreError } from "../errors.ts";

/** OWASP's argon2id parameters: 19 MiB, 2 iterations, parallelism 1. */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 10;
/** argon2 accepts any length; an upper bound keeps a single request from buying minutes of CPU. */
export const PASSWORD_MAX_LENGTH = 1024;

/**
 * The form in which a password is measured, hashed and compared: NFKC, as NIST SP 800-63B advises, so the same
 * password typed on another keyboard or system (composed or decomposed accents, full-width digits, a
 * no-break space) is the same password.
 */
export function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}

/** Control characters, invisible format characters (zero-width spaces, joiners, BOM, bidi marks), lone surrogates, line and paragraph separators. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** What a person sees as characters: "é" written as e + combining accent, or a flag emoji, counts once. */
function countGraphemes(s: string): number {
  let n = 0;
  for (const _ of graphemeSegmenter.segment(s)) n++;
  return n;
}

/**
 * The policy of the seeds, applied to the normalised password and counted in user-perceived characters, so
 * that padding with invisible characters or combining marks does not make a short password long. The message
 * names the first rule a password breaks.
 */
export function checkPasswordPolicy(password: string): void {
  const p = normalizePassword(password);
  const broken = INVISIBLE.test(p)
    ? "password must not contain control or invisible characters"
    : p.length > PASSWORD_MAX_LENGTH
      ? `password must be at most ${PASSWORD_MAX_LENGTH} characters`
      : countGraphemes(p) < PASSWORD_MIN_LENGTH
        ? `password must be at least ${PASSWORD_MIN_LENGTH} characters`
        : !/\p{Lu}/u.test(p)
          ? "password must contain an upper-case letter"
          : !/\p{Ll}/u.test(p)
            ? "password must contain a lower-case letter"
            : !/\p{Nd}/u.test(p)
              ? "password must contain a digit"
              : undefined;
  if (broken) throw new CoreError("BAD_REQUEST", broken);
}

export interface PasswordHasher {
  /** Hashes the normalised form. */
  hash(password: string): Promise<string>;
  /** Compares the normalised form, then (for hashes stored before passwords were normalised) the form as typed. */
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

  const verifyOne = (hash: string, candidate: string) =>
    run(async () => {
      try {
        return await argon2.verify(hash, candidate);
      } catch {
        return false; // a malformed stored hash never authenticates
      }
    });

  /**
   * Every form to compare, normalised first. A password that normalisation changes (only possible outside
   * ASCII) gets a second comparison with the form as typed, which is how it was hashed before normalisation.
   */
  const forms = (password: string) => {
    const normalised = normalizePassword(password);
    return normalised === password ? [password] : [normalised, password];
  };

  return {
    hash: (password) => run(() => argon2.hash(normalizePassword(password), ARGON2_OPTIONS)),
    async verify(hash, password) {
      for (const candidate of forms(password)) if (await verifyOne(hash, candidate)) return true;
      return false;
    },
    async verifyDummy(password) {
      dummyHash ??= argon2.hash("dummy-password-for-timing", ARGON2_OPTIONS);
      const hash = await dummyHash;
      // As many comparisons as a real verify of a wrong password would make.
      for (const candidate of forms(password)) await verifyOne(hash, candidate);
    },
  };
}
