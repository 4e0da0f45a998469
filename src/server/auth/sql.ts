import type { Queryable } from "../db/queryable.ts";
import type { SessionDto, UserDetailsDto, UserDto } from "./schema.ts";

/** Serialises first-user bootstrap: registration checks "is there a user yet?" under this lock. */
export const BOOTSTRAP_LOCK_KEY = 0x61757468; // "auth"

interface UserRow {
  id: string;
  email: string;
  display_name: string | null;
  created_at: Date;
}

export const toUserDto = (r: UserRow): UserDto => ({
  id: r.id,
  email: r.email,
  displayName: r.display_name,
  createdAt: r.created_at.toISOString(),
});

const USER_COLUMNS = "id, email, display_name, created_at";

export async function countHumanUsers(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM rootcx_system.users WHERE NOT is_system");
  return rows[0]!.n;
}

export async function insertUser(db: Queryable, u: { email: string; displayName: string | null; passwordHash: string }): Promise<UserDto | undefined> {
  const { rows } = await db.query<UserRow>(
    `INSERT INTO rootcx_system.users (email, display_name, password_hash) VALUES ($1, $2, $3)
     ON CONFLICT (email) DO NOTHING RETURNING ${USER_COLUMNS}`,
    [u.email, u.displayName, u.passwordHash],
  );
  return rows[0] && toUserDto(rows[0]);
}

export interface LoginCandidate extends UserRow {
  password_hash: string | null;
  disabled_at: Date | null;
}

export async function findLoginCandidate(db: Queryable, email: string): Promise<LoginCandidate | undefined> {
  const { rows } = await db.query<LoginCandidate>(
    `SELECT ${USER_COLUMNS}, password_hash, disabled_at FROM rootcx_system.users
      WHERE email = $1 AND kind = 'human' AND NOT is_system`,
    [email],
  );
  return rows[0];
}

export async function insertSession(
  db: Queryable,
  s: { id: string; userId: string; refreshTokenHash: string; expiresAt: Date; ip: string; userAgent: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO rootcx_system.sessions (id, user_id, refresh_token_hash, expires_at, ip, user_agent)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [s.id, s.userId, s.refreshTokenHash, s.expiresAt, s.ip, s.userAgent],
  );
}

/**
 * The session's user if the session is open, matches the token and the user is an enabled person; marks it used.
 * Service accounts never refresh: their tokens come from POST /auth/token, one key exchange at a time.
 */
export async function touchSession(db: Queryable, sessionId: string, userId: string, tokenHash: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(
    `UPDATE rootcx_system.sessions s SET last_used_at = now()
       FROM rootcx_system.users u
      WHERE s.id = $1 AND s.user_id = $2 AND s.refresh_token_hash = $3 AND s.expires_at > now()
        AND u.id = s.user_id AND u.disabled_at IS NULL AND u.kind = 'human' AND NOT u.is_system
      RETURNING u.id, u.email, u.display_name, u.created_at`,
    [sessionId, userId, tokenHash],
  );
  return rows[0];
}

export async function deleteSessionByToken(db: Queryable, sessionId: string, tokenHash: string): Promise<boolean> {
  const { rowCount } = await db.query("DELETE FROM rootcx_system.sessions WHERE id = $1 AND refresh_token_hash = $2", [sessionId, tokenHash]);
  return (rowCount ?? 0) > 0;
}

export async function deleteSession(db: Queryable, userId: string, sessionId: string): Promise<boolean> {
  const { rowCount } = await db.query("DELETE FROM rootcx_system.sessions WHERE id = $1 AND user_id = $2", [sessionId, userId]);
  return (rowCount ?? 0) > 0;
}

/** Ends every session of the user; says how many there were. */
export async function deleteUserSessions(db: Queryable, userId: string): Promise<number> {
  const { rowCount } = await db.query("DELETE FROM rootcx_system.sessions WHERE user_id = $1", [userId]);
  return rowCount ?? 0;
}

export async function listUsers(db: Queryable): Promise<UserDto[]> {
  const { rows } = await db.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM rootcx_system.users WHERE NOT is_system ORDER BY created_at, email`,
  );
  return rows.map(toUserDto);
}

export async function listUserDetails(db: Queryable): Promise<UserDetailsDto[]> {
  const { rows } = await db.query<UserRow & { roles: string[]; disabled_at: Date | null; session_count: number }>(
    `SELECT u.id, u.email, u.display_name, u.created_at, u.disabled_at,
            coalesce((SELECT array_agg(a.role ORDER BY a.role) FROM rootcx_system.rbac_assignments a WHERE a.user_id = u.id), '{}') AS roles,
            (SELECT count(*)::int FROM rootcx_system.sessions s WHERE s.user_id = u.id AND s.expires_at > now()) AS session_count
       FROM rootcx_system.users u WHERE NOT u.is_system ORDER BY u.created_at, u.email`,
  );
  return rows.map((r) => ({
    ...toUserDto(r),
    roles: r.roles,
    disabled: r.disabled_at !== null,
    disabledAt: r.disabled_at?.toISOString() ?? null,
    sessionCount: r.session_count,
  }));
}

export async function listSessions(db: Queryable, userId: string): Promise<SessionDto[]> {
  const { rows } = await db.query<{ id: string; created_at: Date; expires_at: Date; last_used_at: Date | null; ip: string | null; user_agent: string | null }>(
    `SELECT id, created_at, expires_at, last_used_at, ip, user_agent FROM rootcx_system.sessions
      WHERE user_id = $1 AND expires_at > now() ORDER BY created_at DESC`,
    [userId],
  );
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    ip: r.ip,
    userAgent: r.user_agent,
  }));
}

export interface TargetUser {
  id: string;
  email: string;
  disabled: boolean;
}

/** Locks the target row if it is a human principal. */
export async function lockTargetUser(db: Queryable, userId: string): Promise<TargetUser | undefined> {
  const { rows } = await db.query<TargetUser>(
    "SELECT u.id, u.email, u.disabled_at IS NOT NULL AS disabled FROM rootcx_system.users u WHERE u.id = $1 AND NOT u.is_system FOR UPDATE",
    [userId],
  );
  return rows[0];
}

export async function deleteUser(db: Queryable, userId: string): Promise<void> {
  await db.query("DELETE FROM rootcx_system.users WHERE id = $1", [userId]);
}

export async function setUserDisabled(db: Queryable, userId: string, disabled: boolean): Promise<void> {
  await db.query(
    `UPDATE rootcx_system.users SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) ELSE NULL END, updated_at = now() WHERE id = $1`,
    [userId, disabled],
  );
}

export async function setPasswordHash(db: Queryable, userId: string, hash: string): Promise<void> {
  await db.query("UPDATE rootcx_system.users SET password_hash = $2, updated_at = now() WHERE id = $1", [userId, hash]);
}
