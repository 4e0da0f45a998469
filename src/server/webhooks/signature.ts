import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-webhook-signature";
export const TIMESTAMP_HEADER = "x-webhook-timestamp";
/** How far the sender's clock may be from ours, either way (spec §6.3). */
export const SIGNATURE_WINDOW_SECONDS = 300;

/**
 * The signature a sender computes: HMAC-SHA256, keyed by the signing secret's UTF-8 bytes, over the bytes of
 * `${timestamp}.` followed by the raw request body exactly as sent, as lower-case hex, sent as `sha256=<hex>`.
 */
export function signPayload(secret: string, timestamp: string, rawBody: Buffer): string {
  return createHmac("sha256", secret).update(`${timestamp}.`, "utf8").update(rawBody).digest("hex");
}

export type SignatureVerdict = { ok: true; signed: boolean } | { ok: false; reason: string };

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

/**
 * Verifies a call's signature when it carries one, and demands one when the webhook requires it. A call that
 * carries only one of the two headers is refused: it meant to be signed and is not verifiable.
 */
export function verifySignature(opts: {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  secret: string | undefined;
  required: boolean;
  nowSeconds: number;
}): SignatureVerdict {
  const signature = header(opts.headers, SIGNATURE_HEADER);
  const timestamp = header(opts.headers, TIMESTAMP_HEADER);
  if (signature === undefined && timestamp === undefined) {
    return opts.required ? { ok: false, reason: `this webhook requires a signature: send ${SIGNATURE_HEADER} and ${TIMESTAMP_HEADER}` } : { ok: true, signed: false };
  }
  if (signature === undefined || timestamp === undefined) return { ok: false, reason: `${SIGNATURE_HEADER} and ${TIMESTAMP_HEADER} must be sent together` };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `${TIMESTAMP_HEADER} must be unix seconds` };
  if (Math.abs(opts.nowSeconds - Number(timestamp)) > SIGNATURE_WINDOW_SECONDS) {
    return { ok: false, reason: `${TIMESTAMP_HEADER} is more than ${SIGNATURE_WINDOW_SECONDS} seconds from the server's time` };
  }
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(signature);
  if (!match) return { ok: false, reason: `${SIGNATURE_HEADER} must be sha256=<64 hex digits>` };
  // No secret (a vault value that no longer decrypts) verifies nothing: refused rather than let through.
  if (opts.secret === undefined) return { ok: false, reason: "the webhook's signing secret is unavailable; rotate the webhook" };
  const expected = Buffer.from(signPayload(opts.secret, timestamp, opts.rawBody), "hex");
  const given = Buffer.from(match[1]!.toLowerCase(), "hex");
  if (!timingSafeEqual(expected, given)) return { ok: false, reason: "signature mismatch" };
  return { ok: true, signed: true };
}
