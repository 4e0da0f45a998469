import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import type { Principal } from "../auth/principal.ts";
import { ADMIN_KEY, holdsPermission } from "./permissions.ts";

/**
 * Services call this before privileged work: 403 unless the principal holds the key. It reads the same
 * per-user permission set the governed transactions sign (principal directory: cached, dropped on every role
 * or assignment change), instead of resolving roles in the database on every call.
 */
export async function requirePermission(core: Core, principal: Principal, key: string): Promise<void> {
  if (!holdsPermission(await core.auth.principals.permissions(principal.userId), key)) {
    throw new CoreError("FORBIDDEN", key === ADMIN_KEY ? "admin role required" : `permission required: ${key}`);
  }
}

export const requireAdmin = (core: Core, principal: Principal) => requirePermission(core, principal, ADMIN_KEY);
