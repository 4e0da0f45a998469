import type { Core } from "../core.ts";
import { withTransaction } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";
import { requireAdmin } from "../governance/authorize.ts";
import { ADMIN_ROLE, assignRole, BASE_ROLE } from "../governance/permissions.ts";
import { actAs, withActor } from "../governance/actor.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { assignableUserExists } from "../governance/sql.ts";
import { assertPersonActs } from "../identities/no-escalation.ts";
import { assertAdminRemains, guardAdminSet } from "../governance/admin-guard.ts";
import { signUpClosedFor } from "../platform-settings/service.ts";
import { readRegistration } from "../platform-settings/sql.ts";
import { checkPasswordPolicy } from "./password.ts";
import type { Principal } from "./principal.ts";
import { notifyAuthChange } from "./principal-directory.ts";
import type { AuthMode, LoginInput, LoginResult, RefreshResult, RegisterInput, SessionDto, UserDetailsDto, UserDto } from "./schema.ts";
import * as sql from "./sql.ts";
import { magicLinkEnabled } from "./magic-link-enabled.ts";
import { listEnabledProviders } from "./oidc/sql.ts";
import { openSession } from "./session.ts";
import { ACCESS_TTL_SECONDS, hashRefreshToken } from "./tokens.ts";

export interface ClientMeta {
  ip: string;
  userAgent: string | null;
  /** The signed-in user creating this account (an administrator in the Studio), if any: the audit's actor. */
  createdBy?: string | null;
}

const invalidCredentials = () => new CoreError("UNAUTHORIZED", "invalid credentials");
const userNotFound = () => new CoreError("NOT_FOUND", "user not found");
const signUpClosed = () => new CoreError("FORBIDDEN", "public sign-up is closed; an administrator can create your account");

/**
 * Creates a user. The first user of the Core becomes admin: decided by "no user exists yet", never by "no admin
 * exists" (which a later registrant could otherwise turn into a way to become admin). The check and the
 * insert happen under one advisory lock, so simultaneous first registrations yield exactly one admin.
 */
export async function register(core: Core, input: RegisterInput, meta: ClientMeta): Promise<UserDto> {
  const { pool } = core.db;
  await core.auth.limiter.beforeRegister(meta.ip);
  const closed = () => new CoreError("FORBIDDEN", "password registration is disabled; sign in with SSO");
  if (core.config.passwordLoginDisabled && (await sql.countHumanUsers(pool)) > 0) throw closed();
  // Checked before the password's hashing too, so a closed Core does not spend argon2 work on sign-ups it refuses.
  if ((await signUpClosedFor(core, pool, meta.createdBy)) && (await sql.countHumanUsers(pool)) > 0) throw signUpClosed();
  checkPasswordPolicy(input.password);
  const passwordHash = await core.auth.hasher.hash(input.password);
  return withTransaction(pool, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [sql.BOOTSTRAP_LOCK_KEY]);
    const first = (await sql.countHumanUsers(tx)) === 0;
    if (core.config.passwordLoginDisabled && !first) throw closed();
    if (!first && (await signUpClosedFor(core, tx, meta.createdBy))) throw signUpClosed();
    const user = await sql.insertUser(tx, { email: input.email, displayName: input.displayName, passwordHash });
    if (!user) throw new CoreError("BAD_REQUEST", "email already registered");
    const role = first ? ADMIN_ROLE : BASE_ROLE;
    await assignRole(tx, user.id, role);
    await actAs(core, tx, meta.createdBy ?? user.id);
    await recordAdminEvent(tx, {
      action: meta.createdBy ? "user.create" : "user.register",
      target: user.id,
      after: { email: user.email, display_name: user.displayName, role },
    });
    core.log.info({ userId: user.id }, "user registered");
    return user;
  });
}

/**
 * Password sign-in. An unknown email, a wrong password and a disabled account give the same 401 after the
 * same argon2 work; failures lock this address out of the account and slow the account down (rate-limit.ts).
 */
export async function login(core: Core, input: LoginInput, meta: ClientMeta): Promise<LoginResult> {
  if (core.config.passwordLoginDisabled) throw new CoreError("FORBIDDEN", "password login is disabled; sign in with SSO");
  const { limiter, hasher } = core.auth;
  const hadFailures = await limiter.beforeLogin(meta.ip, input.email);
  const candidate = await sql.findLoginCandidate(core.db.pool, input.email);
  let valid = false;
  if (candidate?.password_hash) valid = await hasher.verify(candidate.password_hash, input.password);
  else await hasher.verifyDummy(input.password);
  if (!candidate || !valid || candidate.disabled_at) {
    await limiter.loginFailed(meta.ip, input.email);
    throw invalidCredentials();
  }
  if (hadFailures) await limiter.loginSucceeded(meta.ip, input.email);

  const session = await openSession(core, core.db.pool, candidate, meta);
  core.log.info({ userId: candidate.id }, "signed in");
  return { ...session, user: sql.toUserDto(candidate) };
}

/** A new access token for an open session; the refresh token itself is not rotated (as the original). */
export async function refresh(core: Core, refreshToken: string): Promise<RefreshResult> {
  const claims = await core.auth.tokens.verifyRefresh(refreshToken);
  const user = await sql.touchSession(core.db.pool, claims.sessionId, claims.sub, hashRefreshToken(refreshToken));
  if (!user) throw new CoreError("UNAUTHORIZED", "session expired or revoked");
  const accessToken = await core.auth.tokens.signAccess({ sub: user.id, email: user.email, sid: claims.sessionId });
  return { accessToken, expiresIn: ACCESS_TTL_SECONDS };
}

/** Ends the session server-side: its refresh token and the access tokens minted for it stop working. */
export async function logout(core: Core, refreshToken: string): Promise<{ message: string }> {
  const claims = await core.auth.tokens.verifyRefresh(refreshToken);
  await withTransaction(core.db.pool, async (tx) => {
    if (await sql.deleteSessionByToken(tx, claims.sessionId, hashRefreshToken(refreshToken))) {
      await notifyAuthChange(tx, "session", claims.sessionId);
    }
  });
  core.auth.principals.invalidate("session", claims.sessionId);
  return { message: "logged out" };
}

export function me(principal: Principal): UserDto {
  return { id: principal.userId, email: principal.email, displayName: principal.displayName, createdAt: principal.createdAt.toISOString() };
}

export async function mode(core: Core): Promise<AuthMode> {
  const setupRequired = (await sql.countHumanUsers(core.db.pool)) === 0;
  return {
    authRequired: true,
    setupRequired,
    passwordLoginEnabled: !core.config.passwordLoginDisabled || setupRequired,
    // The first user can always register; after that, as the platform setting says (and never with passwords off).
    registrationOpen: setupRequired || (!core.config.passwordLoginDisabled && (await readRegistration(core.db.pool)) === "open"),
    magicLinkEnabled: magicLinkEnabled(core),
    providers: await listEnabledProviders(core.db.pool),
  };
}

export async function listUsers(core: Core): Promise<UserDto[]> {
  return sql.listUsers(core.db.pool);
}

export async function listUserDetails(core: Core, principal: Principal): Promise<UserDetailsDto[]> {
  await requireAdmin(core, principal);
  return sql.listUserDetails(core.db.pool);
}

/**
 * Runs an (already authorized) change to a user's account. One that can remove an administrator (delete,
 * disable) takes the admin-set lock first and recounts after the change, refusing to leave no enabled admin.
 * Every process forgets what it cached about the user.
 */
async function changeUser(
  core: Core,
  principal: Principal,
  userId: string,
  opts: { removesAdmin: boolean; refusal: string },
  change: (tx: import("pg").PoolClient, target: sql.TargetUser) => Promise<void>,
): Promise<void> {
  await withActor(core, principal, async (tx) => {
    if (opts.removesAdmin) await guardAdminSet(tx, principal.userId);
    const target = await sql.lockTargetUser(tx, userId);
    if (!target) throw userNotFound();
    await change(tx, target);
    if (opts.removesAdmin) await assertAdminRemains(tx, opts.refusal);
    await notifyAuthChange(tx, "user", userId);
  });
  core.auth.principals.invalidate("user", userId);
}

export async function deleteUser(core: Core, principal: Principal, userId: string): Promise<void> {
  await requireAdmin(core, principal);
  await changeUser(core, principal, userId, { removesAdmin: true, refusal: "cannot delete the last admin" }, async (tx, target) => {
    await sql.deleteUser(tx, userId);
    await recordAdminEvent(tx, { action: "user.delete", target: userId, before: { email: target.email, disabled: target.disabled } });
  });
  core.log.info({ userId, by: principal.userId }, "user deleted");
}

/** Disabling ends every session of the user at once; enabling lets it sign in again. */
export async function setDisabled(core: Core, principal: Principal, userId: string, disabled: boolean): Promise<void> {
  await requireAdmin(core, principal);
  await changeUser(core, principal, userId, { removesAdmin: disabled, refusal: "cannot disable the last admin" }, async (tx, target) => {
    await sql.setUserDisabled(tx, userId, disabled);
    const sessionsEnded = disabled ? await sql.deleteUserSessions(tx, userId) : 0;
    await recordAdminEvent(tx, {
      action: disabled ? "user.disable" : "user.enable",
      target: userId,
      after: { email: target.email, ...(disabled ? { sessions_ended: sessionsEnded } : {}) },
    });
  });
  core.log.info({ userId, by: principal.userId, disabled }, disabled ? "user disabled" : "user enabled");
}

/** An administrator sets a new password; the user's sessions end so the old password's sign-ins do too. */
export async function resetPassword(core: Core, principal: Principal, userId: string, password: string): Promise<void> {
  await requireAdmin(core, principal);
  assertPersonActs(principal, "set a person's password");
  checkPasswordPolicy(password);
  const hash = await core.auth.hasher.hash(password);
  await changeUser(core, principal, userId, { removesAdmin: false, refusal: "" }, async (tx, target) => {
    await sql.setPasswordHash(tx, userId, hash);
    const sessionsEnded = await sql.deleteUserSessions(tx, userId);
    // The new hash stays out of the log: the row says that a reset happened, by whom, for whom.
    await recordAdminEvent(tx, { action: "user.password_reset", target: userId, after: { email: target.email, sessions_ended: sessionsEnded } });
  });
  core.log.info({ userId, by: principal.userId }, "password reset by an administrator");
}

/** Sessions of a person or of a service account (its client-credentials tokens): the user's own, or an admin's view. */
async function requireSelfOrAdmin(core: Core, principal: Principal, userId: string): Promise<void> {
  if (principal.userId !== userId) await requireAdmin(core, principal);
  if (!(await assignableUserExists(core.db.pool, userId))) throw userNotFound();
}

export async function listSessions(core: Core, principal: Principal, userId: string): Promise<SessionDto[]> {
  await requireSelfOrAdmin(core, principal, userId);
  return sql.listSessions(core.db.pool, userId);
}

export async function revokeSession(core: Core, principal: Principal, userId: string, sessionId: string): Promise<void> {
  await requireSelfOrAdmin(core, principal, userId);
  const removed = await withActor(core, principal, async (tx) => {
    const ok = await sql.deleteSession(tx, userId, sessionId);
    if (ok) {
      await notifyAuthChange(tx, "session", sessionId);
      await recordAdminEvent(tx, { action: "session.revoke", target: sessionId, after: { user_id: userId } });
    }
    return ok;
  });
  if (!removed) throw new CoreError("NOT_FOUND", "session not found");
  core.auth.principals.invalidate("session", sessionId);
}
