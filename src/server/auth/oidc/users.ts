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
import { SsoRefusal } from "./refusals.ts";
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

const disabled = () => new SsoRefusal("FORBIDDEN", "account_disabled", "this account is disabled; an administrator can enable it");

/**
 * Providers differ: most send a boolean, a few (older Cognito and ADFS set-ups) the string "true". The string is
 * accepted because it is unambiguous and sits inside a token whose signature was verified; anything else
 * ("false", "yes", 1) is not an assertion.
 */
const emailVerified = (claims: IdTokenClaims) => claims.email_verified === true || claims.email_verified === "true";

const displayNameOf = (claims: IdTokenClaims) => claims.preferred_username ?? claims.name ?? null;

/**
 * First-login rules (spec §2.3 "User resolution", with this Core's deliberate differences):
 * 1. the identity (provider, subject) is already linked: that user, its display name refreshed — never its
 *    e-mail, which a claim (verified or not) does not change: the address decides where invitations and
 *    e-mail links land, so only the account itself or an administrator changes it;
 * 2. an account with the same email exists: linked, but only when the provider asserts `email_verified`, and
 *    never to an account that was registered from an address its provider did not assert verified (409: a
 *    stranger may hold that address; an administrator resolves it);
 * 3. otherwise a new account when the provider auto-registers and asserts the address verified (or is
 *    configured with `trustEmail`): the first user of the Core becomes admin, the others get the role named by
 *    `roleClaim` when such a role exists, else the provider's default role;
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

    const verified = emailVerified(claims);
    const existing = await findByEmail(tx, claims.email);
    if (existing) {
      if (!verified) {
        throw new SsoRefusal(
          "FORBIDDEN",
          "email_unverified",
          `an account with the email ${claims.email} already exists, but ${provider.displayName} does not assert that this email is verified, so the sign-in cannot be linked to it; sign in another way or ask an administrator`,
        );
      }
      if (existing.disabled) throw disabled();
      if (await registeredUnverified(tx, existing.id)) {
        throw new SsoRefusal(
          "CONFLICT",
          "account_conflict",
          `the account ${claims.email} was created from a sign-in whose provider did not verify this address, so it cannot be linked to yours; an administrator must resolve it (check who owns that account, then delete or correct it)`,
        );
      }
      if (await hasIdentityAt(tx, provider.id, existing.id)) {
        throw new SsoRefusal("CONFLICT", "account_conflict", `the account ${claims.email} is already linked to another ${provider.displayName} identity`);
      }
      await linkIdentity(tx, provider.id, claims.sub, existing.id, true);
      await actAs(core, tx, existing.id, "sso");
      await recordAdminEvent(tx, { action: "user.sso_link", target: existing.id, after: { email: existing.email, provider: provider.id } });
      return { id: existing.id, email: existing.email, resolution: "linked_by_email" };
    }

    if (!provider.autoRegister) {
      throw new SsoRefusal("FORBIDDEN", "not_provisioned", `user not provisioned: ${claims.email} has no account here and ${provider.displayName} does not register new users; ask an administrator`);
    }
    if (!verified && !provider.trustEmail) {
      throw new SsoRefusal(
        "FORBIDDEN",
        "email_unverified",
        `user not provisioned: ${provider.displayName} does not assert that ${claims.email} is verified, so no account is created for it; verify the address at the provider or ask an administrator`,
      );
    }
    const first = (await authSql.countHumanUsers(tx)) === 0;
    const role = first ? ADMIN_ROLE : await roleFor(tx, provider, claims);
    const user = await insertSsoUser(tx, claims.email, displayNameOf(claims));
    if (!user) throw new CoreError("CONFLICT", `an account with the email ${claims.email} was created at the same moment; sign in again`);
    await assignRole(tx, user.id, role);
    await linkIdentity(tx, provider.id, claims.sub, user.id, verified);
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

async function linkIdentity(db: Queryable, providerId: string, subject: string, userId: string, emailVerified: boolean): Promise<void> {
  await db.query("INSERT INTO rootcx_system.oidc_identities (provider_id, subject, user_id, email_verified) VALUES ($1, $2, $3, $4)", [
    providerId,
    subject,
    userId,
    emailVerified,
  ]);
}

/** Linking by e-mail requires a verified address, so an unverified identity means the account was registered from one. */
async function registeredUnverified(db: Queryable, userId: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM rootcx_system.oidc_identities WHERE user_id = $1 AND NOT email_verified", [userId]);
  return rows.length > 0;
}

/**
 * The provider is the source of truth for a linked user's display name only. The e-mail is not refreshed:
 * an unverified claim would let anyone who controls the identity move the account onto an address (and with
 * it the invitations and e-mail links sent there), and even a verified one would silently re-point an
 * account an administrator knows by its address.
 */
async function refreshProfile(tx: pg.PoolClient, user: AccountRow, claims: IdTokenClaims): Promise<void> {
  const name = displayNameOf(claims);
  if (name === null) return;
  const { rowCount } = await tx.query(
    "UPDATE rootcx_system.users SET display_name = $2, updated_at = now() WHERE id = $1 AND display_name IS DISTINCT FROM $2",
    [user.id, name],
  );
  // Access tokens carry the profile, and every process caches the principal: they must hear of the change.
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
