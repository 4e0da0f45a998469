import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Core } from "../core.ts";
import type { TransactionObserver } from "../governance/executor.ts";
import { registerCoreCollectors } from "./collectors.ts";
import { registerJobCollectors } from "./job-collectors.ts";
import { FastHistogram } from "./fast-histogram.ts";
import { HTTP_BUCKETS, HttpMetrics } from "./http-metrics.ts";
import { registerProcessMetrics } from "./process-metrics.ts";

/** What the Core records, and the text Prometheus scrapes. A Core started with ROOTCX_METRICS=off records nothing. */
export interface Metrics {
  readonly enabled: boolean;
  /** One answered request: `route` is its template (see tracing/context.ts), never the raw path. */
  observeHttp(route: string, method: string | undefined, status: number, seconds: number): void;
  observeTransaction: TransactionObserver;
  /** One inbound webhook call and the status it was answered with (unknown tokens count as 404). */
  webhookCall(status: number): void;
  /** One schedule tick fired: how late (fire time − scheduled time), in seconds. */
  cronLag(seconds: number): void;
  /** A job was dispatched, this long after it became claimable. */
  jobStarted(waitSeconds: number): void;
  /** A job attempt ended with `outcome` (done, failed, dead, cancelled, queued) after this long. */
  jobFinished(outcome: string, seconds: number): void;
  /** Adds the gauges sampled at scrape time from the running Core (pools, workers, SSE). */
  watch(core: Core): void;
  /** The text exposition format. */
  render(): Promise<{ contentType: string; body: string }>;
}

const OFF: Metrics = {
  enabled: false,
  observeHttp: () => undefined,
  observeTransaction: () => undefined,
  webhookCall: () => undefined,
  cronLag: () => undefined,
  jobStarted: () => undefined,
  jobFinished: () => undefined,
  watch: () => undefined,
  render: () => Promise.resolve({ contentType: "text/plain; charset=utf-8", body: "" }),
};

/**
 * One registry per Core (tests run several Cores in one process). Process metrics (CPU, memory, heap, event-loop
 * delay) carry prom-client's default names (process-metrics.ts); the rest are the Core's own, prefixed `rootcx_`.
 */
export function createMetrics(opts: { enabled: boolean; version: string }): Metrics {
  if (!opts.enabled) return OFF;
  const registry = new Registry();
  registerProcessMetrics(registry);
  const http = new HttpMetrics(registry);
  const transactions = new FastHistogram(
    "rootcx_governed_transaction_duration_seconds",
    "Governed (row-level security) transactions by entry point (one: a single statement; run: several) and outcome, with their duration including the wait for a connection.",
    HTTP_BUCKETS,
    registry,
  );
  const tx = {
    one: { commit: transactions.series({ kind: "one", outcome: "commit" }), error: transactions.series({ kind: "one", outcome: "error" }) },
    run: { commit: transactions.series({ kind: "run", outcome: "commit" }), error: transactions.series({ kind: "run", outcome: "error" }) },
  };
  const webhookCalls = new Counter({ name: "rootcx_webhook_calls_total", help: "Inbound webhook calls by answered status.", labelNames: ["status"], registers: [registry] });
  const cronLag = new Histogram({ name: "rootcx_cron_lag_seconds", help: "How late each schedule tick fired (fire time − scheduled time).", buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] });
  const jobWait = new Histogram({ name: "rootcx_job_wait_seconds", help: "How long each job waited between becoming claimable and being dispatched.", buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [registry] });
  const jobDuration = new Histogram({ name: "rootcx_job_duration_seconds", help: "Job attempts by outcome (done, failed, dead, cancelled, queued: given back uncounted) and how long they ran.", labelNames: ["outcome"], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers: [registry] });
  new Gauge({ name: "rootcx_build_info", help: "The running Core's version (always 1).", labelNames: ["version"], registers: [registry] }).set({ version: opts.version }, 1);

  return {
    enabled: true,
    observeHttp: (route, method, status, seconds) => http.observe(route, method, status, seconds),
    observeTransaction: (kind, committed, seconds) => transactions.observe(tx[kind][committed ? "commit" : "error"], seconds),
    webhookCall: (status) => webhookCalls.inc({ status: String(status) }),
    cronLag: (seconds) => cronLag.observe(seconds),
    jobStarted: (seconds) => jobWait.observe(seconds),
    jobFinished: (outcome, seconds) => jobDuration.observe({ outcome }, seconds),
    watch: (core) => {
      registerCoreCollectors(registry, core);
      registerJobCollectors(registry, core);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
