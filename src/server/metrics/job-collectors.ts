import { Gauge, type Registry } from "prom-client";
import type { Core } from "../core.ts";

/** The states whose depth is worth a gauge; done and cancelled rows are history (pruned after the retention period). */
const DEPTH_STATES = ["queued", "running", "failed", "dead"] as const;

/**
 * `rootcx_jobs{app,state}`: the queue's depth per app and state, read from the database when Prometheus scrapes (the
 * queue is shared by every Core, so each Core reports the same numbers). A failed read leaves the series out.
 */
export function registerJobCollectors(registry: Registry, core: Core): void {
  new Gauge({
    name: "rootcx_jobs",
    help: "Jobs in the queue by app and state (queued, running, failed awaiting a retry, dead), shared by every Core on the database.",
    labelNames: ["app", "state"],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const { rows } = await core.db.pool.query<{ app_id: string; state: string; n: number }>(
          "SELECT app_id, state, count(*)::int AS n FROM rootcx_system.jobs WHERE state = ANY ($1::text[]) GROUP BY app_id, state",
          [DEPTH_STATES],
        );
        for (const r of rows) this.set({ app: r.app_id, state: r.state }, r.n);
      } catch (err) {
        core.log.warn({ err }, "metrics: reading the job queue's depth failed");
      }
    },
  });
}
