import type pg from "pg";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { withTransaction } from "../db/queryable.ts";

/**
 * Signs the acting user's claims into an open control-plane transaction, so the audit rows it writes (by
 * trigger or by recordAdminEvent) name who did it. A null actor is the Core itself (scheduled work, a resumed
 * rotation), told apart by `trigger`.
 */
export async function actAs(core: Core, tx: pg.PoolClient, actorUserId: string | null, trigger = "control_plane"): Promise<void> {
  const { claims } = core.governed.sign({
    uid: actorUserId ?? "",
    delegated: false,
    perms: "",
    actor: actorUserId ?? "",
    delegator: "",
    trigger,
    pid: (tx as unknown as { processID: number }).processID,
    exp: Math.floor(Date.now() / 1000) + 300,
  });
  await tx.query("SELECT set_config('rootcx.claims', $1, true)", [claims]);
}

/**
 * A control-plane transaction on the Core's own pool that carries the acting principal's signed claims. No
 * role switch: the Core's services have already authorized the change.
 */
export async function withActor<T>(core: Core, principal: Principal, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const result = await withTransaction(core.db.pool, async (tx) => {
    await actAs(core, tx, principal.userId);
    return fn(tx);
  });
  // This process drops its cached permissions now; the others through the trigger's NOTIFY.
  core.auth.principals.invalidatePermissions();
  return result;
}
