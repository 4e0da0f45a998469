import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { withActor } from "../governance/actor.ts";
import { requirePermission } from "../governance/authorize.ts";
import { holdsPermission } from "../governance/permissions.ts";
import { type ChangeDto, diffSchema, orderedStatements, type SchemaChange, toDto } from "./diff.ts";
import { introspectSchema } from "./introspect.ts";
import { appIdSchema, parseManifest, type Manifest } from "./manifest.ts";
import { buildModel, qualified, quoteIdent } from "./model.ts";
import { notifyAppChange } from "./registry.ts";
import * as sql from "./sql.ts";
import type { QueryConfig } from "pg";
import type { Queryable } from "../db/queryable.ts";

const INSTALL = "admin:apps.install";
const SELF_SERVICE = "platform:apps.create";

export interface AppSummary {
  id: string;
  name: string;
  version: string;
  status: string;
  type: string;
  entities: string[];
  hasFrontend: boolean;
  icon?: string;
}

export async function listApps(core: Core, _principal: Principal, type?: string): Promise<AppSummary[]> {
  const rows = await sql.listApps(core.db.pool);
  return rows
    .filter((r) => !type || r.type === type)
    .map((r) => ({
      id: r.id,
      name: r.name,
      version: r.version,
      status: r.status,
      type: r.type,
      entities: r.manifest.dataContract.map((e) => e.entityName),
      hasFrontend: false,
      ...(r.manifest.icon ? { icon: r.manifest.icon } : {}),
    }));
}

export async function getApp(core: Core, _principal: Principal, id: string) {
  const row = await sql.getApp(core.db.pool, appIdSchema.parse(id));
  if (!row) throw new CoreError("NOT_FOUND", `app ${id} not found`);
  return { id: row.id, name: row.name, version: row.version, status: row.status, type: row.type, dataContract: row.manifest.dataContract, icon: row.manifest.icon ?? null, manifest: row.manifest };
}

/** Every key an app's install mints (spec §2.4). */
export function appPermissionKeys(m: Manifest): { key: string; description: string }[] {
  const a = m.appId;
  const keys: { key: string; description: string }[] = [];
  for (const e of m.dataContract) {
    for (const op of ["create", "read", "update", "delete"]) keys.push({ key: `app:${a}:${e.entityName}.${op}`, description: `${op} ${e.entityName} records in ${m.name}` });
  }
  keys.push(
    { key: `app:${a}:cron.read`, description: `See ${m.name}'s schedules` },
    { key: `app:${a}:cron.write`, description: `Manage ${m.name}'s schedules` },
    { key: `app:${a}:cron.trigger`, description: `Run ${m.name}'s schedules now` },
    { key: `app:${a}:invoke`, description: `Call ${m.name}'s backend` },
    { key: `app:${a}:schema.history`, description: `See ${m.name}'s schema change history` },
  );
  for (const p of m.permissions?.permissions ?? []) keys.push({ key: `app:${a}:${p.key}`, description: p.description });
  for (const act of m.actions ?? []) keys.push({ key: `app:${a}:action:${act.id}`, description: act.name });
  return [...new Map(keys.map((k) => [k.key, k])).values()];
}

async function plan(db: Queryable, manifest: Manifest): Promise<{ changes: SchemaChange[]; schemaExists: boolean }> {
  const actual = await introspectSchema(db, manifest.appId);
  return { changes: diffSchema(buildModel(manifest), actual), schemaExists: actual.exists };
}

/** POST /apps/schema/verify: what an install of this manifest would change, without changing it. */
export async function verifySchema(core: Core, _principal: Principal, body: unknown): Promise<{ compliant: boolean; changes: ChangeDto[] }> {
  const manifest = parseManifest(body);
  const { changes } = await plan(core.db.pool, manifest);
  return { compliant: changes.length === 0, changes: changes.map(toDto) };
}

/**
 * POST /apps: one transaction creates or syncs the schema, governs every new table, records the app, its keys
 * and its admin role, and the history of what changed. Any failure rolls all of it back.
 */
export async function installApp(core: Core, principal: Principal, body: unknown): Promise<{ message: string; changes: ChangeDto[] }> {
  const manifest = parseManifest(body);
  const held = await core.auth.principals.permissions(principal.userId);
  const mayInstall = holdsPermission(held, INSTALL);
  const maySelfServe = holdsPermission(held, SELF_SERVICE);
  const applied = await withActor(core, principal, async (tx) => {
    await sql.lockApps(tx);
    const existing = await sql.getApp(tx, manifest.appId);
    if (!mayInstall) {
      const firstApp = !existing && (await sql.countApps(tx)) === 0;
      const ownSelfService = maySelfServe && (!existing || existing.installed_by === principal.userId);
      if (!firstApp && !ownSelfService) throw new CoreError("FORBIDDEN", `permission required: ${INSTALL}`);
    }
    const { changes, schemaExists } = await plan(tx, manifest);
    // A schema no app owns is someone else's (a hand-made one, another tool's): syncing would drop its tables.
    if (!existing && schemaExists) throw new CoreError("CONFLICT", `schema ${manifest.appId} already exists and belongs to no installed app`);
    const statements: string[] = [];
    for (const { change, sql: statement } of orderedStatements(changes)) {
      try {
        // Extended protocol: exactly one statement, whatever the text holds.
        await tx.query({ text: statement, queryMode: "extended" } as QueryConfig);
      } catch (err) {
        const where = change.column ? `${change.entity}.${change.column}` : change.entity || manifest.appId;
        throw new CoreError("BAD_REQUEST", `cannot apply ${change.change_type} on ${where}: ${(err as Error).message}`, { cause: err });
      }
      statements.push(statement);
    }
    for (const change of changes) {
      if (change.change_type !== "create_table") continue;
      await tx.query("SELECT rootcx_system.govern_table($1::regclass, $2, $3)", [qualified(manifest.appId, change.entity), manifest.appId, change.entity]);
      statements.push(`SELECT rootcx_system.govern_table('${qualified(manifest.appId, change.entity)}', '${manifest.appId}', '${change.entity}')`);
    }
    if (changes.some((c) => c.change_type === "create_table")) {
      // The database console's reader sees app tables (past RLS, as an administrator's tool).
      await tx.query(`GRANT USAGE ON SCHEMA ${quoteIdent(manifest.appId)} TO rootcx_db_reader; GRANT SELECT ON ALL TABLES IN SCHEMA ${quoteIdent(manifest.appId)} TO rootcx_db_reader`);
    }
    await sql.upsertApp(tx, manifest, principal.userId);
    await sql.syncPermissionKeys(tx, manifest.appId, appPermissionKeys(manifest));
    await sql.ensureAppAdminRole(tx, manifest.appId, principal.userId);
    if (changes.length) await sql.recordHistory(tx, { appId: manifest.appId, version: manifest.version, actor: principal.userId, changes: changes.map(toDto), statements });
    await notifyAppChange(tx, manifest.appId);
    return changes;
  });
  core.apps.invalidate(manifest.appId);
  core.log.info({ app: manifest.appId, changes: applied.length, by: principal.userId }, "app installed");
  return { message: `app ${manifest.appId} installed`, changes: applied.map(toDto) };
}

/** DELETE /apps/{id}: drops the schema and everything the install created, keeping the schema history. */
export async function uninstallApp(core: Core, principal: Principal, id: string): Promise<{ message: string }> {
  const appId = appIdSchema.parse(id);
  await requirePermission(core, principal, INSTALL);
  await withActor(core, principal, async (tx) => {
    await sql.lockApps(tx);
    const existing = await sql.getApp(tx, appId);
    if (!existing) throw new CoreError("NOT_FOUND", `app ${appId} not found`);
    const drop = `DROP SCHEMA IF EXISTS ${quoteIdent(appId)} CASCADE`;
    await tx.query(drop);
    await sql.deleteAppGrants(tx, appId);
    await sql.deleteAppRow(tx, appId);
    await sql.recordHistory(tx, { appId, version: existing.version, actor: principal.userId, changes: [{ entity: "", change_type: "drop_schema", column: null, detail: "app uninstalled" }], statements: [drop] });
    await notifyAppChange(tx, appId);
  });
  core.apps.invalidate(appId);
  core.log.info({ app: appId, by: principal.userId }, "app uninstalled");
  return { message: `app ${appId} uninstalled` };
}

/** The schema changes applied to an app, newest first: who, when, what and the statements that ran. */
export async function schemaHistory(core: Core, principal: Principal, id: string, limit = 50): Promise<sql.HistoryRow[]> {
  const appId = appIdSchema.parse(id);
  const held = await core.auth.principals.permissions(principal.userId);
  if (!holdsPermission(held, INSTALL) && !holdsPermission(held, `app:${appId}:schema.history`)) {
    throw new CoreError("FORBIDDEN", `permission required: ${INSTALL}`);
  }
  return sql.listHistory(core.db.pool, appId, Math.min(Math.max(limit, 1), 500));
}
