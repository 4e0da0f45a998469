import type { Queryable } from "../db/queryable.ts";

// Contexts travel as JSON text and are cast to jsonb here; the one-active-share index is over md5(context::text),
// so every comparison below uses the same expression (and the index).

export interface ShareRow {
  id: string;
  app_id: string;
  created_by: string;
  creator_email: string;
  context: Record<string, unknown>;
  token_prefix: string;
  created_at: Date;
  expires_at: Date | null;
}

/**
 * An expired share no longer works but still holds the (app, creator, context) slot: a new create retires it,
 * revoked as of its expiry, in the create's transaction.
 */
export async function retireExpired(db: Queryable, appId: string, createdBy: string, contextJson: string): Promise<void> {
  await db.query(
    `UPDATE rootcx_system.public_shares SET revoked_at = expires_at
      WHERE app_id = $1 AND created_by = $2 AND md5(context::text) = md5($3::jsonb::text)
        AND revoked_at IS NULL AND expires_at <= now()`,
    [appId, createdBy, contextJson],
  );
}

export interface NewShare {
  appId: string;
  createdBy: string;
  contextJson: string;
  tokenHash: string;
  tokenPrefix: string;
  expiresInDays: number | null;
}

/**
 * Inserts the share unless an active one holds its slot: of two concurrent creates the second waits on the
 * unique index, then finds the first one's row and inserts nothing (undefined). The expiry is computed by the
 * database clock, the one every lookup compares against.
 */
export async function insertShare(db: Queryable, s: NewShare): Promise<{ id: string; context: Record<string, unknown>; created_at: Date; expires_at: Date | null } | undefined> {
  const { rows } = await db.query<{ id: string; context: Record<string, unknown>; created_at: Date; expires_at: Date | null }>(
    `INSERT INTO rootcx_system.public_shares (app_id, created_by, context, token_hash, token_prefix, expires_at)
     VALUES ($1, $2, $3::jsonb, $4, $5, CASE WHEN $6::int IS NULL THEN NULL ELSE now() + make_interval(days => $6::int) END)
     ON CONFLICT (app_id, created_by, md5(context::text)) WHERE revoked_at IS NULL DO NOTHING
     RETURNING id, context, created_at, expires_at`,
    [s.appId, s.createdBy, s.contextJson, s.tokenHash, s.tokenPrefix, s.expiresInDays],
  );
  return rows[0];
}

/** The active share that holds a slot (for the refusal's message). */
export async function activeInSlot(db: Queryable, appId: string, createdBy: string, contextJson: string): Promise<{ id: string; token_prefix: string } | undefined> {
  const { rows } = await db.query<{ id: string; token_prefix: string }>(
    `SELECT id, token_prefix FROM rootcx_system.public_shares
      WHERE app_id = $1 AND created_by = $2 AND md5(context::text) = md5($3::jsonb::text) AND revoked_at IS NULL`,
    [appId, createdBy, contextJson],
  );
  return rows[0];
}

/** Shares that work now (not revoked, not expired), newest first; one creator's when `createdBy` is given. */
export async function listActive(db: Queryable, appId: string, createdBy: string | null): Promise<ShareRow[]> {
  const { rows } = await db.query<ShareRow>(
    `SELECT s.id, s.app_id, s.created_by, u.email AS creator_email, s.context, s.token_prefix, s.created_at, s.expires_at
       FROM rootcx_system.public_shares s JOIN rootcx_system.users u ON u.id = s.created_by
      WHERE s.app_id = $1 AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now())
        AND ($2::uuid IS NULL OR s.created_by = $2::uuid)
      ORDER BY s.created_at DESC, s.id
      LIMIT 1000`,
    [appId, createdBy],
  );
  return rows;
}

/** An unrevoked share of the app (expired or not), locked for its revocation. */
export async function lockUnrevoked(db: Queryable, appId: string, id: string): Promise<{ id: string; created_by: string; context: Record<string, unknown>; token_prefix: string } | undefined> {
  const { rows } = await db.query<{ id: string; created_by: string; context: Record<string, unknown>; token_prefix: string }>(
    `SELECT id, created_by, context, token_prefix FROM rootcx_system.public_shares
      WHERE id = $1 AND app_id = $2 AND revoked_at IS NULL FOR UPDATE`,
    [id, appId],
  );
  return rows[0];
}

export async function revokeShare(db: Queryable, id: string): Promise<void> {
  await db.query("UPDATE rootcx_system.public_shares SET revoked_at = now() WHERE id = $1", [id]);
}

export interface LiveShareRow {
  id: string;
  app_id: string;
  created_by: string;
  creator_email: string;
  context: Record<string, unknown>;
  token_hash: string;
}

/**
 * The share a token hash names, if it works now: not revoked, not expired, its creator still enabled. Read on
 * every use, so a revocation or an expiry holds at once on every Core process.
 */
export async function findLiveByHash(db: Queryable, tokenHash: string): Promise<LiveShareRow | undefined> {
  const { rows } = await db.query<LiveShareRow>(
    `SELECT s.id, s.app_id, s.created_by, u.email AS creator_email, s.context, s.token_hash
       FROM rootcx_system.public_shares s JOIN rootcx_system.users u ON u.id = s.created_by
      WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now())
        AND u.disabled_at IS NULL`,
    [tokenHash],
  );
  return rows[0];
}
