import { createHash, randomBytes } from "node:crypto";
import type { Core } from "../core.ts";
import { withTransaction, type Queryable } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";
import { openSession, type OpenedSession } from "./session.ts";

/** An auth nonce is traded within this many seconds of the redirect that carried it, or never. */
export const AUTH_NONCE_TTL_SECONDS = 30;
/** 32 random bytes as base64url without padding: anything else is not a nonce this Core made. */
const NONCE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const refused = () => new CoreError("UNAUTHORIZED", "invalid or expired nonce; sign in again");
const digest = (nonce: string) => createHash("sha256").update(nonce).digest("hex");

/**
 * A one-time code for a browser redirect: the address then carries no token, only this, which is worthless
 * after one use or 30 seconds. Only its SHA-256 is stored.
 */
export async function issueAuthNonce(db: Queryable, userId: string): Promise<string> {
  const nonce = randomBytes(32).toString("base64url");
  await db.query("DELETE FROM rootcx_system.auth_nonces WHERE expires_at < now()");
  await db.query(
    "INSERT INTO rootcx_system.auth_nonces (nonce_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))",
    [digest(nonce), userId, AUTH_NONCE_TTL_SECONDS],
  );
  return nonce;
}

/**
 * POST /auth/nonce-exchange: deletes the nonce (so two racing exchanges yield one session) and, if it was
 * still fresh and its user may sign in, opens a session exactly as a password sign-in does.
 */
export async function exchangeAuthNonce(core: Core, nonce: string, meta: { ip: string; userAgent: string | null }): Promise<OpenedSession> {
  if (!NONCE_SHAPE.test(nonce)) throw refused();
  return withTransaction(core.db.pool, async (tx) => {
    const { rows } = await tx.query<{ id: string; email: string; fresh: boolean; disabled: boolean }>(
      `WITH used AS (DELETE FROM rootcx_system.auth_nonces WHERE nonce_hash = $1 RETURNING user_id, expires_at)
       SELECT u.id, u.email, used.expires_at > now() AS fresh, u.disabled_at IS NOT NULL AS disabled
         FROM used JOIN rootcx_system.users u ON u.id = used.user_id`,
      [digest(nonce)],
    );
    const row = rows[0];
    if (!row || !row.fresh) throw refused();
    if (row.disabled) throw new CoreError("FORBIDDEN", "this account is disabled");
    return openSession(core, tx, row, meta);
  });
}
