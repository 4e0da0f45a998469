import type { Queryable } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";

/**
 * "At least one enabled administrator" (an enabled human who holds `*` through its roles) holds under any
 * concurrency. Every change that can shrink that set runs `lockAdminSet` first, then makes its change and
 * recounts with `assertAdminRemains` before commit. The lock is one row (the admin role's), so those changes
 * run one after another and each count sees every earlier one; a deferred trigger (migration 0010) recounts at
 * commit for any path that forgot, hand-written SQL included.
 */
export async function lockAdminSet(tx: Queryable): Promise<void> {
  await tx.query("SELECT rootcx_system.lock_admin_set()");
}

export async function enabledAdminCount(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT rootcx_system.enabled_admin_count() AS n");
  return rows[0]!.n;
}

/** Refuses (400, with the caller's reason) a change that leaves no enabled administrator; run it after the change. */
export async function assertAdminRemains(tx: Queryable, refusal: string): Promise<void> {
  if ((await enabledAdminCount(tx)) === 0) throw new CoreError("BAD_REQUEST", refusal);
}

/**
 * Under the lock, the acting administrator must still be one: an admin removed by a change that committed
 * while this request waited cannot go on to remove others.
 */
export async function assertStillAdmin(tx: Queryable, userId: string): Promise<void> {
  const { rows } = await tx.query<{ ok: boolean }>(
    `SELECT rootcx_system.roles_grant_all(ARRAY(SELECT role FROM rootcx_system.rbac_assignments WHERE user_id = u.id)) AS ok
       FROM rootcx_system.users u WHERE u.id = $1 AND u.disabled_at IS NULL`,
    [userId],
  );
  if (!rows[0]?.ok) throw new CoreError("FORBIDDEN", "admin role required");
}

/** Takes the lock and re-checks the actor: the start of every admin-set-shrinking transaction. */
export async function guardAdminSet(tx: Queryable, actorUserId: string): Promise<void> {
  await lockAdminSet(tx);
  await assertStillAdmin(tx, actorUserId);
}
