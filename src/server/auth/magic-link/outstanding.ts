import type { Core } from "../../core.ts";
import { CoreError } from "../../errors.ts";
import { withActor } from "../../governance/actor.ts";
import { recordAdminEvent } from "../../governance/admin-events.ts";
import type { Principal } from "../principal.ts";
import { INVITE_KEY, inviteAuthority } from "./authority.ts";
import type { OutstandingLinkDto } from "./schema.ts";
import * as sql from "./sql.ts";

/**
 * Links not yet used, revoked or expired. An administrator sees them all; a holder of auth.invite sees the
 * ones it made (so it can withdraw an invitation it sent). Never the token: only its hash is stored anyway.
 */
export async function listOutstanding(core: Core, principal: Principal): Promise<OutstandingLinkDto[]> {
  const who = await inviteAuthority(core.db.pool, principal.userId);
  if (!who.admin && !who.invite) throw new CoreError("FORBIDDEN", `permission required: ${INVITE_KEY}`);
  const rows = await sql.listOutstanding(core.db.pool, who.admin ? null : principal.userId);
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    roles: r.roles,
    madeBy: r.created_by ? { id: r.created_by, email: r.maker_email } : null,
    selfService: r.self_service,
    forExistingAccount: r.for_account !== null,
    expiresAt: r.expires_at.toISOString(),
    createdAt: r.created_at.toISOString(),
  }));
}

/** Withdraws an outstanding link: an administrator any, anyone else only those it made. Audited. */
export async function revoke(core: Core, principal: Principal, id: string): Promise<{ message: string }> {
  const who = await inviteAuthority(core.db.pool, principal.userId);
  return withActor(core, principal, async (tx) => {
    const link = await sql.lockOutstanding(tx, id);
    if (!link) throw new CoreError("NOT_FOUND", "no outstanding sign-in link has this id (it may be used, expired or revoked already)");
    if (!who.admin && link.created_by !== principal.userId) throw new CoreError("FORBIDDEN", "only an administrator or the link's maker can revoke it");
    await sql.revokeLink(tx, link.id);
    await recordAdminEvent(tx, { action: "auth.magic_link_revoke", target: link.id, before: { email: link.email, made_by: link.created_by } });
    return { message: `the sign-in link for ${link.email} is revoked` };
  });
}
