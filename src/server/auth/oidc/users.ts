import type pg from "pg";
import type { Core } from "../../core.ts";
import { withTransaction, type Queryable } from "../../db/queryable.ts";
import { CoreError } from "../../errors.ts";
import { actAs } from "../../governance/actor.ts";
import { recordAdminEvent } from "../../governance/admin-events.ts";
import { ADMIN_ROLE, assignRole } from "../../governance/permissions.ts";
import { notifyAuthChange } from "../principal-directory.ts";
import * as authSql from "../sql.ts";
import type { IdTokenClaims } from "./schema.ts";
import { roleExists, type ProviderValues } from "./sql.ts";

export interface SsoUser {
  id: string;
  email: string;
  /** How the user was found: the audit and the log say so. */
  resolution: "linked" | "linked_by_email" | "registered";
}

interface AccountRow {
  id: string;
  email: string;
  disabled: boolean;
}

const disabled = () => new CoreError("FORBIDDEN", "this account is disabled; an administrator can enable it");

/** Providers differ: most send a boolean, a few the string "true". Anything else is not an assertion. */
const emailVerified = (claims: IdTokenClaims) => claims.email_verified === true || claims.email_verified === "true";

const displayNameOf = (claims: IdTokenClaims) => claims.preferred_username ?? claims.name ?? null;

/**
 * First-login rules (spec §2.3 "User resolution", with this Core's deliberate difference):
 * 1. the identity (provider, subject) is already linked: that user, email and name refreshed;
 * 2. an account with the same email exists: linked, but only when the provider asserts `email_verified` —
 *    an unverified address must never take over an existing account;
 * 3. otherwise a new account when the provider auto-registers: the first user of the Core becomes admin, the
 *    others get the role named by `roleClaim` when such a role exists, else the provider's default role;
 * 4. otherwise 403 "user not provisioned".
 * A disabled account never signs in. Runs under the bootstrap lock, as registration does, so two first
 * sign-ins at once yield exactly one admin.
 */
export async function resolveUser(core: Core, provider: ProviderValues, claims: IdTokenClaims): Promise<SsoUser> {
  return withTransaction(core.db.pool, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [authSql.BOOTSTRAP_LOCK_KEY]);
    const linked = await findLinked(tx, provider.id, claims.sub);
    if (linked) {
      if (linked.disabled) throw disabled();
      await refreshProfile(tx, linked, claims);
      return { id: linked.id, email: await currentEmail(tx, linked.id), resolution: "linked" };
    }

    const existing = await findByEmail(tx, claims.email);
    if (existing) {
      if (!emailVerified(claims)) {
        throw new CoreError(
          "FORBIDDEN",
          `an account with the email ${claims.email} already exists, but ${provider.displayName} does not assert that this email is verified, so the sign-in cannot be linked to it; sign in another way or ask an administrator`,
        );
      }
      if (existing.disabled) throw disabled();
      if (await hasIdentityAt(tx, provider.id, existing.id)) {
        throw new CoreError("FORBIDDEN", `the account ${claims.email} is already linked to another ${provider.displayName} identity`);
      }
      await linkIdentity(tx, provider.id, claims.sub, existing.id);
      await actAs(core, tx, existing.id, "sso");
      await recordAdminEvent(tx, { action: "user.sso_link", target: existing.id, after: { email: existing.email, provider: provider.id } });
      return { id: existing.id, email: existing.email, resolution: "linked_by_email" };
    }

    if (!provider.autoRegister) {
      throw new CoreError("FORBIDDEN", `user not provisioned: ${claims.email} has no account here and ${provider.displayName} does not register new users; ask an administrator`);
    }
    const first = (await authSql.countHumanUsers(tx)) === 0;
    const role = first ? ADMIN_ROLE : await roleFor(tx, provider, claims);
    const user = await insertSsoUser(tx, claims.email, displayNameOf(claims));
    if (!user) throw new CoreError("CONFLICT", `an account with the email ${claims.email} was created at the same moment; sign in again`);
    await assignRole(tx, user.id, role);
    await linkIdentity(tx, provider.id, claims.sub, user.id);
    await actAs(core, tx, user.id, "sso");
    await recordAdminEvent(tx, { action: "user.register", target: user.id, after: { email: user.email, display_name: displayNameOf(claims), role, provider: provider.id } });
    return { id: user.id, email: user.email, resolution: "registered" };
  });
}

/** The role named by the ID token's `roleClaim` (a top-level string) if that role exists, else the default. */
async function roleFor(db: Queryable, provider: ProviderValues, claims: IdTokenClaims): Promise<string> {
  if (provider.roleClaim) {
    const claimed = claims[provider.roleClaim];
    if (typeof claimed === "string" && claimed.length <= 128 && (await roleExists(db, claimed))) return claimed;
  }
  return provider.defaultRole;
}

async function findLinked(db: Queryable, providerId: string, subject: string): Promise<AccountRow | undefined> {
  const { rows } = await db.query<AccountRow>(
    `SELECT u.id, u.email, u.disabled_at IS NOT NULL AS disabled FROM rootcx_system.oidc_identities i
       JOIN rootcx_system.users u ON u.id = i.user_id
      WHERE i.provider_id = $1 AND i.subject = $2 AND NOT u.is_system FOR UPDATE OF u`,
    [providerId, subject],
  );
  return rows[0];
}

async function findByEmail(db: Queryable, email: string): Promise<AccountRow | undefined> {
  const { rows } = await db.query<AccountRow>(
    "SELECT id, email, disabled_at IS NOT NULL AS disabled FROM rootcx_system.users WHERE email = $1 AND kind = 'human' AND NOT is_system FOR UPDATE",
    [email],
  );
  return rows[0];
}

async function hasIdentityAt(db: Queryable, providerId: string, userId: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM rootcx_system.oidc_identities WHERE provider_id = $1 AND user_id = $2", [providerId, userId]);
  return rows.length > 0;
}

async function linkIdentity(db: Queryable, providerId: string, subject: string, userId: string): Promise<void> {
  await db.query("INSERT INTO rootcx_system.oidc_identities (provider_id, subject, user_id) VALUES ($1, $2, $3)", [providerId, subject, userId]);
}

/**
 * The provider is the source of truth for a linked user's name and address; an address another account already
 * holds is left alone (the unique email stays unique, and no account is renamed onto another's address).
 */
async function refreshProfile(tx: pg.PoolClient, user: AccountRow, claims: IdTokenClaims): Promise<void> {
  const name = displayNameOf(claims);
  const { rowCount } = await tx.query(
    `UPDATE rootcx_system.users SET
        email = CASE WHEN NOT EXISTS (SELECT 1 FROM rootcx_system.users o WHERE o.email = $2 AND o.id <> $1) THEN $2 ELSE email END,
        display_name = coalesce($3, display_name), updated_at = now()
      WHERE id = $1 AND (email IS DISTINCT FROM $2 OR ($3::text IS NOT NULL AND display_name IS DISTINCT FROM $3))`,
    [user.id, claims.email, name],
  );
  // Access tokens carry the email, and every process caches the principal: they must hear of the change.
  if ((rowCount ?? 0) > 0) await notifyAuthChange(tx, "user", user.id);
}

async function currentEmail(db: Queryable, userId: string): Promise<string> {
  const { rows } = await db.query<{ email: string }>("SELECT email FROM rootcx_system.users WHERE id = $1", [userId]);
  return rows[0]!.email;
}

async function insertSsoUser(db: Queryable, email: string, displayName: string | null): Promise<{ id: string; email: string } | undefined> {
  // No password: this account signs in through its provider (or a password an administrator sets later).
  const { rows } = await db.query<{ id: string; email: string }>(
    "INSERT INTO rootcx_system.users (email, display_name, password_hash) VALUES ($1, $2, NULL) ON CONFLICT (email) DO NOTHING RETURNING id, email",
    [email, displayName],
  );
  return rows[0];
}
