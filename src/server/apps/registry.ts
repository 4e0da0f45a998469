import type pg from "pg";
import type { Logger } from "pino";
import { NotifyListener } from "../db/notify-listener.ts";
import type { Queryable } from "../db/queryable.ts";
import { parseManifest, type FieldType, type Manifest } from "./manifest.ts";
import { buildModel, qualified, type TableSpec } from "./model.ts";

/** Sent inside every install or uninstall transaction, so every Core drops its copy when it commits. */
export const APPS_CHANNEL = "rootcx_apps";

export async function notifyAppChange(db: Queryable, appId: string): Promise<void> {
  await db.query("SELECT pg_notify($1, $2)", [APPS_CHANNEL, appId]);
}

/** An entity as the Data API needs it: its table and the manifest type of every column. */
export interface EntityModel {
  appId: string;
  name: string;
  /** `"app"."entity"`, quoted. */
  table: string;
  spec: TableSpec;
  columns: ReadonlyMap<string, FieldType>;
}

export interface InstalledApp {
  manifest: Manifest;
  entities: ReadonlyMap<string, EntityModel>;
}

function compile(manifest: Manifest): InstalledApp {
  const model = buildModel(manifest);
  const entities = new Map<string, EntityModel>();
  for (const spec of model.tables) {
    const columns = new Map<string, FieldType>([["id", "uuid"], ["created_at", "timestamp"], ["updated_at", "timestamp"]]);
    for (const c of spec.columns) columns.set(c.name, c.type);
    entities.set(spec.name, { appId: manifest.appId, name: spec.name, table: qualified(manifest.appId, spec.name), spec, columns });
  }
  return { manifest, entities };
}

/**
 * The installed apps' compiled manifests, for the Data API's hot path. Cached while the change listener is
 * up (an install anywhere drops the entry everywhere on commit); read from the database while it is not.
 */
export class AppRegistry {
  readonly #cache = new Map<string, InstalledApp | null>();
  readonly #listener: NotifyListener;
  #epoch = 0;

  constructor(private readonly pool: pg.Pool, databaseUrl: string, log: Logger) {
    this.#listener = new NotifyListener(databaseUrl, log, "app change", { [APPS_CHANNEL]: (appId) => this.invalidate(appId) }, () => {
      this.#epoch++;
      this.#cache.clear();
    });
  }

  start(): Promise<void> {
    return this.#listener.start();
  }

  stop(): Promise<void> {
    return this.#listener.stop();
  }

  invalidate(appId: string): void {
    this.#epoch++;
    this.#cache.delete(appId);
  }

  /** The app as cached, without waiting (null: known not to exist); undefined when the database must be asked. */
  cached(appId: string): InstalledApp | null | undefined {
    return this.#listener.listening ? this.#cache.get(appId) : undefined;
  }

  async get(appId: string): Promise<InstalledApp | null> {
    if (this.#listener.listening && this.#cache.has(appId)) return this.#cache.get(appId)!;
    const epoch = this.#epoch;
    const { rows } = await this.pool.query<{ manifest: unknown }>("SELECT manifest FROM rootcx_system.apps WHERE id = $1", [appId]);
    const app = rows[0] ? compile(parseManifest(rows[0].manifest)) : null;
    if (this.#listener.listening && epoch === this.#epoch) this.#cache.set(appId, app);
    return app;
  }
}
