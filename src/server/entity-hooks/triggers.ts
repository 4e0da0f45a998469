import { qualified, quoteIdent } from "../apps/model.ts";
import type { Queryable } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";
import type { HookOperation } from "./schema.ts";

/**
 * One row trigger per (table, operation) that has hooks, named rootcx_hook_insert|update|delete (other subsystems
 * put their own triggers on app tables under their own prefixes). It runs rootcx_system.entity_hook_fn(), which
 * enqueues one job per matching hook in the writer's transaction (migration 0025).
 */
export const triggerName = (operation: HookOperation) => `rootcx_hook_${operation.toLowerCase()}`;

/** How long a hook change waits for a table someone is writing (adding or dropping a trigger locks it briefly). */
const LOCK_TIMEOUT = "5s";

async function exists(db: Queryable, appId: string, entity: string, operation: HookOperation): Promise<{ table: boolean; trigger: boolean }> {
  const { rows } = await db.query<{ table: boolean; trigger: boolean }>(
    `SELECT to_regclass($1) IS NOT NULL AS table,
            EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = $2) AS trigger`,
    [qualified(appId, entity), triggerName(operation)],
  );
  return rows[0]!;
}

async function withLockTimeout(db: Queryable, appId: string, entity: string, statement: string): Promise<void> {
  await db.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
  try {
    await db.query(statement);
  } catch (err) {
    if ((err as { code?: unknown }).code === "55P03") throw new CoreError("CONFLICT", `table ${appId}.${entity} is busy (waited ${LOCK_TIMEOUT}); retry`, { cause: err });
    throw err;
  } finally {
    await db.query("SET LOCAL lock_timeout = '0'");
  }
}

/** Attaches the trigger when it is missing (a first hook, or a table re-created by a schema sync); no lock otherwise. */
export async function ensureTrigger(db: Queryable, appId: string, entity: string, operation: HookOperation): Promise<void> {
  const state = await exists(db, appId, entity, operation);
  if (!state.table) throw new CoreError("BAD_REQUEST", `entity ${entity} of app ${appId} has no table`);
  if (state.trigger) return;
  await withLockTimeout(
    db,
    appId,
    entity,
    `CREATE TRIGGER ${quoteIdent(triggerName(operation))} AFTER ${operation} ON ${qualified(appId, entity)} FOR EACH ROW EXECUTE FUNCTION rootcx_system.entity_hook_fn()`,
  );
}

/** Drops the trigger with the table's last hook of that operation. */
export async function dropTrigger(db: Queryable, appId: string, entity: string, operation: HookOperation): Promise<void> {
  const state = await exists(db, appId, entity, operation);
  if (!state.trigger) return;
  await withLockTimeout(db, appId, entity, `DROP TRIGGER ${quoteIdent(triggerName(operation))} ON ${qualified(appId, entity)}`);
}
