import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const TAG_BYTES = 16;

export interface Sealed {
  nonce: Buffer;
  /** Ciphertext with the 16-byte GCM tag appended, as the original stores it. */
  ciphertext: Buffer;
}

/**
 * AES-256-GCM with a fresh random 96-bit nonce per call. The associated data binds a ciphertext to its slot
 * (scope and key name): a value copied onto another row fails authentication instead of decrypting.
 */
export function seal(key: Buffer, plaintext: string, aad: string): Sealed {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return { nonce, ciphertext: Buffer.concat([body, cipher.getAuthTag()]) };
}

/** Throws when the key is wrong or the ciphertext, nonce or slot was altered (the GCM tag does not verify). */
export function open(key: Buffer, sealed: Sealed, aad: string): string {
  if (sealed.ciphertext.length < TAG_BYTES) throw new Error("ciphertext too short");
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.nonce);
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES)), decipher.final()]).toString("utf8");
}

export const slotAad = (appId: string, keyName: string) => `${appId}\u0000${keyName}`;
export const CANARY_TEXT = "rootcx-vault-canary";
export const canaryAad = (version: number) => `vault-canary\u0000${version}`;
