import type { Queryable } from "../db/queryable.ts";

/** The key the admin role holds; "is admin" means "holds the literal *". */
export const ADMIN_KEY = "*";
export const ADMIN_ROLE = "admin";
export const BASE_ROLE = "base";

/**
 * Whether a held key grants a required key: `*` grants everything, a key grants itself, and a trailing `:*`
 * grants every key under that prefix (`app:crm:*` grants `app:crm:deals.read`, never `app:crmx:y`).
 */
export function permissionMatches(held: string, required: string): boolean {
  if (held === ADMIN_KEY || held === required) return true;
  if (held.endsWith(":*")) {
    const prefix = held.slice(0, -1); // keeps the ":"
    return required.length > prefix.length && required.startsWith(prefix);
  }
  return false;
}

export function holdsPermission(held: readonly string[], required: string): boolean {
  return held.some((p) => permissionMatches(p, required));
}

export interface ResolvedPermissions {
  /** The user's roles, expanded through inheritance. */
  roles: string[];
  /** The union of the expanded roles' keys. */
  permissions: string[];
}

// The database's own functions (migration 0004) are the one implementation of expansion and resolution:
// inheritance through a path array that refuses cycles, bounded at 64 levels.
const RESOLVE_SQL = `
  SELECT rootcx_system.expand_roles(ARRAY(SELECT role FROM rootcx_system.rbac_assignments WHERE user_id = $1)) AS roles,
         rootcx_system.resolve_permissions($1) AS permissions`;

export async function resolvePermissions(db: Queryable, userId: string): Promise<ResolvedPermissions> {
  const { rows } = await db.query<ResolvedPermissions>(RESOLVE_SQL, [userId]);
  return rows[0] ?? { roles: [], permissions: [] };
}

/** The one answer to "does this user hold this permission key", through roles and inheritance. */
export async function hasPermission(db: Queryable, userId: string, key: string): Promise<boolean> {
  return holdsPermission((await resolvePermissions(db, userId)).permissions, key);
}

/** Assigns a role; idempotent. */
export async function assignRole(db: Queryable, userId: string, role: string): Promise<void> {
  await db.query(
    "INSERT INTO rootcx_system.rbac_assignments (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    [userId, role],
  );
}
