import type { Manifest } from "../apps/manifest.ts";
import type { Queryable } from "../db/queryable.ts";
import * as sql from "./sql.ts";
import { ensureTrigger } from "./triggers.ts";

/**
 * Install step, in the install's transaction (after the schema sync): an entity the manifest dropped takes its hooks
 * along (its table and triggers are gone already), and every remaining hooked (entity, operation) has its trigger,
 * so a table the sync re-created is hooked again. An existing trigger is left alone (no table lock).
 */
export async function reconcileEntityHooks(tx: Queryable, manifest: Manifest): Promise<void> {
  await sql.lockAppHooks(tx, manifest.appId);
  await sql.deleteForMissingEntities(tx, manifest.appId, manifest.dataContract.map((e) => e.entityName));
  for (const { entity, operation } of await sql.hookedPairs(tx, manifest.appId)) await ensureTrigger(tx, manifest.appId, entity, operation);
}
