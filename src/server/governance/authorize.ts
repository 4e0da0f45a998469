import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import type { Principal } from "../auth/principal.ts";
import { ADMIN_KEY, hasPermission } from "./permissions.ts";

/** Services call this before privileged work: 403 unless the principal holds the key. */
export async function requirePermission(core: Core, principal: Principal, key: string): Promise<void> {
  if (!(await hasPermission(core.db.pool, principal.userId, key))) {
    throw new CoreError("FORBIDDEN", key === ADMIN_KEY ? "admin role required" : `permission required: ${key}`);
  }
}

export const requireAdmin = (core: Core, principal: Principal) => requirePermission(core, principal, ADMIN_KEY);
