import type { Queryable } from "../../db/queryable.ts";
import type { TokenDelivery } from "./schema.ts";

export interface NewLink {
  tokenHash: string;
  email: string;
  roles: string[];
  redirectUri: string | null;
  tokenDelivery: TokenDelivery | null;
  createdBy: string | null;
  expiresInSeconds: number;
}

/** Stores a link; the expiry is computed by the database clock, the one consumption compares against. */
export async function insertLink(db: Queryable, l: NewLink): Promise<{ id: string; expiresAt: Date }> {
  const { rows } = await db.query<{ id: string; expires_at: Date }>(
    `INSERT INTO rootcx_system.magic_link_tokens (token_hash, email, roles, redirect_uri, token_delivery, created_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7)) RETURNING id, expires_at`,
    [l.tokenHash, l.email, l.roles, l.redirectUri, l.tokenDelivery, l.createdBy, l.expiresInSeconds],
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
}

/**
 * Marks the link used, if it is unused and unexpired, in one statement: of two simultaneous consumptions
 * exactly one gets the row back (the other waits on the row lock, then finds consumed_at set).
 */
export async function consumeLink(db: Queryable, tokenHash: string): Promise<ConsumedLink | undefined> {
  const { rows } = await db.query<ConsumedLink>(
    `UPDATE rootcx_system.magic_link_tokens SET consumed_at = now()
      WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > now()
      RETURNING id, token_hash, email, roles, redirect_uri, token_delivery, created_by`,
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
