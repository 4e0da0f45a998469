import type { Queryable } from "../db/queryable.ts";
import type { ActAsDto, CredentialDto, ServiceAccountDto } from "./schema.ts";

/** A service account: a service principal with an owner (the seeded system principal has none). */
const IS_SERVICE_ACCOUNT = "u.kind = 'service' AND u.is_system AND u.owner_of_record IS NOT NULL";

export const serviceAccountEmail = (slug: string): string => `sa+${slug}@localhost`;
const slugOf = (email: string): string => email.slice("sa+".length, email.lastIndexOf("@"));

interface AccountRow {
  id: string;
  email: string;
  display_name: string | null;
  disabled_at: Date | null;
  owner_id: string;
  owner_email: string;
  roles: string[];
  credential_count: number;
  last_used_at: Date | null;
  created_at: Date;
}

const ACCOUNT_SELECT = `
  SELECT u.id, u.email, u.display_name, u.disabled_at, u.created_at, o.id AS owner_id, o.email AS owner_email,
         coalesce((SELECT array_agg(a.role ORDER BY a.role) FROM rootcx_system.rbac_assignments a WHERE a.user_id = u.id), '{}') AS roles,
         (SELECT count(*)::int FROM rootcx_system.service_account_credentials c WHERE c.user_id = u.id) AS credential_count,
         (SELECT max(c.last_used_at) FROM rootcx_system.service_account_credentials c WHERE c.user_id = u.id) AS last_used_at
    FROM rootcx_system.users u JOIN rootcx_system.users o ON o.id = u.owner_of_record
   WHERE ${IS_SERVICE_ACCOUNT}`;

const toAccountDto = (r: AccountRow): ServiceAccountDto => ({
  id: r.id,
  email: r.email,
  slug: slugOf(r.email),
  displayName: r.display_name,
  disabled: r.disabled_at !== null,
  owner: { id: r.owner_id, email: r.owner_email },
  roles: r.roles,
  credentialCount: r.credential_count,
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
});

export async function listAccounts(db: Queryable): Promise<ServiceAccountDto[]> {
  const { rows } = await db.query<AccountRow>(`${ACCOUNT_SELECT} ORDER BY u.email`);
  return rows.map(toAccountDto);
}

export async function getAccount(db: Queryable, id: string): Promise<ServiceAccountDto | undefined> {
  const { rows } = await db.query<AccountRow>(`${ACCOUNT_SELECT} AND u.id = $1`, [id]);
  return rows[0] && toAccountDto(rows[0]);
}

/** Inserts the account; undefined when the e-mail (so the slug) is taken. */
export async function insertAccount(db: Queryable, a: { email: string; displayName: string | null; owner: string }): Promise<{ id: string; email: string } | undefined> {
  const { rows } = await db.query<{ id: string; email: string }>(
    `INSERT INTO rootcx_system.users (email, display_name, is_system, kind, owner_of_record) VALUES ($1, $2, true, 'service', $3)
     ON CONFLICT (email) DO NOTHING RETURNING id, email`,
    [a.email, a.displayName, a.owner],
  );
  return rows[0];
}

export interface LockedAccount {
  id: string;
  email: string;
  disabled: boolean;
  owner: string;
}

/** Locks the account row, so that key creation, disabling and deletion on it happen one at a time. */
export async function lockAccount(db: Queryable, id: string): Promise<LockedAccount | undefined> {
  const { rows } = await db.query<LockedAccount>(
    `SELECT u.id, u.email, u.disabled_at IS NOT NULL AS disabled, u.owner_of_record AS owner
       FROM rootcx_system.users u WHERE u.id = $1 AND ${IS_SERVICE_ACCOUNT} FOR UPDATE`,
    [id],
  );
  return rows[0];
}

export async function deleteAccount(db: Queryable, id: string): Promise<void> {
  await db.query("DELETE FROM rootcx_system.users WHERE id = $1", [id]);
}

export async function setDisabled(db: Queryable, id: string, disabled: boolean): Promise<void> {
  await db.query(
    "UPDATE rootcx_system.users SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) ELSE NULL END, updated_at = now() WHERE id = $1",
    [id, disabled],
  );
}

export async function setOwner(db: Queryable, id: string, owner: string): Promise<void> {
  await db.query("UPDATE rootcx_system.users SET owner_of_record = $2, updated_at = now() WHERE id = $1", [id, owner]);
}

/** Ends the account's client-credentials sessions (all, or those of one key); says which. */
export async function deleteSessions(db: Queryable, userId: string, credentialId?: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    "DELETE FROM rootcx_system.sessions WHERE user_id = $1 AND ($2::uuid IS NULL OR credential_id = $2) RETURNING id",
    [userId, credentialId ?? null],
  );
  return rows.map((r) => r.id);
}

export interface Person {
  id: string;
  email: string;
  disabled: boolean;
}

/** A person's account (never a system principal), locked against deletion until the transaction ends. */
export async function findPerson(db: Queryable, id: string): Promise<Person | undefined> {
  const { rows } = await db.query<Person>(
    "SELECT id, email, disabled_at IS NOT NULL AS disabled FROM rootcx_system.users WHERE id = $1 AND kind = 'human' AND NOT is_system FOR SHARE",
    [id],
  );
  return rows[0];
}

// ---- credentials ----

export async function countCredentials(db: Queryable, userId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM rootcx_system.service_account_credentials WHERE user_id = $1", [userId]);
  return rows[0]!.n;
}

/** Undefined when the account already has a key of that name. */
export async function insertCredential(
  db: Queryable,
  c: { userId: string; name: string; prefix: string; hash: Buffer; expiresInDays: number },
): Promise<{ id: string; expires_at: Date } | undefined> {
  const { rows } = await db.query<{ id: string; expires_at: Date }>(
    `INSERT INTO rootcx_system.service_account_credentials (user_id, name, prefix, key_hash, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(days => $5))
     ON CONFLICT ON CONSTRAINT service_account_credentials_name_unique DO NOTHING RETURNING id, expires_at`,
    [c.userId, c.name, c.prefix, c.hash, c.expiresInDays],
  );
  return rows[0];
}

export async function listCredentials(db: Queryable, userId: string): Promise<CredentialDto[]> {
  const { rows } = await db.query<{ id: string; name: string; prefix: string; expires_at: Date; last_used_at: Date | null; created_at: Date; expired: boolean }>(
    `SELECT id, name, prefix, expires_at, last_used_at, created_at, expires_at <= now() AS expired
       FROM rootcx_system.service_account_credentials WHERE user_id = $1 ORDER BY created_at DESC, name`,
    [userId],
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    expiresAt: r.expires_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    expired: r.expired,
  }));
}

export async function deleteCredential(db: Queryable, userId: string, credentialId: string): Promise<{ name: string; prefix: string } | undefined> {
  const { rows } = await db.query<{ name: string; prefix: string }>(
    "DELETE FROM rootcx_system.service_account_credentials WHERE id = $1 AND user_id = $2 RETURNING name, prefix",
    [credentialId, userId],
  );
  return rows[0];
}

export interface CredentialRow {
  id: string;
  key_hash: Buffer;
  expires_at: Date;
  user_id: string;
  email: string;
  display_name: string | null;
  created_at: Date;
  disabled: boolean;
}

/** The keys sharing a prefix (almost always one), with their account; the caller compares hashes itself. */
export async function credentialsByPrefix(db: Queryable, prefix: string): Promise<CredentialRow[]> {
  const { rows } = await db.query<CredentialRow>(
    `SELECT c.id, c.key_hash, c.expires_at, u.id AS user_id, u.email, u.display_name, u.created_at, u.disabled_at IS NOT NULL AS disabled
       FROM rootcx_system.service_account_credentials c JOIN rootcx_system.users u ON u.id = c.user_id
      WHERE c.prefix = $1 AND ${IS_SERVICE_ACCOUNT}`,
    [prefix],
  );
  return rows;
}

/**
 * A session for a client-credentials access token: it names its key, and has no refresh token. The key's expired
 * sessions go in the same statement, so a script that exchanges its key every few minutes leaves no trail of rows.
 */
export async function insertKeySession(
  db: Queryable,
  s: { id: string; userId: string; credentialId: string; unusedRefreshHash: string; ttlSeconds: number; ip: string; userAgent: string | null },
): Promise<void> {
  await db.query(
    `WITH expired AS (DELETE FROM rootcx_system.sessions WHERE credential_id = $3 AND expires_at <= now())
     INSERT INTO rootcx_system.sessions (id, user_id, credential_id, refresh_token_hash, expires_at, ip, user_agent)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6, $7)`,
    [s.id, s.userId, s.credentialId, s.unusedRefreshHash, s.ttlSeconds, s.ip, s.userAgent],
  );
}

/** Whether a key still exists, has expired, and whether its account is disabled. */
export async function credentialState(db: Queryable, credentialId: string): Promise<{ expired: boolean; disabled: boolean } | undefined> {
  const { rows } = await db.query<{ expired: boolean; disabled: boolean }>(
    `SELECT c.expires_at <= now() AS expired, u.disabled_at IS NOT NULL AS disabled
       FROM rootcx_system.service_account_credentials c JOIN rootcx_system.users u ON u.id = c.user_id WHERE c.id = $1`,
    [credentialId],
  );
  return rows[0];
}

/** Records a use; skipped in SQL too when another process recorded one within the minute. */
export async function touchCredential(db: Queryable, credentialId: string): Promise<void> {
  await db.query(
    `UPDATE rootcx_system.service_account_credentials SET last_used_at = now()
      WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
    [credentialId],
  );
}

// ---- act-as delegations ----

/** Undefined when an active act-as delegation between the two exists already. */
export async function insertActAs(db: Queryable, d: { delegator: string; delegatee: string; createdBy: string }): Promise<{ id: string } | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO rootcx_system.delegations (delegator_uid, delegatee_uid, trigger_type, created_by) VALUES ($1, $2, 'act_as', $3)
     ON CONFLICT (delegator_uid, delegatee_uid) WHERE revoked_at IS NULL AND trigger_type = 'act_as' DO NOTHING RETURNING id`,
    [d.delegator, d.delegatee, d.createdBy],
  );
  return rows[0];
}

export async function revokeActAs(db: Queryable, delegator: string, delegatee: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE rootcx_system.delegations SET revoked_at = now()
      WHERE delegator_uid = $1 AND delegatee_uid = $2 AND trigger_type = 'act_as' AND revoked_at IS NULL RETURNING id`,
    [delegator, delegatee],
  );
  return rows[0]?.id;
}

export async function listActAs(db: Queryable, delegatee: string): Promise<ActAsDto[]> {
  const { rows } = await db.query<{ id: string; user_id: string; email: string; created_at: Date }>(
    `SELECT d.id, u.id AS user_id, u.email, d.created_at
       FROM rootcx_system.delegations d JOIN rootcx_system.users u ON u.id = d.delegator_uid
      WHERE d.delegatee_uid = $1 AND d.trigger_type = 'act_as' AND d.revoked_at IS NULL
        AND (d.expires_at IS NULL OR d.expires_at > now())
      ORDER BY u.email`,
    [delegatee],
  );
  return rows.map((r) => ({ id: r.id, userId: r.user_id, email: r.email, createdAt: r.created_at.toISOString() }));
}

export interface ActAsParties {
  delegation: boolean;
  caller: { kind: string; disabled: boolean } | undefined;
  target: { kind: string; isSystem: boolean; disabled: boolean } | undefined;
}

/** What act-as decides on, read in one statement: both principals and whether the standing delegation is live. */
export async function actAsParties(db: Queryable, caller: string, target: string): Promise<ActAsParties> {
  const { rows } = await db.query<{ who: "caller" | "target" | "delegation"; kind: string | null; is_system: boolean | null; disabled: boolean | null }>(
    `SELECT 'caller' AS who, kind, is_system, disabled_at IS NOT NULL AS disabled FROM rootcx_system.users WHERE id = $1
     UNION ALL
     SELECT 'target', kind, is_system, disabled_at IS NOT NULL FROM rootcx_system.users WHERE id = $2
     UNION ALL
     SELECT 'delegation', NULL, NULL, NULL FROM rootcx_system.delegations
      WHERE delegator_uid = $2 AND delegatee_uid = $1 AND trigger_type = 'act_as' AND revoked_at IS NULL
        AND (expires_at IS NULL OR expires_at > now())`,
    [caller, target],
  );
  const caller_ = rows.find((r) => r.who === "caller");
  const target_ = rows.find((r) => r.who === "target");
  return {
    delegation: rows.some((r) => r.who === "delegation"),
    caller: caller_ && { kind: caller_.kind!, disabled: caller_.disabled! },
    target: target_ && { kind: target_.kind!, isSystem: target_.is_system!, disabled: target_.disabled! },
  };
}
