import type { Logger } from "pino";
import type { CoreConfig } from "./config/load.ts";
import type { AuthRuntime } from "./auth/runtime.ts";
import type { Database } from "./db/database.ts";
import type { GovernedExecutor } from "./governance/executor.ts";
import type { Vault } from "./vault/vault.ts";
import type { AppRegistry } from "./apps/registry.ts";
import type { WorkerSupervisorApi } from "./workers/contracts.ts";
import type { LogBus } from "./workers/logs.ts";
import type { Metrics } from "./metrics/metrics.ts";
import type { SpanExport } from "./tracing/otel.ts";
import type { RealtimeHub } from "./realtime/hub.ts";
import type { JobsRuntime } from "./jobs/dispatcher.ts";

/** The states the original reports for each component in /api/v1/status. */
export type ComponentState = "online" | "offline" | "starting" | "stopping" | "error";

/** Everything a service needs, built once at boot and passed to every service function. */
export interface Core {
  config: CoreConfig;
  log: Logger;
  db: Database;
  auth: AuthRuntime;
  /** Runs data-plane work as a principal, under row-level security (see governance/executor.ts). */
  governed: GovernedExecutor;
  vault: Vault;
  /** The installed apps' compiled manifests (the Data API's entity lookup). */
  apps: AppRegistry;
  /** Every app's backend processes (src/server/workers/supervisor.ts). */
  workers: WorkerSupervisorApi;
  /** Worker output, fanned out to log subscribers on every Core process (src/server/workers/logs.ts). */
  logs: LogBus;
  /** Realtime change streams of app tables, under row-level security (src/server/realtime/, docs/REALTIME.md). */
  realtime: RealtimeHub;
  /** The job queue's dispatcher on this Core process (src/server/jobs/, docs/JOBS.md). */
  jobs: JobsRuntime;
  /** Prometheus metrics (src/server/metrics/): records nothing when ROOTCX_METRICS=off. */
  metrics: Metrics;
  /** OpenTelemetry span export, only when OTEL_EXPORTER_OTLP_ENDPOINT is set (src/server/tracing/otel.ts). */
  spans: SpanExport | undefined;
  version: string;
  startedAt: Date;
  state: ComponentState;
}
