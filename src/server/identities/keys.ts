import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Every API key starts with this, so a bearer value is told apart from a JWT without parsing it. */
export const KEY_PREFIX = "rcs_";
/** 256 random bits, base64url: 43 characters after the prefix. */
const KEY_BODY = /^rcs_[A-Za-z0-9_-]{43}$/;
/** What lists show and what finds the row: the first 12 characters (48 random bits after "rcs_"). */
const PREFIX_LENGTH = 12;

export interface NewKey {
  key: string;
  prefix: string;
  hash: Buffer;
}

export function newKey(): NewKey {
  const key = KEY_PREFIX + randomBytes(32).toString("base64url");
  return { key, prefix: keyPrefix(key), hash: hashKey(key) };
}

export const isApiKey = (bearer: string): boolean => bearer.startsWith(KEY_PREFIX);

export const wellFormedKey = (key: string): boolean => KEY_BODY.test(key);

export const keyPrefix = (key: string): string => key.slice(0, PREFIX_LENGTH);

/**
 * SHA-256 of the whole key. A 256-bit random key cannot be guessed from its digest, so a slow password hash
 * (argon2) would buy nothing and cost every request; a leaked table yields no usable key either way.
 */
export function hashKey(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}

/** Constant-time: how much of a stored hash matches says nothing to the caller. */
export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
