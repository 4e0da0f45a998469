import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { holdsPermission } from "../governance/permissions.ts";
import type { ActAsDto } from "./schema.ts";
import { assertCoversAccount, firstUncovered } from "./no-escalation.ts";
import { authorize, changeAccount } from "./service-accounts.ts";
import * as sql from "./sql.ts";

/** What asks to run as someone else: a job's `user_id`, a cron's or a hook's `runAs`. */
export type ActAsTrigger = "job" | "cron" | "hook";

/**
 * Standing delegation from a person to the service account (spec §7.4). Idempotent: an active one is answered
 * as it is (`created: false`). Consent: the person makes it themself, or someone whose permissions cover all of
 * theirs (an administrator) makes it for them; never the receiving account. And, as for every change that hands
 * the account's authority on, the caller holds everything the account holds.
 */
export async function addActAs(core: Core, p: Principal, id: string, userId: string): Promise<{ created: boolean; delegation: ActAsDto }> {
  await authorize(core, p);
  const result = await changeAccount(core, p, id, async (tx, account) => {
    if (p.userId === id) throw new CoreError("FORBIDDEN", "a service account cannot have a person delegated to itself; the person or an administrator must do it");
    const person = await sql.findPerson(tx, userId);
    if (!person) throw new CoreError("BAD_REQUEST", "act-as names a person's account; this id is no person's (service accounts and system principals cannot be acted as)");
    if (p.userId !== userId) {
      const missing = await firstUncovered(tx, p.userId, userId);
      if (missing !== undefined) {
        throw new CoreError("FORBIDDEN", `only ${person.email} or someone whose permissions cover theirs may delegate them; they hold ${missing}, which your own permissions do not cover`);
      }
    }
    await assertCoversAccount(tx, p, account, "add act-as to");
    const row = await sql.insertActAs(tx, { delegator: userId, delegatee: id, createdBy: p.userId });
    if (row) {
      await recordAdminEvent(tx, { action: "service_account.act_as_add", target: id, after: { delegation_id: row.id, user_id: userId, user_email: person.email, service_account: account.email } });
    }
    const delegation = (await sql.listActAs(tx, id)).find((d) => d.userId === userId)!;
    return { created: row !== undefined, delegation };
  });
  if (result.created) core.log.info({ serviceAccountId: id, userId, by: p.userId }, "act-as delegation added");
  return result;
}

/** The person withdraws their own consent without any permission; anyone else needs the manage permission. */
export async function removeActAs(core: Core, p: Principal, id: string, userId: string): Promise<{ message: string }> {
  if (p.userId !== userId) await authorize(core, p);
  const message = await changeAccount(core, p, id, async (tx, account) => {
    const revoked = await sql.revokeActAs(tx, userId, id);
    if (!revoked) throw new CoreError("NOT_FOUND", `${account.email} has no act-as delegation from this user`);
    await recordAdminEvent(tx, { action: "service_account.act_as_remove", target: id, after: { delegation_id: revoked, user_id: userId, service_account: account.email } });
    return `${account.email} may no longer act as this user`;
  });
  core.log.info({ serviceAccountId: id, userId, by: p.userId }, "act-as delegation removed");
  return { message };
}

/**
 * The one check before work runs as another principal (a job's `user_id`, a cron's or hook's `runAs`): allowed
 * only when the target, an enabled person, has a standing act-as delegation to the caller, AND every permission
 * the target holds is covered by the caller's own, so acting as someone never widens the caller's authority.
 * Throws 403 with the reason otherwise. Running as oneself needs no delegation.
 */
export async function assertMayActAs(core: Core, callerUserId: string, targetUserId: string, trigger: ActAsTrigger): Promise<void> {
  if (callerUserId === targetUserId) return;
  const refuse = (why: string) => new CoreError("FORBIDDEN", `${trigger} may not run as user ${targetUserId}: ${why}`);
  const parties = await sql.actAsParties(core.db.pool, callerUserId, targetUserId);
  if (!parties.caller || parties.caller.disabled) throw refuse("the principal asking is disabled or no longer exists");
  if (parties.caller.kind === "agent") throw refuse("an agent may not act as another principal");
  // Spec §5: a person is never a delegatee, whatever rows the delegations table holds.
  if (parties.caller.kind === "human") throw refuse("a person may not act as another person");
  if (!parties.target) throw refuse("no such user");
  if (parties.target.kind !== "human" || parties.target.isSystem) throw refuse("only a person can be acted as");
  if (parties.target.disabled) throw refuse("that user is disabled");
  if (!parties.delegation) throw refuse(`no standing act-as delegation from that user to ${callerUserId}`);
  const [callerKeys, targetKeys] = await Promise.all([core.auth.principals.permissions(callerUserId), core.auth.principals.permissions(targetUserId)]);
  const missing = targetKeys.filter((k) => !holdsPermission(callerKeys, k));
  if (missing.length > 0) throw refuse(`it would widen the caller's authority; the caller lacks ${missing.sort().join(", ")}`);
}
