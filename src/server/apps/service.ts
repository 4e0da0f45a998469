import { existsSync } from "node:fs";
import path from "node:path";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { withActor } from "../governance/actor.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { reconcileManifestCrons } from "../crons/manifest-crons.ts";
import { lockAdminSet } from "../governance/admin-guard.ts";
import { requirePermission } from "../governance/authorize.ts";
import { holdsPermission } from "../governance/permissions.ts";
import { type ChangeDto, diffSchema, orderedStatements, type SchemaChange, toDto } from "./diff.ts";
import { assertAcceptable, type Impact, measureImpact, NO_IMPACT, type SampleRow } from "./impact.ts";
import { introspectSchema } from "./introspect.ts";
import { appIdSchema, parseManifest, type Manifest } from "./manifest.ts";
import { buildModel, qualified, quoteIdent } from "./model.ts";
import { notifyAppChange } from "./registry.ts";
import * as sql from "./sql.ts";
import { frontendDir } from "../workers/app-files.ts";
import { removeAppFiles } from "../workers/uninstall-files.ts";
import { dropMigrationRole } from "../workers/migration-role.ts";
import { clearWorkerStop } from "../workers/stop-flags.ts";
import type { QueryConfig } from "pg";
import { type Queryable, withTransaction } from "../db/queryable.ts";
import { reconcileWebhooks } from "../webhooks/reconcile.ts";
import { reconcileEntityHooks } from "../entity-hooks/reconcile.ts";

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
      hasFrontend: existsSync(path.join(frontendDir(core.config.dataDir, r.id), "index.html")),
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
    { key: `app:${a}:cron.manage_others`, description: `See, change, run and delete ${m.name}'s schedules made by others` },
    { key: `app:${a}:invoke`, description: `Call ${m.name}'s backend` },
    { key: `app:${a}:job.read`, description: `See ${m.name}'s jobs (payloads, errors, statistics)` },
    { key: `app:${a}:job.manage`, description: `Retry, cancel and replay ${m.name}'s jobs` },
    { key: `app:${a}:logs.read`, description: `Watch ${m.name}'s backend logs (they show what its code prints)` },
    { key: `app:${a}:schema.history`, description: `See ${m.name}'s schema change history` },
    { key: `app:${a}:public.share`, description: `Make public links to ${m.name}'s records (read-only, as their maker)` },
    { key: `app:${a}:webhook.read`, description: `See ${m.name}'s inbound webhooks and their calls` },
    { key: `app:${a}:webhook.manage`, description: `Rotate ${m.name}'s webhook URLs and set their signature and rate rules` },
    { key: `app:${a}:hook.read`, description: `See ${m.name}'s entity hooks` },
    { key: `app:${a}:hook.write`, description: `Create and delete ${m.name}'s entity hooks` },
  );
  for (const p of m.permissions?.permissions ?? []) keys.push({ key: `app:${a}:${p.key}`, description: p.description });
  for (const act of m.actions ?? []) keys.push({ key: `app:${a}:action:${act.id}`, description: act.name });
  return [...new Map(keys.map((k) => [k.key, k])).values()];
}

async function plan(db: Queryable, manifest: Manifest): Promise<{ changes: SchemaChange[]; schemaExists: boolean }> {
  const actual = await introspectSchema(db, manifest.appId);
  return { changes: diffSchema(buildModel(manifest), actual), schemaExists: actual.exists };
}

/** A change with what it does to existing rows (the install's answer and the history leave the sample out). */
export type AppliedChange = ChangeDto & { destructive: boolean; affectedRows: number };
/** affectedRows is null for a caller who may not install the app: row counts are not theirs to learn. */
export type VerifiedChange = Omit<AppliedChange, "affectedRows"> & { affectedRows: number | null; blocking: boolean | null; sample: SampleRow[] };

function appliedDto(c: SchemaChange, impacts: Map<SchemaChange, Impact>): AppliedChange {
  const i = impacts.get(c) ?? NO_IMPACT;
  return { ...toDto(c), destructive: i.destructive, affectedRows: i.affectedRows };
}

/**
 * POST /apps/schema/verify: what an install of this manifest would change, without changing it, and for each
 * change the existing rows it would lose or alter (or that would make it fail), counted in a read-only
 * transaction. The counts bypass row-level security, so they are measured only for whoever may install the
 * app. Anyone else learns what a change could do by its kind (`destructive`: it can lose values), never what
 * the rows hold: an answer that depended on them (even one boolean, for a check or an enum the caller
 * proposes) would let a caller test guesses about rows it may not read.
 */
export async function verifySchema(core: Core, principal: Principal, body: unknown): Promise<{ compliant: boolean; changes: VerifiedChange[] }> {
  const manifest = parseManifest(body);
  const held = await core.auth.principals.permissions(principal.userId);
  return withTransaction(core.db.pool, async (tx) => {
    await tx.query("SET TRANSACTION READ ONLY");
    const { changes } = await plan(tx, manifest);
    const existing = holdsPermission(held, INSTALL) ? undefined : await sql.getApp(tx, manifest.appId);
    const maySeeRows = holdsPermission(held, INSTALL) || (holdsPermission(held, SELF_SERVICE) && existing?.installed_by === principal.userId);
    if (!maySeeRows) {
      return {
        compliant: changes.length === 0,
        changes: changes.map((c) => ({ ...toDto(c), destructive: c.probe?.kind === "loss", affectedRows: null, blocking: null, sample: [] })),
      };
    }
    const impacts = await measureImpact(tx, changes, { sample: true });
    return {
      compliant: changes.length === 0,
      changes: changes.map((c) => {
        const i = impacts.get(c) ?? NO_IMPACT;
        return { ...appliedDto(c, impacts), blocking: i.blocking, sample: i.sample };
      }),
    };
  });
}

/**
 * How long an install or uninstall waits for an app table that someone else holds (a long console query, a
 * slow request). Waiting longer would queue every Data API request on that table behind the schema change.
 */
export const SCHEMA_LOCK_TIMEOUT = "5s";

/** Bounds lock waits for the schema statements only; the audit chain and the admin set are waited for as usual. */
async function boundLockWaits(tx: Queryable, on: boolean): Promise<void> {
  await tx.query(`SET LOCAL lock_timeout = '${on ? SCHEMA_LOCK_TIMEOUT : "0"}'`);
}

const isLockTimeout = (err: unknown) => typeof err === "object" && err !== null && (err as { code?: unknown }).code === "55P03";

function tablesBusy(appId: string, err: unknown): CoreError {
  return new CoreError("CONFLICT", `the tables of app ${appId} are in use by another statement (waited ${SCHEMA_LOCK_TIMEOUT}); retry`, { cause: err });
}

/** Every table whose rows a change's probe reads, in one order so two lockers never wait on each other. */
async function lockProbedTables(tx: Queryable, changes: SchemaChange[]): Promise<void> {
  const tables = [...new Set(changes.flatMap((c) => (c.probe ? [c.probe.table] : [])))].sort();
  // ACCESS EXCLUSIVE now, as the ALTER will take anyway: no write lands between the count and the change.
  if (tables.length) await tx.query(`LOCK TABLE ${tables.join(", ")} IN ACCESS EXCLUSIVE MODE`);
}

/**
 * POST /apps: one transaction creates or syncs the schema, governs every new table, records the app, its keys
 * and its admin role, and the history of what changed. Any failure rolls all of it back.
 */
export async function installApp(core: Core, principal: Principal, body: unknown, opts: { allowDataLoss?: boolean } = {}): Promise<{ message: string; changes: AppliedChange[] }> {
  const manifest = parseManifest(body);
  const held = await core.auth.principals.permissions(principal.userId);
  const mayInstall = holdsPermission(held, INSTALL);
  const maySelfServe = holdsPermission(held, SELF_SERVICE);
  const applied = await withActor(core, principal, async (tx) => {
    await sql.lockApps(tx);
    await boundLockWaits(tx, true);
    const existing = await sql.getApp(tx, manifest.appId);
    if (!mayInstall) {
      const firstApp = !existing && (await sql.countApps(tx)) === 0;
      const ownSelfService = maySelfServe && (!existing || existing.installed_by === principal.userId);
      if (!firstApp && !ownSelfService) throw new CoreError("FORBIDDEN", `permission required: ${INSTALL}`);
    }
    const { changes, schemaExists } = await plan(tx, manifest);
    // A schema no app owns is someone else's (a hand-made one, another tool's): syncing would drop its tables.
    if (!existing && schemaExists) throw new CoreError("CONFLICT", `schema ${manifest.appId} already exists and belongs to no installed app`);
    // Counted in this transaction, with the tables locked, so the rows counted are the rows changed.
    await lockProbedTables(tx, changes).catch((err: unknown) => {
      throw isLockTimeout(err) ? tablesBusy(manifest.appId, err) : err;
    });
    const impacts = await measureImpact(tx, changes, { sample: false });
    assertAcceptable(changes, impacts, opts.allowDataLoss === true);
    const statements: string[] = [];
    for (const { change, sql: statement } of orderedStatements(changes)) {
      try {
        // Extended protocol: exactly one statement, whatever the text holds.
        await tx.query({ text: statement, queryMode: "extended" } as QueryConfig);
      } catch (err) {
        if (isLockTimeout(err)) throw tablesBusy(manifest.appId, err);
        const where = change.column ? `${change.entity}.${change.column}` : change.entity || manifest.appId;
        throw new CoreError("BAD_REQUEST", `cannot apply ${change.change_type} on ${where}: ${(err as Error).message}`, { cause: err });
      }
      statements.push(statement);
    }
    await boundLockWaits(tx, false);
    for (const change of changes) {
      if (change.change_type !== "create_table") continue;
      await tx.query("SELECT rootcx_system.govern_table($1::regclass, $2, $3)", [qualified(manifest.appId, change.entity), manifest.appId, change.entity]);
      // Realtime change capture (migration 0027): every committed change of the table reaches change streams.
      await tx.query("SELECT rootcx_system.realtime_capture($1::regclass, $2, $3)", [qualified(manifest.appId, change.entity), manifest.appId, change.entity]);
      statements.push(`SELECT rootcx_system.govern_table('${qualified(manifest.appId, change.entity)}', '${manifest.appId}', '${change.entity}')`);
    }
    if (changes.some((c) => c.change_type === "create_table")) {
      // The database console's reader sees app tables (past RLS, as an administrator's tool).
      await tx.query(`GRANT USAGE ON SCHEMA ${quoteIdent(manifest.appId)} TO rootcx_db_reader; GRANT SELECT ON ALL TABLES IN SCHEMA ${quoteIdent(manifest.appId)} TO rootcx_db_reader`);
    }
    await sql.upsertApp(tx, manifest, principal.userId);
    await sql.syncPermissionKeys(tx, manifest.appId, appPermissionKeys(manifest));
    await sql.ensureAppAdminRole(tx, manifest.appId, principal.userId);
    await reconcileManifestCrons(tx, manifest.appId, manifest.crons, principal.userId);
    await reconcileWebhooks(core, tx, manifest, principal.userId);
    await reconcileEntityHooks(tx, manifest);
    const result = changes.map((c) => appliedDto(c, impacts));
    // The history keeps which losses the install accepted (destructive, affectedRows), never the values.
    if (changes.length) await sql.recordHistory(tx, { appId: manifest.appId, version: manifest.version, actor: principal.userId, changes: result, statements });
    await recordAdminEvent(tx, {
      action: existing ? "app.reinstall" : "app.install",
      target: manifest.appId,
      after: { version: manifest.version, previous_version: existing?.version ?? null, changes: result },
    });
    await notifyAppChange(tx, manifest.appId);
    return result;
  });
  core.apps.invalidate(manifest.appId);
  core.log.info({ app: manifest.appId, changes: applied.length, by: principal.userId }, "app installed");
  return { message: `app ${manifest.appId} installed`, changes: applied };
}

/** DELETE /apps/{id}: drops the schema and everything the install created, keeping the schema history. */
export async function uninstallApp(core: Core, principal: Principal, id: string): Promise<{ message: string }> {
  const appId = appIdSchema.parse(id);
  await requirePermission(core, principal, INSTALL);
  await withActor(core, principal, async (tx) => {
    await sql.lockApps(tx);
    // Its roles go, and one of them may have been made to grant `*`: the admin-set lock comes first, as for
    // every removal of a grant (the commit-time recount then never waits behind the audit chain's lock).
    await lockAdminSet(tx);
    const existing = await sql.getApp(tx, appId);
    if (!existing) throw new CoreError("NOT_FOUND", `app ${appId} not found`);
    const drop = `DROP SCHEMA IF EXISTS ${quoteIdent(appId)} CASCADE`;
    await boundLockWaits(tx, true);
    await tx.query(drop).catch((err: unknown) => {
      throw isLockTimeout(err) ? tablesBusy(appId, err) : err;
    });
    await boundLockWaits(tx, false);
    await dropMigrationRole(tx, appId);
    await sql.deleteAppGrants(tx, appId);
    await sql.deleteAppRow(tx, appId);
    await clearWorkerStop(tx, appId);
    await sql.recordHistory(tx, { appId, version: existing.version, actor: principal.userId, changes: [{ entity: "", change_type: "drop_schema", column: null, detail: "app uninstalled" }], statements: [drop] });
    await recordAdminEvent(tx, { action: "app.uninstall", target: appId, before: { version: existing.version } });
    await notifyAppChange(tx, appId);
  });
  core.apps.invalidate(appId);
  // Its processes go before its code does; the committed uninstall stands even if one refuses to stop cleanly.
  await core.workers.stopApp(appId).catch((err: unknown) => core.log.warn({ err, appId }, "stopping the uninstalled app's workers failed"));
  core.logs.forget(appId);
  await removeAppFiles(core.config.dataDir, appId);
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
