import type pg from "pg";
import type { Core } from "../core.ts";
import type { AuthChangeSubscriber, PrincipalDirectory } from "../auth/principal-directory.ts";
import type { RpcCaller } from "../workers/contracts.ts";
import { ANON_IDENTITY, SYSTEM_IDENTITY, type WorkerIdentity } from "../workers/identity.ts";
import { jobOwner } from "./queue-sql.ts";

export type JobTarget = { identity: WorkerIdentity; caller: RpcCaller | null } | { refused: string };

type Owner = { email: string; disabled: boolean } | undefined;

/** How long an owner's row is trusted without a notification (a change notified through rootcx_auth is applied at once). */
const OWNER_TTL_MS = 5_000;

/**
 * Job owners (e-mail, disabled), read once per few seconds rather than once per job: a queue of thousands of jobs of
 * one user would otherwise read the same row for each. Forgotten on every auth-change notification the principal
 * directory hears (disable, delete), and not cached at all while its LISTEN connection is down.
 */
export class JobOwners implements AuthChangeSubscriber {
  readonly #owners = new Map<string, { owner: Owner; at: number }>();
  #epoch = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly principals: PrincipalDirectory,
  ) {
    principals.subscribe(this);
  }

  changed(kind: string, id: string): void {
    this.#epoch++;
    if (kind === "user") this.#owners.delete(id);
  }

  reset(): void {
    this.#epoch++;
    this.#owners.clear();
  }

  async get(userId: string): Promise<Owner> {
    const hit = this.principals.listening ? this.#owners.get(userId) : undefined;
    if (hit && Date.now() - hit.at < OWNER_TTL_MS) return hit.owner;
    const epoch = this.#epoch;
    const owner = await jobOwner(this.pool, userId);
    if (this.principals.listening && epoch === this.#epoch) this.#owners.set(userId, { owner, at: Date.now() });
    return owner;
  }
}

/**
 * Which worker a job runs on and with which caller (spec §6.1 "Dispatch", resolved when it runs, not when it was
 * enqueued, so a permission change or a disabled owner applies to jobs already waiting):
 * - no owner (user_id NULL, only the Core's own services enqueue so): the app's lifecycle worker, no caller;
 * - an owner who is disabled: the anonymous worker, no caller (deny-all), as the original;
 * - an owner who no longer exists: refused (the job is dead at once with that reason; the original deletes it);
 * - otherwise the owner's worker, with their live permissions.
 */
export async function jobTarget(core: Core, owners: JobOwners, userId: string | null): Promise<JobTarget> {
  if (userId === null) return { identity: SYSTEM_IDENTITY, caller: null };
  const owner = await owners.get(userId);
  if (!owner) return { refused: `the job's owner (user ${userId}) no longer exists` };
  if (owner.disabled) return { identity: ANON_IDENTITY, caller: null };
  const perms = await core.auth.principals.permissions(userId);
  return {
    identity: { kind: "user", userId, email: owner.email },
    caller: { userId, email: owner.email, effectivePerms: [...perms] },
  };
}
