import type { Principal } from "../auth/principal.ts";
import type { Queryable } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";
import { holdsPermission, resolvePermissions } from "../governance/permissions.ts";

/**
 * The first permission key of `target` (sorted, so the answer is stable) that `caller`'s keys do not grant. Read
 * on the caller's transaction, which holds the account's row lock: taking a second pooled connection there would
 * let concurrent changes to one account exhaust the pool, each holding one connection and waiting for another.
 */
export async function firstUncovered(db: Queryable, callerId: string, targetId: string): Promise<string | undefined> {
  const callerKeys = (await resolvePermissions(db, callerId)).permissions;
  const targetKeys = (await resolvePermissions(db, targetId)).permissions;
  return [...targetKeys].sort().find((k) => !holdsPermission(callerKeys, k));
}

/**
 * The no-escalation rule for managing a service account (the rule act-as applies to running as someone): whoever
 * makes a key for it, enables it, takes responsibility for it or lets it act for a person must already hold
 * everything it holds. Otherwise `admin:service_accounts.manage` alone would buy any account's authority, the
 * administrator's included, through a key made for an account holding `admin`.
 */
export async function assertCoversAccount(db: Queryable, p: Principal, account: { id: string; email: string }, doing: string): Promise<void> {
  const missing = await firstUncovered(db, p.userId, account.id);
  if (missing !== undefined) {
    throw new CoreError("FORBIDDEN", `you cannot ${doing} ${account.email}: it holds ${missing}, which your own permissions do not cover`);
  }
}

/**
 * Service accounts never take over a person's credentials (setting a password, making a sign-in link): a key
 * holding `admin` could otherwise become an administrator person and do what only people may (platform secrets).
 */
export function assertPersonActs(p: Principal, doing: string): void {
  if (p.kind === "service") throw new CoreError("FORBIDDEN", `a service account cannot ${doing}; a person must make this change`);
}
