import type pg from "pg";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { withTransaction } from "../db/queryable.ts";

/**
 * A control-plane transaction on the Core's own pool that carries the acting principal's signed claims, so
 * audit rows written by its triggers (role and assignment changes) name who did it. No role switch: the
 * Core's services have already authorized the change.
 */
export async function withActor<T>(core: Core, principal: Principal, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const result = await withTransaction(core.db.pool, async (tx) => {
    const { claims } = core.governed.sign({
      uid: principal.userId,
      delegated: false,
      perms: "",
      actor: principal.userId,
      delegator: "",
      trigger: "control_plane",
      pid: (tx as unknown as { processID: number }).processID,
      exp: Math.floor(Date.now() / 1000) + 300,
    });
    await tx.query("SELECT set_config('rootcx.claims', $1, true)", [claims]);
    return fn(tx);
  });
  // This process drops its cached permissions now; the others through the trigger's NOTIFY.
  core.auth.principals.invalidatePermissions();
  return result;
}
