import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** 48 random bytes (384 bits) as base64url: exactly 64 characters (seed 000: "64-character token URLs"). */
const TOKEN = /^[A-Za-z0-9_-]{64}$/;
/** What finds the row and what lists show (`/api/v1/hooks/{prefix}...`): 72 bits, far too little to guess the rest. */
export const PREFIX_LENGTH = 12;

export const isWellFormedToken = (token: string): boolean => TOKEN.test(token);

export function newWebhookToken(): { token: string; hash: string; prefix: string } {
  const token = randomBytes(48).toString("base64url");
  return { token, hash: hashToken(token), prefix: token.slice(0, PREFIX_LENGTH) };
}

/** Only this is stored: a leaked table yields no usable URL. */
export const hashToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

/** Compared in constant time, so no answer depends on how much of a hash matched. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** The signing secret the sender HMACs with: `whsec_` and 32 random bytes as base64url; the key is the whole string. */
export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString("base64url")}`;

export const webhookUrl = (token: string) => `/api/v1/hooks/${token}`;
export const maskedUrl = (prefix: string) => `/api/v1/hooks/${prefix}...`;
