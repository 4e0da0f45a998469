import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { withActor } from "./actor.ts";
import { assertAdminRemains, guardAdminSet } from "./admin-guard.ts";
import { requireAdmin } from "./authorize.ts";
import { ADMIN_ROLE, assignRole, BASE_ROLE, holdsPermission, permissionMatches, resolvePermissions, type ResolvedPermissions } from "./permissions.ts";
import { createsCycle } from "./roles.ts";
import type { AssignmentDto, CreateRoleInput, Explanation, RoleDto, UpdateRoleInput } from "./schema.ts";
import * as sql from "./sql.ts";

const BUILT_IN = new Set([ADMIN_ROLE, BASE_ROLE]);

export async function listRoles(core: Core): Promise<RoleDto[]> {
  return sql.listRoles(core.db.pool);
}

async function checkGraph(tx: import("pg").PoolClient, name: string, inherits: string[] | undefined): Promise<void> {
  if (!inherits) return;
  const roles = await sql.listRoles(tx);
  const known = new Set(roles.map((r) => r.name));
  const missing = inherits.filter((r) => !known.has(r));
  if (missing.length) throw new CoreError("BAD_REQUEST", `unknown inherited role: ${missing.join(", ")}`);
  const loop = createsCycle(roles, name, inherits);
  if (loop) throw new CoreError("BAD_REQUEST", `inheritance cycle: ${loop.join(" → ")}`);
}

export async function createRole(core: Core, principal: Principal, input: CreateRoleInput): Promise<{ message: string }> {
  await requireAdmin(core, principal);
  if (input.name === ADMIN_ROLE) throw new CoreError("BAD_REQUEST", "the admin role is reserved");
  await withActor(core, principal, async (tx) => {
    await sql.lockRoleGraph(tx);
    await checkGraph(tx, input.name, input.inherits ?? []);
    const created = await sql.insertRole(tx, {
      name: input.name,
      description: input.description ?? null,
      inherits: input.inherits ?? [],
      permissions: input.permissions ?? [],
    });
    if (!created) throw new CoreError("BAD_REQUEST", `role ${input.name} already exists`);
  });
  core.log.info({ role: input.name, by: principal.userId }, "role created");
  return { message: `role ${input.name} created` };
}

export async function updateRole(core: Core, principal: Principal, name: string, input: UpdateRoleInput): Promise<{ message: string }> {
  await requireAdmin(core, principal);
  if (name === ADMIN_ROLE) throw new CoreError("BAD_REQUEST", "the admin role cannot be edited");
  await withActor(core, principal, async (tx) => {
    await sql.lockRoleGraph(tx);
    await guardAdminSet(tx, principal.userId);
    if (!(await sql.roleExists(tx, name))) throw new CoreError("NOT_FOUND", `role ${name} not found`);
    await checkGraph(tx, name, input.inherits);
    await sql.updateRole(tx, name, input);
    await assertAdminRemains(tx, "this change would leave no enabled admin");
  });
  core.log.info({ role: name, by: principal.userId }, "role updated");
  return { message: `role ${name} updated` };
}

export async function deleteRole(core: Core, principal: Principal, name: string): Promise<{ message: string }> {
  await requireAdmin(core, principal);
  if (BUILT_IN.has(name)) throw new CoreError("BAD_REQUEST", `the ${name} role is built in and cannot be deleted`);
  await withActor(core, principal, async (tx) => {
    await sql.lockRoleGraph(tx);
    await guardAdminSet(tx, principal.userId);
    if (!(await sql.deleteRole(tx, name))) throw new CoreError("NOT_FOUND", `role ${name} not found`);
    await assertAdminRemains(tx, "deleting this role would leave no enabled admin");
  });
  core.log.info({ role: name, by: principal.userId }, "role deleted");
  return { message: `role ${name} deleted` };
}

export async function listAssignments(core: Core, principal: Principal): Promise<AssignmentDto[]> {
  await requireAdmin(core, principal);
  return sql.listAssignments(core.db.pool);
}

export async function assign(core: Core, principal: Principal, userId: string, role: string): Promise<{ message: string }> {
  await requireAdmin(core, principal);
  await withActor(core, principal, async (tx) => {
    if (!(await sql.roleExists(tx, role))) throw new CoreError("NOT_FOUND", `role ${role} not found`);
    if (!(await sql.assignableUserExists(tx, userId))) throw new CoreError("NOT_FOUND", "user not found");
    await assignRole(tx, userId, role);
  });
  core.log.info({ userId, role, by: principal.userId }, "role assigned");
  return { message: `role ${role} assigned` };
}

export async function revoke(core: Core, principal: Principal, userId: string, role: string): Promise<{ message: string }> {
  await requireAdmin(core, principal);
  await withActor(core, principal, async (tx) => {
    // Any role may be the one that grants `*` (admin itself, or a role inheriting it): every revoke recounts.
    await guardAdminSet(tx, principal.userId);
    if (!(await sql.revokeAssignment(tx, userId, role))) throw new CoreError("NOT_FOUND", "assignment not found");
    await assertAdminRemains(tx, "cannot revoke the last admin");
  });
  core.log.info({ userId, role, by: principal.userId }, "role revoked");
  return { message: `role ${role} revoked` };
}

/** The caller's own roles (expanded) and permissions, or another user's for an admin. */
export async function permissionsOf(core: Core, principal: Principal, userId = principal.userId): Promise<ResolvedPermissions> {
  if (userId !== principal.userId) await requireAdmin(core, principal);
  return resolvePermissions(core.db.pool, userId);
}

/** The declared keys the caller itself holds: what it could grant or use. */
export async function availablePermissions(core: Core, principal: Principal): Promise<{ key: string; description: string }[]> {
  const [{ permissions }, declared] = await Promise.all([resolvePermissions(core.db.pool, principal.userId), sql.declaredPermissions(core.db.pool)]);
  return declared.filter((d) => holdsPermission(permissions, d.key));
}

/** "Why?": every route by which the user holds the key: assigned role, inheritance path, the key that matches. */
export async function explain(core: Core, principal: Principal, userId: string, key: string): Promise<Explanation> {
  if (userId !== principal.userId) await requireAdmin(core, principal);
  const [assigned, roles] = await Promise.all([sql.directRoles(core.db.pool, userId), sql.listRoles(core.db.pool)]);
  const byName = new Map(roles.map((r) => [r.name, r]));
  const grants: Explanation["grants"] = [];
  for (const start of assigned) {
    // Breadth-first, so the shortest path to each granting role is the one reported.
    const queue: string[][] = [[start]];
    const seen = new Set<string>();
    while (queue.length) {
      const path = queue.shift()!;
      const name = path[path.length - 1]!;
      if (seen.has(name) || path.length > 64) continue;
      seen.add(name);
      const role = byName.get(name);
      if (!role) continue;
      for (const held of role.permissions) {
        if (permissionMatches(held, key)) grants.push({ assignedRole: start, path, role: name, heldKey: held });
      }
      for (const parent of role.inherits) queue.push([...path, parent]);
    }
  }
  return { userId, key, granted: grants.length > 0, grants };
}
