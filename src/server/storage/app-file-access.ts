import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { ADMIN_KEY } from "../governance/permissions.ts";
import { appExists } from "./app-files-sql.ts";

/**
 * Who may do what with an app's files (beyond the original, which checks nothing). Files belong to the app, not
 * to one of its entities, so:
 *  - read (download, sign a URL, mint a download nonce): any read key of the app, `app:{id}:{entity}.read`;
 *  - upload: any create or update key of the app;
 *  - delete: the uploader, or an app administrator (`app:{id}:*`, which the app's admin role holds).
 * A key held through `*`, `app:*` or `app:{id}:*` covers all three.
 */
export type AppFileAction = "read" | "write";

const SUFFIXES: Record<AppFileAction, string[]> = { read: [".read"], write: [".create", ".update"] };

/** Whether `held` grants some key of the app ending in one of the action's suffixes. */
export function grantsAppFileAction(held: readonly string[], appId: string, action: AppFileAction): boolean {
  const prefix = `app:${appId}:`;
  return held.some((k) => {
    if (k === ADMIN_KEY) return true;
    // A trailing `:*` covers every key under its prefix: `app:*` and `app:{id}:*` reach the app's keys.
    if (k.endsWith(":*") && prefix.startsWith(k.slice(0, -1))) return true;
    return k.startsWith(prefix) && SUFFIXES[action].some((s) => k.endsWith(s));
  });
}

export function isAppAdmin(held: readonly string[], appId: string): boolean {
  const own = `app:${appId}:*`;
  return held.some((k) => k === ADMIN_KEY || k === own || (k.endsWith(":*") && own.startsWith(k.slice(0, -1))));
}

/** 404 for an app that is not installed (to a signed-in caller), then 403 naming what is missing. */
export async function requireAppFileAccess(core: Core, principal: Principal, appId: string, action: AppFileAction): Promise<readonly string[]> {
  if (!(await appExists(core.db.pool, appId))) throw new CoreError("NOT_FOUND", `app ${JSON.stringify(appId)} not found`);
  const held = await core.auth.principals.permissions(principal.userId);
  if (!grantsAppFileAction(held, appId, action)) {
    const what = action === "read" ? `a read permission of the app (app:${appId}:<entity>.read)` : `a create or update permission of the app (app:${appId}:<entity>.create or .update)`;
    throw new CoreError("FORBIDDEN", `permission required: ${what}`);
  }
  return held;
}
