import type { Queryable } from "../../db/queryable.ts";
import type { TokenDelivery } from "./schema.ts";

export interface NewLink {
  tokenHash: string;
  email: string;
  roles: string[];
  redirectUri: string | null;
  tokenDelivery: TokenDelivery | null;
  createdBy: string | null;
  /** The existing account the link was made for; null: an invitation for a new account. */
  forAccount: string | null;
  selfService: boolean;
  expiresInSeconds: number;
}

/** Stores a link; the expiry is computed by the database clock, the one consumption compares against. */
export async function insertLink(db: Queryable, l: NewLink): Promise<{ id: string; expiresAt: Date }> {
  const { rows } = await db.query<{ id: string; expires_at: Date }>(
    `INSERT INTO rootcx_system.magic_link_tokens (token_hash, email, roles, redirect_uri, token_delivery, created_by, for_account, self_service, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9)) RETURNING id, expires_at`,
    [l.tokenHash, l.email, l.roles, l.redirectUri, l.tokenDelivery, l.createdBy, l.forAccount, l.selfService, l.expiresInSeconds],
  );
  return { id: rows[0]!.id, expiresAt: rows[0]!.expires_at };
}

export interface ConsumedLink {
  id: string;
  token_hash: string;
  email: string;
  roles: string[];
  redirect_uri: string | null;
  token_delivery: TokenDelivery | null;
  created_by: string | null;
  for_account: string | null;
  self_service: boolean;
}

/**
 * Marks the link used, if it is unused and unexpired, in one statement: of two simultaneous consumptions
 * exactly one gets the row back (the other waits on the row lock, then finds consumed_at set).
 */
export async function consumeLink(db: Queryable, tokenHash: string): Promise<ConsumedLink | undefined> {
  const { rows } = await db.query<ConsumedLink>(
    `UPDATE rootcx_system.magic_link_tokens SET consumed_at = now()
      WHERE token_hash = $1 AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > now()
      RETURNING id, token_hash, email, roles, redirect_uri, token_delivery, created_by, for_account, self_service`,
    [tokenHash],
  );
  return rows[0];
}

export interface Account {
  id: string;
  email: string;
  display_name: string | null;
  created_at: Date;
  kind: string;
  is_system: boolean;
  disabled_at: Date | null;
}

const ACCOUNT_COLUMNS = "id, email, display_name, created_at, kind, is_system, disabled_at";

export async function findAccount(db: Queryable, email: string): Promise<Account | undefined> {
  const { rows } = await db.query<Account>(`SELECT ${ACCOUNT_COLUMNS} FROM rootcx_system.users WHERE email = $1`, [email]);
  return rows[0];
}

/** Creates a password-less person's account, or returns undefined if the address was taken meanwhile. */
export async function insertAccount(db: Queryable, email: string): Promise<Account | undefined> {
  const { rows } = await db.query<Account>(
    `INSERT INTO rootcx_system.users (email) VALUES ($1) ON CONFLICT (email) DO NOTHING RETURNING ${ACCOUNT_COLUMNS}`,
    [email],
  );
  return rows[0];
}

/** Assigns the link's roles; a role deleted since the link was made is skipped. Returns those newly assigned. */
export async function assignRoles(db: Queryable, userId: string, roles: string[]): Promise<string[]> {
  if (roles.length === 0) return [];
  const { rows } = await db.query<{ role: string }>(
    `INSERT INTO rootcx_system.rbac_assignments (user_id, role)
     SELECT $1, r.name FROM rootcx_system.rbac_roles r WHERE r.name = ANY($2::text[])
     ON CONFLICT DO NOTHING RETURNING role`,
    [userId, roles],
  );
  return rows.map((r) => r.role);
}

/** The given role names that do not exist, in the order given. */
export async function unknownRoles(db: Queryable, roles: string[]): Promise<string[]> {
  if (roles.length === 0) return [];
  const { rows } = await db.query<{ name: string }>("SELECT name FROM rootcx_system.rbac_roles WHERE name = ANY($1::text[])", [roles]);
  const known = new Set(rows.map((r) => r.name));
  return roles.filter((r) => !known.has(r));
}

/** Whether a link (used, expired or not) sends its browser somewhere: its refusals then go to a page too. */
export async function linkHasRedirect(db: Queryable, tokenHash: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM rootcx_system.magic_link_tokens WHERE token_hash = $1 AND redirect_uri IS NOT NULL", [tokenHash]);
  return rows.length > 0;
}

export interface Maker {
  id: string;
  disabled_at: Date | null;
}

/** The link's maker as it is now, locked against a concurrent change for the consumption's transaction. */
export async function findMaker(db: Queryable, userId: string): Promise<Maker | undefined> {
  const { rows } = await db.query<Maker>("SELECT id, disabled_at FROM rootcx_system.users WHERE id = $1 FOR SHARE", [userId]);
  return rows[0];
}

export interface OutstandingLink {
  id: string;
  email: string;
  roles: string[];
  created_by: string | null;
  maker_email: string | null;
  self_service: boolean;
  for_account: string | null;
  expires_at: Date;
  created_at: Date;
}

/** Unused, unrevoked, unexpired links, newest first; only those one maker made when `madeBy` is given. */
export async function listOutstanding(db: Queryable, madeBy: string | null): Promise<OutstandingLink[]> {
  const { rows } = await db.query<OutstandingLink>(
    `SELECT l.id, l.email, l.roles, l.created_by, m.email AS maker_email, l.self_service, l.for_account, l.expires_at, l.created_at
       FROM rootcx_system.magic_link_tokens l LEFT JOIN rootcx_system.users m ON m.id = l.created_by
      WHERE l.consumed_at IS NULL AND l.revoked_at IS NULL AND l.expires_at > now() AND ($1::uuid IS NULL OR l.created_by = $1::uuid)
      ORDER BY l.created_at DESC, l.id
      LIMIT 500`,
    [madeBy],
  );
  return rows;
}

/** An outstanding link, locked for revocation. */
export async function lockOutstanding(db: Queryable, id: string): Promise<{ id: string; email: string; created_by: string | null } | undefined> {
  const { rows } = await db.query<{ id: string; email: string; created_by: string | null }>(
    `SELECT id, email, created_by FROM rootcx_system.magic_link_tokens
      WHERE id = $1 AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > now() FOR UPDATE`,
    [id],
  );
  return rows[0];
}

export async function revokeLink(db: Queryable, id: string): Promise<void> {
  await db.query("UPDATE rootcx_system.magic_link_tokens SET revoked_at = now() WHERE id = $1", [id]);
}
