import type { WorkerIdentity } from "./identity.ts";

/** Log levels of spec §2.12: the worker's own, plus the supervisor's, raw output and emitted events. */
export const LOG_LEVELS = ["info", "warn", "error", "debug", "system", "stdout", "stderr", "event"] as const;
export type WorkerLogLevel = (typeof LOG_LEVELS)[number];

export interface WorkerLogEntry {
  level: WorkerLogLevel;
  message: string;
}

/** Where every worker's output goes (logs.ts): fan-out to SSE subscribers on every Core process. */
export interface LogSink {
  publish(appId: string, entry: WorkerLogEntry): void;
}

/** The caller an RPC or job handler receives (camelCase, spec §4.1), or null for anonymous calls. */
export interface RpcCaller {
  userId: string;
  email: string;
  effectivePerms?: string[];
}

/**
 * What the per-worker data session (data-access.ts) needs from the process that owns it: whose data it reads,
 * whether the onStart bypass is still armed, and how to run one of the app's actions as the same identity.
 */
export interface WorkerDataContext {
  appId: string;
  identity: WorkerIdentity;
  /** True on the lifecycle worker between spawn and its first dispatched rpc/job (spec §4.3 item 8). */
  bypassActive(): boolean;
  /** Runs the app's action `name` (an RPC method) on the worker of this same identity; permission checked by the caller. */
  callAction(name: string, input: unknown): Promise<unknown>;
}

/** One worker→Core request of the data plane (sql_*, collection_op, self_action) and its reply. */
export type WorkerRequest = { type: string; id: string | number } & Record<string, unknown>;
export type WorkerReply = { type: string; id: string | number } & Record<string, unknown>;

/** A worker process's lifecycle state (spec §2.5 `GET /workers`). */
export type WorkerState = "starting" | "running" | "stopping" | "stopped" | "crashed";

/** One process of an app as `GET /workers?detail=true` shows it (issue 12 §7c). */
export interface WorkerDetail {
  /** "system", "anon" or "user:<email>". */
  identity: string;
  state: WorkerState;
  pid: number | null;
  startedAt: string | null;
  uptimeMs: number | null;
  restarts: number;
  rssBytes: number | null;
  cpuPercent: number | null;
}

/**
 * The supervisor's one API (supervisor.ts). Deploy, RPC, logs, and later jobs, webhooks, storage and agents call
 * workers through it, never by spawning processes themselves.
 */
export interface WorkerSupervisorApi {
  /** After a deploy or rollback: a new lifecycle worker answers its handshake before the old one stops (zero downtime). */
  restartApp(appId: string): Promise<void>;
  /** Starts the app's lifecycle worker if it has an entry point and none is running. */
  startApp(appId: string): Promise<void>;
  /** Stops every identity's worker of the app (uninstall, an admin's stop), and every process of the app's uid. */
  stopApp(appId: string): Promise<void>;
  /**
   * An administrator's stop: persisted for every Core process, it holds (RPCs answer 503, boot and log readers do
   * not start the app) until adminStart, restartApp, a deploy or a rollback.
   */
  adminStop(appId: string, by: string | null): Promise<void>;
  /** An administrator's start: lifts the stop, then starts the lifecycle worker. */
  adminStart(appId: string): Promise<void>;
  /** Whether the app has a deployed backend (an entry point), cheaply when one of its workers runs. */
  hasBackend(appId: string): boolean;
  /** The app's state, running winning across its identities; undefined when it has no worker at all. */
  appState(appId: string): WorkerState | undefined;
  /** Calls `method` on the worker of (appId, identity), spawning it lazily. Rejects with a CoreError. */
  rpc(appId: string, identity: WorkerIdentity, method: string, params: unknown, caller: RpcCaller | null, opts?: { timeoutMs?: number }): Promise<unknown>;
  /**
   * Delivers job `msgId` (spec §4.1 `job`) to the worker of (appId, identity), spawning it lazily; resolves on a
   * `job_result` without error. The worker's error rejects with a JobFailedError (worker-process.ts), anything else
   * (crash, stop, timeout, refusal) with another CoreError. The default timeout is the RPC timeout.
   */
  job(appId: string, identity: WorkerIdentity, msgId: string, payload: unknown, caller: RpcCaller | null, opts?: { timeoutMs?: number }): Promise<void>;
  /** Every app with a worker slot and its state (running winning), for `GET /workers`. */
  states(): Record<string, WorkerState>;
  /** Every app's processes, one entry per identity, with pid, uptime, restarts, RSS and CPU. */
  details(): Record<string, WorkerDetail[]>;
  /** Every worker slot's state and restarts, cheaply (no /proc reads), for /metrics. */
  census(): WorkerCensusEntry[];
}

/** One (app, identity) slot as /metrics counts it: the identity's kind only, so user e-mails never become labels. */
export interface WorkerCensusEntry {
  appId: string;
  kind: WorkerIdentity["kind"];
  state: WorkerState;
  restarts: number;
}
