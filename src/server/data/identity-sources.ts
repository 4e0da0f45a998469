import type { EntityModel, InstalledApp } from "../apps/registry.ts";
import type { Core } from "../core.ts";

/** An entity that declares an identity kind (spec §3): its records are linked across apps by `key`'s value. */
export interface IdentitySource {
  entity: EntityModel;
  kind: string;
  /** The identity key column (a column of `entity`, checked when the manifest was installed). */
  key: string;
}

/** The entities of an installed app that declare `kind`, by entity name. */
export function sourcesIn(app: InstalledApp, kind: string): IdentitySource[] {
  const out: IdentitySource[] = [];
  for (const contract of app.manifest.dataContract) {
    if (contract.identityKind !== kind || contract.identityKey === undefined) continue;
    const entity = app.entities.get(contract.entityName);
    if (entity) out.push({ entity, kind, key: contract.identityKey });
  }
  return out.sort((a, b) => (a.entity.name < b.entity.name ? -1 : 1));
}

/** The identity kind and key an entity declares, or undefined. */
export function identityOf(app: InstalledApp, entity: string): { kind: string; key: string } | undefined {
  const contract = app.manifest.dataContract.find((e) => e.entityName === entity);
  return contract?.identityKind !== undefined && contract.identityKey !== undefined ? { kind: contract.identityKind, key: contract.identityKey } : undefined;
}

// Manifests are metadata every signed-in user may read (GET /apps); which rows of the sources a caller sees is
// decided later, by row-level security in the governed statement.
const APPS_OF_KIND = `SELECT id FROM rootcx_system.apps
  WHERE app_type <> 'system' AND status <> 'system'
    AND jsonb_path_exists(manifest, '$.dataContract[*] ? (@.identityKind == $kind)', jsonb_build_object('kind', $1::text))
  ORDER BY id`;

/** Every entity of every installed app that declares `kind`, by app id then entity name. */
export async function sourcesOfKind(core: Core, kind: string): Promise<IdentitySource[]> {
  const { rows } = await core.db.pool.query<{ id: string }>(APPS_OF_KIND, [kind]);
  const out: IdentitySource[] = [];
  for (const { id } of rows) {
    const app = await core.apps.get(id);
    // An app uninstalled since the query above has no sources any more.
    if (app) out.push(...sourcesIn(app, kind));
  }
  return out;
}
