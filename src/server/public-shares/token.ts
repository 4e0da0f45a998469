import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Share tokens carry their own prefix, so that an Authorization header can be told apart without a lookup:
 * a JWT has dots, a service account's API key starts with `rcs_`, a share token with `rcsh_`.
 */
export const SHARE_TOKEN_PREFIX = "rcsh_";

/** 32 random bytes (256 bits) as base64url: 43 characters after the prefix. */
const SHARE_TOKEN = /^rcsh_[A-Za-z0-9_-]{43}$/;

/** How much of a token lists show: enough to tell links apart, far too little to guess the rest. */
const DISPLAYED_LENGTH = SHARE_TOKEN_PREFIX.length + 6;

export const isShareToken = (token: string): boolean => token.startsWith(SHARE_TOKEN_PREFIX);
export const isWellFormedShareToken = (token: string): boolean => SHARE_TOKEN.test(token);

export function newShareToken(): { token: string; hash: string; prefix: string } {
  const token = SHARE_TOKEN_PREFIX + randomBytes(32).toString("base64url");
  return { token, hash: hashShareToken(token), prefix: token.slice(0, DISPLAYED_LENGTH) };
}

/** Only this is stored: a leaked table yields no usable link. */
export const hashShareToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

/** The row found by hash is compared again in constant time, so no answer depends on how much of a hash matched. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
