import type { Queryable } from "../db/queryable.ts";
import type { HookFilter, HookOperation } from "./schema.ts";

export interface HookRow {
  id: string;
  app_id: string;
  entity: string;
  operation: HookOperation;
  action_type: string;
  action_config: Record<string, unknown>;
  run_as: string | null;
  active: boolean;
  created_by: string;
  created_at: Date;
}

const COLUMNS = "id, app_id, entity, operation, action_type, action_config, run_as, active, created_by, created_at";

/** Serialises hook changes of one app (creating or dropping a table's trigger with its first or last hook). */
export async function lockAppHooks(db: Queryable, appId: string): Promise<void> {
  await db.query("SELECT pg_advisory_xact_lock(hashtext('rootcx_system.entity_hooks'), hashtext($1))", [appId]);
}

export async function list(db: Queryable, appId: string, f: HookFilter): Promise<HookRow[]> {
  const { rows } = await db.query<HookRow>(
    `SELECT ${COLUMNS} FROM rootcx_system.entity_hooks
      WHERE app_id = $1 AND ($2::text IS NULL OR entity = $2) AND ($3::text IS NULL OR operation = $3)
      ORDER BY created_at, id LIMIT 1000`,
    [appId, f.entity ?? null, f.operation ?? null],
  );
  return rows;
}

export async function getOne(db: Queryable, appId: string, id: string): Promise<HookRow | undefined> {
  const { rows } = await db.query<HookRow>(`SELECT ${COLUMNS} FROM rootcx_system.entity_hooks WHERE app_id = $1 AND id = $2`, [appId, id]);
  return rows[0];
}

export async function insert(db: Queryable, h: { appId: string; entity: string; operation: HookOperation; actionConfig: Record<string, unknown>; runAs: string | null; createdBy: string }): Promise<HookRow> {
  const { rows } = await db.query<HookRow>(
    `INSERT INTO rootcx_system.entity_hooks (app_id, entity, operation, action_type, action_config, run_as, created_by)
     VALUES ($1, $2, $3, 'job', $4::jsonb, $5, $6) RETURNING ${COLUMNS}`,
    [h.appId, h.entity, h.operation, JSON.stringify(h.actionConfig), h.runAs, h.createdBy],
  );
  return rows[0]!;
}

export async function remove(db: Queryable, appId: string, id: string): Promise<HookRow | undefined> {
  const { rows } = await db.query<HookRow>(`DELETE FROM rootcx_system.entity_hooks WHERE app_id = $1 AND id = $2 RETURNING ${COLUMNS}`, [appId, id]);
  return rows[0];
}

export async function countActive(db: Queryable, appId: string, entity: string, operation: HookOperation): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM rootcx_system.entity_hooks WHERE app_id = $1 AND entity = $2 AND operation = $3 AND active",
    [appId, entity, operation],
  );
  return rows[0]!.n;
}

/** Install: hooks of entities the manifest no longer has (their tables were just dropped, triggers with them). */
export async function deleteForMissingEntities(db: Queryable, appId: string, entities: string[]): Promise<number> {
  const { rowCount } = await db.query("DELETE FROM rootcx_system.entity_hooks WHERE app_id = $1 AND NOT (entity = ANY($2::text[]))", [appId, entities]);
  return rowCount ?? 0;
}

export async function hookedPairs(db: Queryable, appId: string): Promise<{ entity: string; operation: HookOperation }[]> {
  const { rows } = await db.query<{ entity: string; operation: HookOperation }>(
    "SELECT DISTINCT entity, operation FROM rootcx_system.entity_hooks WHERE app_id = $1 AND active ORDER BY entity, operation",
    [appId],
  );
  return rows;
}
