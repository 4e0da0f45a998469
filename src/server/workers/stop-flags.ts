import type { Queryable } from "../db/queryable.ts";

/** How long a Core trusts what it read: another Core's stop is seen at most this late. */
const CACHE_MS = 1000;

/**
 * An administrator's stop, persisted (rootcx_system.worker_stops) so that every Core process and a restarted Core
 * honour it. Reads are cached briefly per app; this Core's own changes update its cache at once.
 */
export class WorkerStopFlags {
  readonly #cache = new Map<string, { stopped: boolean; at: number }>();

  constructor(private readonly db: () => Queryable) {}

  async isStopped(appId: string): Promise<boolean> {
    const hit = this.#cache.get(appId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.stopped;
    const { rowCount } = await this.db().query("SELECT 1 FROM rootcx_system.worker_stops WHERE app_id = $1", [appId]);
    const stopped = (rowCount ?? 0) > 0;
    this.#cache.set(appId, { stopped, at: Date.now() });
    return stopped;
  }

  async set(appId: string, by: string | null): Promise<void> {
    await this.db().query(
      "INSERT INTO rootcx_system.worker_stops (app_id, stopped_by) VALUES ($1, $2) ON CONFLICT (app_id) DO UPDATE SET stopped_by = EXCLUDED.stopped_by, stopped_at = now()",
      [appId, by],
    );
    this.#cache.set(appId, { stopped: true, at: Date.now() });
  }

  async clear(appId: string): Promise<void> {
    await clearWorkerStop(this.db(), appId);
    this.#cache.set(appId, { stopped: false, at: Date.now() });
  }
}

/** Forgets an app's stop (uninstall runs it in its own transaction). */
export async function clearWorkerStop(db: Queryable, appId: string): Promise<void> {
  await db.query("DELETE FROM rootcx_system.worker_stops WHERE app_id = $1", [appId]);
}
