import { Counter, Gauge, type Registry } from "prom-client";
import type { Core } from "../core.ts";
import { poolStats } from "../governance/executor.ts";

/**
 * Gauges read when Prometheus scrapes, never on the request path: both pools' connections and waiting callers, the
 * worker processes by state and their restarts, and open SSE subscriptions.
 */
export function registerCoreCollectors(registry: Registry, core: Core): void {
  const pools = () => [
    ["core", poolStats(core.db.pool)],
    ["governed", core.governed.poolStats()],
  ] as const;

  new Gauge({
    name: "rootcx_db_pool_connections",
    help: "PostgreSQL connections held by each pool (core: system tables; governed: app data under row-level security), by state.",
    labelNames: ["pool", "state"],
    registers: [registry],
    collect() {
      for (const [pool, s] of pools()) {
        this.set({ pool, state: "idle" }, s.idle);
        this.set({ pool, state: "busy" }, s.total - s.idle);
      }
    },
  });
  new Gauge({
    name: "rootcx_db_pool_max_connections",
    help: "The most connections each pool opens.",
    labelNames: ["pool"],
    registers: [registry],
    collect() {
      for (const [pool, s] of pools()) this.set({ pool }, s.max);
    },
  });
  new Gauge({
    name: "rootcx_db_pool_waiting_clients",
    help: "Callers waiting for a connection of each pool (above zero for long: the pool is saturated).",
    labelNames: ["pool"],
    registers: [registry],
    collect() {
      for (const [pool, s] of pools()) this.set({ pool }, s.waiting);
    },
  });

  new Gauge({
    name: "rootcx_worker_processes",
    help: "App worker process slots by app, identity kind (system, anon, user) and state.",
    labelNames: ["app", "kind", "state"],
    registers: [registry],
    collect() {
      // Reset first: an app uninstalled since the last scrape must not keep reporting its last values.
      this.reset();
      for (const w of core.workers.census()) this.inc({ app: w.appId, kind: w.kind, state: w.state });
    },
  });
  new Gauge({
    name: "rootcx_worker_restarts",
    help: "Restarts of each app's current worker slots since this Core started (crash restarts and administrators' restarts).",
    labelNames: ["app"],
    registers: [registry],
    collect() {
      this.reset();
      for (const w of core.workers.census()) this.inc({ app: w.appId }, w.restarts);
    },
  });

  new Gauge({
    name: "rootcx_sse_subscribers",
    help: "Open Server-Sent Events subscriptions on this Core, by stream.",
    labelNames: ["stream"],
    registers: [registry],
    collect() {
      this.set({ stream: "logs" }, core.logs.stats().subscribers);
    },
  });

  new Gauge({
    name: "rootcx_realtime_subscribers",
    help: "Open realtime change streams on this Core (SSE and tRPC subscriptions).",
    registers: [registry],
    collect() {
      this.set(core.realtime.stats().subscribers);
    },
  });
  // The hub counts as it goes; a scrape adds what it counted since the last one.
  const counted = (name: string, help: string, read: () => number) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = read();
        this.inc(now - seen);
        seen = now;
      },
    });
  };
  counted("rootcx_realtime_events_total", "Change events delivered to realtime subscribers of this Core.", () => core.realtime.events);
  counted("rootcx_realtime_resyncs_total", "Realtime subscribers told to resync (too slow a reader, or a resume beyond the window) on this Core.", () => core.realtime.resyncs);
}
