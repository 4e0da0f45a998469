import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { CoreError } from "../errors.ts";
import { runInRequest } from "../tracing/context.ts";
import type { LogSink, RpcCaller, WorkerLogLevel, WorkerReply, WorkerRequest, WorkerState } from "./contracts.ts";
import type { WorkerIdentity } from "./identity.ts";
import { LineReader, parseMessage } from "./line-reader.ts";
import { callTraceFields, requestContextOf, withRequestId } from "./call-trace.ts";

/** The data plane a process's requests go to (data-access.ts's WorkerDataSession). */
export interface DataSession {
  handle(msg: WorkerRequest): Promise<WorkerReply>;
  close(): Promise<void>;
}

/** Worker→Core requests answered by the data session, and the reply type each gets when the session throws. */
const DATA_REQUESTS: Record<string, string> = {
  sql_query: "sql_query_result",
  sql_exec: "sql_exec_result",
  sql_begin: "sql_begin_result",
  sql_commit: "sql_end_result",
  sql_rollback: "sql_end_result",
  collection_op: "collection_op_result",
  self_action: "self_action_result",
  storage_upload: "storage_upload_url",
};

const WORKER_LOG_LEVELS = new Set<WorkerLogLevel>(["info", "warn", "error", "debug"]);
/** Spec §4.2: a worker's log message is cut to 8192 bytes. */
const MAX_LOG_BYTES = 8192;
/** Bytes queued for a worker's stdin past which it counts as unresponsive at once (the Core's memory stays bounded). */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
/** Data requests in flight before the Core stops reading the worker's stdout (a flooding worker waits). */
const MAX_DATA_IN_FLIGHT = 32;
/** The onStart bypass's backstop: closed after this long even if the worker never says onStart ended. */
export const BYPASS_MAX_MS = 60_000;
/** The tail of its output a worker that dies before its handshake is reported with. */
const EXIT_TAIL_BYTES = 2048;
/** How long an exit before the handshake waits for the output still in the pipes. */
const OUTPUT_FLUSH_MS = 250;
/** Where a start failure's text gives the worker's last output (withheld from RPC callers: see withoutOutput). */
const LAST_OUTPUT = "; its last output:\n";
const SERVE_HINT = "if this is a v2 app, call serve({ rpc: { … } })";

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the Core asked it to stop (stop, retire, shutdown); false for a crash. */
  requested: boolean;
}

export interface WorkerProcessOptions {
  appId: string;
  identity: WorkerIdentity;
  /** A label for log lines from a non-lifecycle process (`[anon]`, `[user:a@b.c]`); empty for the lifecycle one. */
  label: string;
  child: ChildProcessWithoutNullStreams;
  sink: LogSink;
  session: DataSession;
  /** How long a write may wait for the worker's stdin to drain before the worker counts as unresponsive. */
  writeTimeoutMs: number;
  handshakeTimeoutMs: number;
  onExit(proc: WorkerProcess, info: ExitInfo): void;
}

/**
 * A job the worker answered with an error (its onJob threw): the job's own failure, retried by the queue, unlike the
 * worker crashing, stopping or timing out under it.
 */
export class JobFailedError extends CoreError {
  constructor(readonly workerError: string) {
    super("BAD_GATEWAY", `job error: ${workerError}`);
  }
}

/** An RPC the worker answered with an error (its handler threw): the app's own answer, unlike the Core's refusals around it. */
export class RpcFailedError extends CoreError {
  constructor(readonly workerError: string) {
    super("BAD_GATEWAY", `worker error: ${workerError}`);
  }
}

/** A method the worker did not list: nothing was dispatched. Public callers (webhooks) are told less than this says. */
export class UnknownMethodError extends CoreError {
  constructor(method: string, served: string) {
    super("NOT_FOUND", `unknown method: ${method}${served}`);
  }
}

/** The worker went away under a call (crashed, stopped, unresponsive): whether the call ran is unknown. */
export class WorkerLostError extends CoreError {
  constructor(reason: string) {
    super("BAD_GATEWAY", reason);
  }
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(err: CoreError): void;
  timer: NodeJS.Timeout;
}

/** Why a value cannot be written to a worker, as a sentence (JSON.stringify's own errors are terse). */
function unserialisable(err: unknown): string {
  if (err instanceof RangeError) return "it is nested too deeply";
  return err instanceof Error ? err.message : String(err);
}

/**
 * A start failure as an RPC caller gets it: without what the worker printed (it may hold anything the app logs,
 * which only log readers may see); administrators get it from start, restart, deploy and the logs.
 */
export function withoutOutput(err: unknown): unknown {
  if (!(err instanceof CoreError) || !err.message.includes(LAST_OUTPUT)) return err;
  return new CoreError(err.code, `${err.message.slice(0, err.message.indexOf(LAST_OUTPUT))}; its last output is in the app's logs`, { cause: err });
}

const truncate = (text: string, bytes: number) => (Buffer.byteLength(text) <= bytes ? text : Buffer.from(text).subarray(0, bytes).toString("utf8"));

/**
 * One worker process: the handshake, RPCs matched to their replies by id, the data-plane requests it makes,
 * its output to the log sink, and a write path that never lets a stuck worker block the Core.
 */
export class WorkerProcess {
  readonly appId: string;
  readonly identity: WorkerIdentity;
  readonly pid: number;
  readonly startedAt = new Date();
  state: WorkerState = "starting";
  /** Retired (replaced by a newer process): it takes no new calls and stops once its in-flight ones end. */
  retired = false;
  lastUsed = Date.now();
  /** The RPC methods the worker listed in its discover answer (empty: it did not say, so every call is dispatched). */
  methods: readonly string[] = [];
  /**
   * Spec §4.3 item 8: armed at spawn on the lifecycle worker, disarmed at its first dispatched rpc/job, when the
   * worker reports onStart ended (`onstart_complete`, our addition to IPC v2), or after BYPASS_MAX_MS.
   */
  #bypass: boolean;
  readonly #bypassTimer: NodeJS.Timeout | undefined;
  /** Taken as a v1 (legacy) worker: it never called serve(), so nothing answers discover or rpc for it. */
  #legacy = false;
  /** The last lines it printed (stderr and non-protocol stdout), for the report of an exit before its handshake. */
  #tail: string[] = [];
  readonly #opts: WorkerProcessOptions;
  readonly #child: ChildProcessWithoutNullStreams;
  /** Calls awaiting their answer: rpcs by their numeric id, jobs by `job:<msg id>` (spec §4.1: a job's id is its msg id). */
  readonly #pending = new Map<number | string, PendingCall>();
  #nextId = 1;
  #stopRequested = false;
  #exited = false;
  #drainTimer: NodeJS.Timeout | undefined;
  #unresponsiveReported = false;
  /** Killed by the Core (unresponsive, shutdown): it takes no new call while its exit is on its way. */
  #killed = false;
  #groupSwept = false;
  #dataInFlight = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #handshake: Promise<void>;
  #settleHandshake: ((err?: Error) => void) | undefined;
  readonly #exit: Promise<void>;

  constructor(opts: WorkerProcessOptions) {
    this.#opts = opts;
    this.#child = opts.child;
    this.appId = opts.appId;
    this.identity = opts.identity;
    this.pid = opts.child.pid ?? -1;
    this.#bypass = opts.identity.kind === "system";
    if (this.#bypass) {
      this.#bypassTimer = setTimeout(() => (this.#bypass = false), BYPASS_MAX_MS);
      this.#bypassTimer.unref();
    }
    this.#handshake = new Promise<void>((resolve, reject) => {
      // Spec §4.3 item 9: a v1 worker never answers discover (it reads stdin itself). One still alive after the
      // wait is taken as such and runs; a v2 worker still loading gets its messages in order behind discover.
      const timer = setTimeout(() => {
        if (this.#exited || this.state !== "starting") return;
        this.#log("system", `the worker has not called serve() after ${opts.handshakeTimeoutMs / 1000} s: treating it as a v1 (legacy) worker, which handles stdin itself; ${SERVE_HINT}`);
        this.#legacy = true;
        this.state = "running";
        this.#settleHandshake?.();
      }, opts.handshakeTimeoutMs);
      this.#settleHandshake = (err) => {
        clearTimeout(timer);
        this.#settleHandshake = undefined;
        if (err) reject(err);
        else resolve();
      };
    });
    // A failed handshake is reported through ready(); this keeps an unobserved one from being unhandled.
    this.#handshake.catch(() => undefined);
    this.#exit = new Promise((resolve) => this.#child.once("close", () => resolve()));

    const stdout = new LineReader({ line: (l) => this.#onLine(l), oversized: (n) => this.#log("system", `discarded a stdout line of ${n} bytes (over the 1 MiB line limit)`) });
    const stderr = new LineReader({ line: (l) => this.#output("stderr", l), oversized: (n) => this.#log("system", `discarded a stderr line of ${n} bytes (over the 1 MiB line limit)`) });
    this.#child.stdout.on("data", (c: Buffer) => stdout.push(c));
    this.#child.stdout.on("end", () => stdout.end());
    this.#child.stderr.on("data", (c: Buffer) => stderr.push(c));
    this.#child.stderr.on("end", () => stderr.end());
    // EPIPE on a dead worker's stdin: the exit handler reports it, the error itself carries nothing more.
    this.#child.stdin.on("error", () => undefined);
    this.#child.on("error", (err) => this.#log("system", `worker process error: ${err.message}`));
    this.#child.once("exit", (code, signal) => {
      this.#exited = true;
      if (!this.#settleHandshake) return this.#onExit(code, signal);
      // Died before its handshake: its last output (the reason, usually) may still be in the pipes after "exit".
      const flushed = new Promise<void>((resolve) => setTimeout(resolve, OUTPUT_FLUSH_MS).unref());
      void Promise.race([this.#exit, flushed]).then(() => this.#onExit(code, signal));
    });
  }

  /** The bypass flag the data session reads. */
  bypassActive(): boolean {
    return this.#bypass;
  }

  /** Sends `discover` (spec §4.1) and resolves when the worker answers it (or runs on as v1); rejects if it exits first. */
  handshake(discover: Record<string, unknown>): Promise<void> {
    this.#write({ type: "discover", ...discover });
    return this.#handshake;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /** A usable process: answered its handshake, not retired, not on its way out. */
  get accepting(): boolean {
    return this.state === "running" && !this.retired && !this.#stopRequested && !this.#killed;
  }

  /**
   * Calls `method`; a method the worker did not list is a 404 (nothing is dispatched), params the wire cannot carry
   * a 400, a worker error a 502, the timeout a 504, a crash fails the call at once with a 502. The 404 lists the
   * served methods only to a signed-in caller (one who passed the `app:{id}:invoke` check): an anonymous caller of a
   * public name the backend does not serve must not learn the private ones.
   */
  call(method: string, params: unknown, caller: RpcCaller | null, timeoutMs: number): Promise<unknown> {
    if (this.methods.length > 0 && !this.methods.includes(method)) {
      const served = caller ? ` (the backend serves: ${this.methods.join(", ")})` : "";
      return Promise.reject(new UnknownMethodError(method, served));
    }
    const id = this.#nextId++;
    let line: string;
    try {
      // The request this call serves (its id and span) travels with it: the worker's log lines then name it.
      line = JSON.stringify({ type: "rpc", id, method, params: params ?? {}, caller, ...callTraceFields() });
    } catch (err) {
      return Promise.reject(new CoreError("BAD_REQUEST", `the rpc params cannot be sent to the worker: ${unserialisable(err)}`));
    }
    this.#bypass = false;
    this.lastUsed = Date.now();
    const seconds = Math.round(timeoutMs / 100) / 10;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        this.#noteIdle();
        const hint = this.#legacy ? `: the worker never called serve(), so it runs as a v1 (legacy) worker that answers on stdin itself, and it did not; ${SERVE_HINT}` : "";
        reject(new CoreError("GATEWAY_TIMEOUT", `rpc timeout (${seconds}s)${hint}`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      if (!this.#writeLine(line)) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(new CoreError("BAD_GATEWAY", "worker is not accepting calls (its input is closed)"));
      }
    }).finally(() => {
      this.lastUsed = Date.now();
    });
  }

  /**
   * Delivers job `msgId` (spec §4.1 `job`) and resolves when the worker answers `job_result` without an error. Its
   * error rejects with a JobFailedError; a crash, stop or unresponsive worker with a 502, the timeout with a 504.
   */
  job(msgId: string, payload: unknown, caller: RpcCaller | null, timeoutMs: number): Promise<void> {
    const key = `job:${msgId}`;
    if (this.#pending.has(key)) return Promise.reject(new CoreError("CONFLICT", `job ${msgId} is already running on this worker`));
    let line: string;
    try {
      line = JSON.stringify({ type: "job", id: msgId, payload: payload ?? {}, caller, ...callTraceFields() });
    } catch (err) {
      return Promise.reject(new CoreError("BAD_REQUEST", `the job payload cannot be sent to the worker: ${unserialisable(err)}`));
    }
    this.#bypass = false;
    this.lastUsed = Date.now();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        this.#noteIdle();
        reject(new CoreError("GATEWAY_TIMEOUT", `job timeout (${Math.round(timeoutMs / 100) / 10}s)`));
      }, timeoutMs);
      this.#pending.set(key, { resolve: () => resolve(), reject, timer });
      if (!this.#writeLine(line)) {
        clearTimeout(timer);
        this.#pending.delete(key);
        reject(new CoreError("BAD_GATEWAY", "worker is not accepting calls (its input is closed)"));
      }
    }).finally(() => {
      this.lastUsed = Date.now();
    });
  }

  /** Resolves once no call is in flight (a retired process is stopped only then), or after `maxMs`. */
  drained(maxMs: number): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxMs);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Sends `shutdown`, lets onShutdown run for up to `graceMs`, then kills the process group. */
  async stop(graceMs: number): Promise<void> {
    if (this.#exited) return;
    this.#stopRequested = true;
    this.state = "stopping";
    this.#write({ type: "shutdown" });
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([this.#exit, grace]);
    this.#killGroup();
    await this.#exit;
  }

  /** Kills at once (Core shutdown past its grace, unresponsive worker). */
  kill(): void {
    this.#killGroup();
  }

  /** SIGKILL to the whole group: the leader and anything it spawned (the group outlives a dead leader). */
  #killGroup(): void {
    this.#killed = true;
    // Once swept after the exit, the group id may belong to an unrelated process later (pids are reused).
    if (this.pid <= 0 || this.#groupSwept) return;
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  #noteIdle(): void {
    if (this.#pending.size > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #log(level: WorkerLogLevel, message: string): void {
    this.#opts.sink.publish(this.appId, { level, message: this.#opts.label ? `${this.#opts.label} ${message}` : message });
  }

  /** Publishes a line the worker printed, keeping the last ones (bounded) until its handshake. */
  #output(level: WorkerLogLevel, line: string): void {
    if (this.#settleHandshake) {
      this.#tail.push(truncate(line, EXIT_TAIL_BYTES));
      while (this.#tail.length > 1 && this.#tail.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) > EXIT_TAIL_BYTES) this.#tail.shift();
    }
    this.#log(level, line);
  }

  /** Queues one message; false when the worker's input is closed (the message is lost). Throws if `msg` is not serialisable. */
  #write(msg: Record<string, unknown>): boolean {
    return this.#writeLine(JSON.stringify(msg));
  }

  #writeLine(line: string): boolean {
    const stdin = this.#child.stdin;
    if (this.#exited || stdin.destroyed || !stdin.writable) return false;
    const ok = stdin.write(`${line}\n`);
    if (ok) return true;
    if (stdin.writableLength > MAX_QUEUED_BYTES) {
      this.#unresponsive(`more than ${MAX_QUEUED_BYTES / (1024 * 1024)} MiB wait for its stdin`);
      return true;
    }
    if (this.#drainTimer) return true;
    this.#drainTimer = setTimeout(() => this.#unresponsive(`its stdin did not drain within ${this.#opts.writeTimeoutMs / 1000}s`), this.#opts.writeTimeoutMs);
    stdin.once("drain", () => {
      clearTimeout(this.#drainTimer);
      this.#drainTimer = undefined;
    });
    return true;
  }

  /** Spec §4.4 IPC write timeout: the worker stopped reading; its calls fail and the crash path restarts it. */
  #unresponsive(why: string): void {
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    if (this.#unresponsiveReported) return;
    this.#unresponsiveReported = true;
    this.#log("system", `worker unresponsive: ${why}; killing it`);
    this.#failPending("worker unresponsive");
    this.#killGroup();
  }

  #failPending(reason: string): void {
    for (const [id, call] of this.#pending) {
      clearTimeout(call.timer);
      this.#pending.delete(id);
      call.reject(new WorkerLostError(reason));
    }
    this.#noteIdle();
  }

  #onLine(line: string): void {
    const msg = parseMessage(line);
    if (!msg) {
      this.#output("stdout", line);
      return;
    }
    switch (msg.type) {
      case "discover":
        if (this.state === "starting") {
          if (typeof msg.protocol === "number" && msg.protocol > 2) this.#log("system", `worker speaks protocol ${msg.protocol}; handled as version 2`);
          if (Array.isArray(msg.methods)) this.methods = msg.methods.filter((m): m is string => typeof m === "string");
          this.state = "running";
          this.#settleHandshake?.();
        }
        return;
      case "rpc_response":
        this.#onRpcResponse(msg);
        return;
      case "job_result":
        this.#onJobResult(msg);
        return;
      case "onstart_complete":
        // The worker's onStart resolved or threw: its bypass ends here, whatever timers onStart left behind.
        this.#bypass = false;
        return;
      case "log": {
        const level = typeof msg.level === "string" && WORKER_LOG_LEVELS.has(msg.level as WorkerLogLevel) ? (msg.level as WorkerLogLevel) : "info";
        this.#output(level, truncate(withRequestId(msg, typeof msg.message === "string" ? msg.message : JSON.stringify(msg.message ?? "")), MAX_LOG_BYTES));
        return;
      }
      case "event":
        this.#log("event", truncate(`${typeof msg.name === "string" ? msg.name : "event"} ${JSON.stringify(msg.data ?? null)}`, MAX_LOG_BYTES));
        return;
      default:
        if (typeof msg.type === "string" && Object.hasOwn(DATA_REQUESTS, msg.type) && (typeof msg.id === "string" || typeof msg.id === "number")) {
          this.#onDataRequest(msg as WorkerRequest);
          return;
        }
        this.#output("stdout", line);
    }
  }

  #onRpcResponse(msg: Record<string, unknown>): void {
    const id = typeof msg.id === "number" ? msg.id : Number(msg.id);
    const call = this.#pending.get(id);
    if (!call) return;
    clearTimeout(call.timer);
    this.#pending.delete(id);
    if (msg.error !== undefined && msg.error !== null) {
      const text = typeof msg.error === "string" ? msg.error : JSON.stringify(msg.error);
      call.reject(new RpcFailedError(text));
    } else {
      call.resolve(msg.result ?? null);
    }
    this.#noteIdle();
  }

  #onJobResult(msg: Record<string, unknown>): void {
    if (typeof msg.id !== "string" && typeof msg.id !== "number") return;
    const key = `job:${String(msg.id)}`;
    const call = this.#pending.get(key);
    if (!call) return;
    clearTimeout(call.timer);
    this.#pending.delete(key);
    if (msg.error !== undefined && msg.error !== null) {
      call.reject(new JobFailedError(typeof msg.error === "string" ? msg.error : JSON.stringify(msg.error)));
    } else {
      call.resolve(undefined);
    }
    this.#noteIdle();
  }

  #onDataRequest(msg: WorkerRequest): void {
    this.#dataInFlight++;
    if (this.#dataInFlight >= MAX_DATA_IN_FLIGHT) this.#child.stdout.pause();
    // A request made while the worker serves a traced call runs in that call's request context (its log lines name it).
    const traced = requestContextOf(msg);
    (traced ? runInRequest(traced, () => this.#opts.session.handle(msg)) : this.#opts.session.handle(msg))
      .catch((err: unknown): WorkerReply => ({ type: DATA_REQUESTS[msg.type]!, id: msg.id, error: err instanceof Error ? err.message : String(err) }))
      .then((reply) => {
        try {
          this.#write(reply);
        } catch (err) {
          this.#write({ type: DATA_REQUESTS[msg.type]!, id: msg.id, error: `the Core's reply cannot be sent to the worker: ${unserialisable(err)}` });
        }
      })
      .finally(() => {
        this.#dataInFlight--;
        if (this.#dataInFlight < MAX_DATA_IN_FLIGHT && this.#child.stdout.isPaused()) this.#child.stdout.resume();
      });
  }

  /** An exit before the handshake, with what the worker printed last: usually the reason, or a missing serve(). */
  #earlyExitText(code: number | null, signal: NodeJS.Signals | null): string {
    const how = signal ? `worker exited on ${signal} before its handshake` : `worker exited with code ${code} before its handshake`;
    const hint = code === 0 ? " (did the entry point call serve()?)" : "";
    const tail = this.#tail.join("\n");
    return tail ? `${how}${hint}${LAST_OUTPUT}${tail}` : `${how}${hint}`;
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#exited = true;
    clearTimeout(this.#drainTimer);
    const requested = this.#stopRequested;
    this.state = requested ? "stopped" : "crashed";
    clearTimeout(this.#bypassTimer);
    this.#bypass = false;
    if (this.#settleHandshake) this.#settleHandshake(new Error(this.#earlyExitText(code, signal)));
    this.#failPending(requested ? "worker stopped" : "worker crashed");
    // Children the worker left in its group die with it.
    this.#killGroup();
    this.#groupSwept = true;
    this.#opts.session.close().catch((err: unknown) => this.#log("system", `closing the worker's data session failed: ${err instanceof Error ? err.message : String(err)}`));
    this.#opts.onExit(this, { code, signal, requested });
  }
}
