import { CoreError } from "../../errors.ts";
import type { Queryable } from "../../db/queryable.ts";
import { ADMIN_KEY, holdsPermission, resolvePermissions } from "../../governance/permissions.ts";
import * as sql from "./sql.ts";

export const INVITE_KEY = "auth.invite";

const cannotGrant = () => new CoreError("FORBIDDEN", "the person who made this link can no longer grant it");

/** Whether a holder of these permissions and roles may make a link conferring `roles`, and for existing accounts. */
export async function inviteAuthority(db: Queryable, userId: string): Promise<{ admin: boolean; invite: boolean; roles: string[] }> {
  const held = await resolvePermissions(db, userId);
  return { admin: holdsPermission(held.permissions, ADMIN_KEY), invite: holdsPermission(held.permissions, INVITE_KEY), roles: held.roles };
}

/**
 * At consumption, in its transaction: the link is only as good as its maker is now. The maker must still exist,
 * be enabled, and be able to make this very link today: an administrator, or (for an invitation of a new
 * person) a holder of auth.invite with every role it confers. A self-service link has no maker to ask.
 */
export async function assertMakerStillGrants(db: Queryable, link: sql.ConsumedLink): Promise<void> {
  if (link.self_service) return;
  // A NULL maker on a link that is not self-service: the maker's account was deleted.
  const maker = link.created_by ? await sql.findMaker(db, link.created_by) : undefined;
  if (!maker || maker.disabled_at) throw cannotGrant();
  const now = await inviteAuthority(db, maker.id);
  if (now.admin) return;
  if (link.for_account !== null || !now.invite || !link.roles.every((r) => now.roles.includes(r))) throw cannotGrant();
}
