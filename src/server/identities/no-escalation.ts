import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { holdsPermission } from "../governance/permissions.ts";

/** The first permission key of `target` (sorted, so the answer is stable) that `caller`'s keys do not grant. */
export async function firstUncovered(core: Core, callerId: string, targetId: string): Promise<string | undefined> {
  const [callerKeys, targetKeys] = await Promise.all([core.auth.principals.permissions(callerId), core.auth.principals.permissions(targetId)]);
  return [...targetKeys].sort().find((k) => !holdsPermission(callerKeys, k));
}

/**
 * The no-escalation rule for managing a service account (the rule act-as applies to running as someone): whoever
 * makes a key for it, enables it, takes responsibility for it or lets it act for a person must already hold
 * everything it holds. Otherwise `admin:service_accounts.manage` alone would buy any account's authority, the
 * administrator's included, through a key made for an account holding `admin`.
 */
export async function assertCoversAccount(core: Core, p: Principal, account: { id: string; email: string }, doing: string): Promise<void> {
  const missing = await firstUncovered(core, p.userId, account.id);
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
