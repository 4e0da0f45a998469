import type { Queryable } from "../db/queryable.ts";
import type { AssignmentDto, RoleDto } from "./schema.ts";

export async function listRoles(db: Queryable): Promise<RoleDto[]> {
  const { rows } = await db.query<RoleDto>(
    "SELECT name, description, inherits, permissions FROM rootcx_system.rbac_roles ORDER BY name",
  );
  return rows;
}

/** Serialises changes to the role graph, so two concurrent edits cannot together create a cycle. */
export async function lockRoleGraph(db: Queryable): Promise<void> {
  await db.query("LOCK TABLE rootcx_system.rbac_roles IN SHARE ROW EXCLUSIVE MODE");
}

export async function insertRole(db: Queryable, r: { name: string; description: string | null; inherits: string[]; permissions: string[] }): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO rootcx_system.rbac_roles (name, description, inherits, permissions) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name) DO NOTHING`,
    [r.name, r.description, r.inherits, r.permissions],
  );
  return (rowCount ?? 0) > 0;
}

export async function updateRole(db: Queryable, name: string, r: { description?: string | undefined; inherits?: string[] | undefined; permissions?: string[] | undefined }): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE rootcx_system.rbac_roles
        SET description = CASE WHEN $2::boolean THEN $3 ELSE description END,
            inherits = coalesce($4, inherits),
            permissions = coalesce($5, permissions),
            updated_at = now()
      WHERE name = $1`,
    [name, r.description !== undefined, r.description ?? null, r.inherits ?? null, r.permissions ?? null],
  );
  return (rowCount ?? 0) > 0;
}

/** Deletes the role (its assignments go by cascade) and removes it from every role that inherited it. */
export async function deleteRole(db: Queryable, name: string): Promise<boolean> {
  const { rowCount } = await db.query("DELETE FROM rootcx_system.rbac_roles WHERE name = $1", [name]);
  if (!rowCount) return false;
  await db.query(
    "UPDATE rootcx_system.rbac_roles SET inherits = array_remove(inherits, $1), updated_at = now() WHERE $1 = ANY (inherits)",
    [name],
  );
  return true;
}

export async function listAssignments(db: Queryable): Promise<AssignmentDto[]> {
  const { rows } = await db.query<{ user_id: string; role: string; assigned_at: Date }>(
    "SELECT user_id, role, assigned_at FROM rootcx_system.rbac_assignments ORDER BY role, assigned_at",
  );
  return rows.map((r) => ({ userId: r.user_id, role: r.role, assignedAt: r.assigned_at.toISOString() }));
}

export async function revokeAssignment(db: Queryable, userId: string, role: string): Promise<boolean> {
  const { rowCount } = await db.query("DELETE FROM rootcx_system.rbac_assignments WHERE user_id = $1 AND role = $2", [userId, role]);
  return (rowCount ?? 0) > 0;
}

export async function roleExists(db: Queryable, name: string): Promise<boolean> {
  return ((await db.query("SELECT 1 FROM rootcx_system.rbac_roles WHERE name = $1", [name])).rowCount ?? 0) > 0;
}

export async function humanUserExists(db: Queryable, userId: string): Promise<boolean> {
  return ((await db.query("SELECT 1 FROM rootcx_system.users WHERE id = $1 AND NOT is_system", [userId])).rowCount ?? 0) > 0;
}

/** A person or a service account (identities/): the principals roles are assigned to. */
export async function assignableUserExists(db: Queryable, userId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    "SELECT 1 FROM rootcx_system.users WHERE id = $1 AND (NOT is_system OR (kind = 'service' AND owner_of_record IS NOT NULL))",
    [userId],
  );
  return (rowCount ?? 0) > 0;
}

export async function directRoles(db: Queryable, userId: string): Promise<string[]> {
  const { rows } = await db.query<{ role: string }>("SELECT role FROM rootcx_system.rbac_assignments WHERE user_id = $1 ORDER BY role", [userId]);
  return rows.map((r) => r.role);
}

export async function declaredPermissions(db: Queryable): Promise<{ key: string; description: string }[]> {
  const { rows } = await db.query<{ key: string; description: string }>("SELECT key, description FROM rootcx_system.rbac_permissions ORDER BY key");
  return rows;
}
