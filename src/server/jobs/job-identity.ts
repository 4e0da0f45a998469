import type { Core } from "../core.ts";
import type { RpcCaller } from "../workers/contracts.ts";
import { ANON_IDENTITY, SYSTEM_IDENTITY, type WorkerIdentity } from "../workers/identity.ts";
import { jobOwner } from "./queue-sql.ts";

export type JobTarget = { identity: WorkerIdentity; caller: RpcCaller | null } | { refused: string };

/**
 * Which worker a job runs on and with which caller (spec §6.1 "Dispatch", resolved when it runs, not when it was
 * enqueued, so a permission change or a disabled owner applies to jobs already waiting):
 * - no owner (user_id NULL, only the Core's own services enqueue so): the app's lifecycle worker, no caller;
 * - an owner who is disabled: the anonymous worker, no caller (deny-all), as the original;
 * - an owner who no longer exists: refused (the job is dead at once with that reason; the original deletes it);
 * - otherwise the owner's worker, with their live permissions.
 */
export async function jobTarget(core: Core, userId: string | null): Promise<JobTarget> {
  if (userId === null) return { identity: SYSTEM_IDENTITY, caller: null };
  const owner = await jobOwner(core.db.pool, userId);
  if (!owner) return { refused: `the job's owner (user ${userId}) no longer exists` };
  if (owner.disabled) return { identity: ANON_IDENTITY, caller: null };
  const perms = await core.auth.principals.permissions(userId);
  return {
    identity: { kind: "user", userId, email: owner.email },
    caller: { userId, email: owner.email, effectivePerms: [...perms] },
  };
}
