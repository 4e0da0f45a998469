import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import type { Queryable } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";
import { withActor } from "../governance/actor.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { requireAdmin } from "../governance/authorize.ts";

/**
 * Signed download URLs (issue 16 §4): `?expires=<unix seconds>&signature=<base64url HMAC-SHA256>` over a target
 * string that names what may be downloaded (`app-file:{appId}:{fileId}` here; bucket objects name theirs). They
 * work without a bearer token until `expires`; rotating the one signing key (in PostgreSQL, shared by every
 * Core process) makes every URL signed before it fail.
 */
export const MAX_SIGNED_URL_SECONDS = 7 * 24 * 3600;

interface SigningKey {
  generation: number;
  key: Buffer;
}

const SELECT_KEY = "SELECT generation, key FROM rootcx_system.storage_signing_keys ORDER BY generation DESC LIMIT 1";

/** The current key; the first use makes one (concurrent first uses agree on whichever insert won). */
async function currentKey(db: Queryable): Promise<SigningKey> {
  const found = await db.query<SigningKey>(SELECT_KEY);
  if (found.rows[0]) return found.rows[0];
  await db.query("INSERT INTO rootcx_system.storage_signing_keys (generation, key) VALUES (1, $1) ON CONFLICT DO NOTHING", [randomBytes(32)]);
  const made = await db.query<SigningKey>(SELECT_KEY);
  return made.rows[0]!;
}

function mac(key: Buffer, target: string, expires: number): Buffer {
  return createHmac("sha256", key).update(`${target}\n${expires}`).digest();
}

export interface Signed {
  expires: number;
  signature: string;
  expiresAt: string;
  /** `expires=…&signature=…`, to append to the download path. */
  query: string;
}

/** Signs `target` for `expiresInSeconds` (1 s to 7 days). */
export async function signTarget(core: Core, target: string, expiresInSeconds: number): Promise<Signed> {
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_SIGNED_URL_SECONDS) {
    throw new CoreError("BAD_REQUEST", `expiresInSeconds must be a whole number from 1 to ${MAX_SIGNED_URL_SECONDS}`);
  }
  const { key } = await currentKey(core.db.pool);
  const expires = Math.floor(Date.now() / 1000) + expiresInSeconds;
  const signature = mac(key, target, expires).toString("base64url");
  return { expires, signature, expiresAt: new Date(expires * 1000).toISOString(), query: `expires=${expires}&signature=${signature}` };
}

/** Throws FORBIDDEN with the reason unless `signature` signs `target` until `expires` under the current key. */
export async function verifyTarget(core: Core, target: string, expires: string | undefined, signature: string | undefined): Promise<void> {
  if (expires === undefined || signature === undefined) throw new CoreError("FORBIDDEN", "a signed URL needs both expires and signature");
  // One spelling per URL: the decimal that signTarget writes, without leading zeros.
  if (!/^(0|[1-9]\d{0,11})$/.test(expires)) throw new CoreError("FORBIDDEN", "the signed URL's expires is not a time in seconds (decimal digits, no leading zeros)");
  const expiry = Number(expires);
  if (Date.now() / 1000 >= expiry) throw new CoreError("FORBIDDEN", `the signed URL expired at ${new Date(expiry * 1000).toISOString()}`);
  // Node's decoder also takes standard base64, padding and non-zero unused low bits; only the canonical
  // re-encoding of the decoded bytes is accepted, so one signature has exactly one spelling.
  const decoded = /^[A-Za-z0-9_-]{43}$/.test(signature) ? Buffer.from(signature, "base64url") : undefined;
  const given = decoded && decoded.toString("base64url") === signature ? decoded : undefined;
  const { key } = await currentKey(core.db.pool);
  if (!given || given.length !== 32 || !timingSafeEqual(given, mac(key, target, expiry))) {
    throw new CoreError("FORBIDDEN", "the signed URL's signature is not valid (altered, or its signing key was rotated)");
  }
}

/** Replaces the signing key (admin, audited): every URL signed so far stops working, on every Core process. */
export async function rotateSigningKey(core: Core, principal: Principal): Promise<{ generation: number; rotatedAt: string }> {
  await requireAdmin(core, principal);
  return withActor(core, principal, async (tx) => {
    // The lock serialises concurrent rotations: each gets its own generation.
    await tx.query("LOCK TABLE rootcx_system.storage_signing_keys IN SHARE ROW EXCLUSIVE MODE");
    const { rows } = await tx.query<{ generation: number; created_at: Date }>(
      `WITH gone AS (DELETE FROM rootcx_system.storage_signing_keys RETURNING generation)
       INSERT INTO rootcx_system.storage_signing_keys (generation, key, created_by)
       SELECT coalesce((SELECT max(generation) FROM gone), 0) + 1, $1, $2
       RETURNING generation, created_at`,
      [randomBytes(32), principal.userId],
    );
    const row = rows[0]!;
    await recordAdminEvent(tx, { action: "storage.signing_key_rotate", target: String(row.generation) });
    return { generation: row.generation, rotatedAt: row.created_at.toISOString() };
  });
}
