import type { Queryable } from "../db/queryable.ts";
import type { Manifest } from "./manifest.ts";

export interface AppRow {
  id: string;
  name: string;
  version: string;
  type: string;
  status: string;
  manifest: Manifest;
  installed_by: string | null;
}

/** Installs and uninstalls take this lock: two installs of one app would race on its schema. */
export async function lockApps(db: Queryable): Promise<void> {
  await db.query("SELECT pg_advisory_xact_lock(hashtext('rootcx_system.apps'))");
}

/**
 * Taken (shared) by writes that belong to an installed app, such as its secrets: they then either see the app
 * row an uninstall is about to delete and finish before it starts, or wait for it and see the row gone.
 */
export async function shareAppsLock(db: Queryable): Promise<void> {
  await db.query("SELECT pg_advisory_xact_lock_shared(hashtext('rootcx_system.apps'))");
}

export async function getApp(db: Queryable, id: string): Promise<AppRow | undefined> {
  const { rows } = await db.query<AppRow>("SELECT id, name, version, app_type AS type, status, manifest, installed_by FROM rootcx_system.apps WHERE id = $1 AND app_type <> 'system'", [id]);
  return rows[0];
}

export async function listApps(db: Queryable): Promise<AppRow[]> {
  const { rows } = await db.query<AppRow>("SELECT id, name, version, app_type AS type, status, manifest, installed_by FROM rootcx_system.apps WHERE app_type <> 'system' AND status <> 'system' ORDER BY id");
  return rows;
}

export async function countApps(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM rootcx_system.apps WHERE app_type <> 'system'");
  return rows[0]!.n;
}

export async function upsertApp(db: Queryable, m: Manifest, installedBy: string): Promise<void> {
  await db.query(
    `INSERT INTO rootcx_system.apps (id, name, version, app_type, manifest, installed_by) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, version = EXCLUDED.version, app_type = EXCLUDED.app_type,
       manifest = EXCLUDED.manifest, updated_at = now()`,
    [m.appId, m.name, m.version, m.type, JSON.stringify(m), installedBy],
  );
}

export async function deleteAppRow(db: Queryable, id: string): Promise<void> {
  await db.query("DELETE FROM rootcx_system.apps WHERE id = $1", [id]);
}

/** Replaces the app's declared permission keys with `keys` (what the Studio's permission picker offers). */
export async function syncPermissionKeys(db: Queryable, appId: string, keys: { key: string; description: string }[]): Promise<void> {
  await db.query(
    `WITH wanted AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS k(key text, description text)),
          gone AS (DELETE FROM rootcx_system.rbac_permissions p WHERE p.source_app = $1 AND p.key NOT IN (SELECT key FROM wanted))
     INSERT INTO rootcx_system.rbac_permissions (key, description, source_app) SELECT key, description, $1 FROM wanted
     ON CONFLICT (key) DO UPDATE SET description = EXCLUDED.description, source_app = EXCLUDED.source_app`,
    [appId, JSON.stringify(keys)],
  );
}

export async function ensureAppAdminRole(db: Queryable, appId: string, userId: string): Promise<void> {
  const role = `app:${appId}:admin`;
  await db.query(
    `INSERT INTO rootcx_system.rbac_roles (name, description, permissions) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
    [role, `Everything in the ${appId} app`, [`app:${appId}:*`]],
  );
  await db.query("INSERT INTO rootcx_system.rbac_assignments (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING", [userId, role]);
}

/** Uninstall: the app's keys, its roles (app:{id}:…) with their assignments, and its secrets. */
export async function deleteAppGrants(db: Queryable, appId: string): Promise<void> {
  await db.query("DELETE FROM rootcx_system.rbac_permissions WHERE source_app = $1", [appId]);
  await db.query("DELETE FROM rootcx_system.rbac_assignments WHERE starts_with(role, $1)", [`app:${appId}:`]);
  await db.query("DELETE FROM rootcx_system.rbac_roles WHERE starts_with(name, $1)", [`app:${appId}:`]);
  await db.query("DELETE FROM rootcx_system.secrets WHERE app_id = $1", [appId]);
}

export async function recordHistory(db: Queryable, h: { appId: string; version: string | null; actor: string; changes: unknown[]; statements: string[] }): Promise<void> {
  await db.query(
    "INSERT INTO rootcx_system.schema_history (app_id, app_version, actor_uid, changes, statements) VALUES ($1, $2, $3, $4, $5)",
    [h.appId, h.version, h.actor, JSON.stringify(h.changes), h.statements],
  );
}

export interface HistoryRow {
  id: string;
  app_id: string;
  app_version: string | null;
  actor_uid: string | null;
  actor_email: string | null;
  applied_at: string;
  changes: { entity: string; change_type: string; column: string | null; detail: string }[];
  statements: string[];
}

export async function listHistory(db: Queryable, appId: string, limit: number): Promise<HistoryRow[]> {
  const { rows } = await db.query<HistoryRow>(
    `SELECT h.id::text, h.app_id, h.app_version, h.actor_uid, u.email AS actor_email, to_char(h.applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS applied_at,
            h.changes, h.statements
       FROM rootcx_system.schema_history h LEFT JOIN rootcx_system.users u ON u.id = h.actor_uid
      WHERE h.app_id = $1 ORDER BY h.id DESC LIMIT $2`,
    [appId, limit],
  );
  return rows;
}
