import type pg from "pg";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";

/**
 * A control-plane transaction on the Core's own pool that carries the acting principal's signed claims, so
 * audit rows written by its triggers (role and assignment changes) name who did it. No role switch: the
 * Core's services have already authorized the change.
 */
export async function withActor<T>(core: Core, principal: Principal, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await core.db.pool.connect();
  const pid = (client as unknown as { processID: number }).processID;
  const { claims, mac } = core.governed.sign({
    uid: principal.userId, delegated: false, perms: "", actor: principal.userId, delegator: "", trigger: "control_plane",
    pid, exp: Math.floor(Date.now() / 1000) + 300,
  });
  try {
    await client.query(`BEGIN; SELECT set_config('rootcx.claims', ${client.escapeLiteral(claims)}, true), set_config('rootcx.claims_mac', '${mac}', true)`);
    const result = await fn(client);
    await client.query("COMMIT");
    // This process drops its cached permissions now; the others through the trigger's NOTIFY.
    core.auth.principals.invalidatePermissions();
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
