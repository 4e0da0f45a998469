import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import type { Queryable } from "../db/queryable.ts";
import { withActor } from "../governance/actor.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { requireAdmin } from "../governance/authorize.ts";
import { ADMIN_KEY, holdsPermission } from "../governance/permissions.ts";
import type { PlatformSettings } from "./schema.ts";
import * as sql from "./sql.ts";

export async function getSettings(core: Core, principal: Principal): Promise<PlatformSettings> {
  await requireAdmin(core, principal);
  return { registration: await sql.readRegistration(core.db.pool) };
}

/** Saves the settings; a change (not a save that changes nothing) is an administrative event in the audit log. */
export async function updateSettings(core: Core, principal: Principal, input: PlatformSettings): Promise<PlatformSettings> {
  await requireAdmin(core, principal);
  await withActor(core, principal, async (tx) => {
    // The row lock orders two administrators saving at once, so each audit row's `before` is what it replaced.
    const before = await sql.readRegistration(tx, { forUpdate: true });
    if (before === input.registration) return;
    await sql.writeRegistration(tx, input.registration);
    await recordAdminEvent(tx, { action: "settings.update", target: "registration", before: { registration: before }, after: { registration: input.registration } });
  });
  core.log.info({ by: principal.userId, registration: input.registration }, "platform settings saved");
  return { registration: input.registration };
}

/**
 * Whether POST /auth/register must refuse this caller: sign-up is closed and the caller is not an
 * administrator adding someone. The very first user is decided by the caller (under its bootstrap lock) and is
 * never refused, or a Core with sign-up closed could never get its administrator.
 */
export async function signUpClosedFor(core: Core, db: Queryable, createdBy: string | null | undefined): Promise<boolean> {
  if ((await sql.readRegistration(db)) === "open") return false;
  if (!createdBy) return true;
  return !holdsPermission(await core.auth.principals.permissions(createdBy), ADMIN_KEY);
}
