import type { Logger } from "pino";
import { CoreError } from "../errors.ts";
import { appDir, entryPoint } from "./app-files.ts";
import type { LogSink, RpcCaller, WorkerCensusEntry, WorkerDataContext, WorkerDetail, WorkerState, WorkerSupervisorApi } from "./contracts.ts";
import { identityKey, type WorkerIdentity } from "./identity.ts";
import type { WorkerPidFile } from "./orphans.ts";
import { forgetProcStats, procStats } from "./proc-stats.ts";
import { spawnWorker } from "./spawn.ts";
import { killUids, killUidsNow } from "./uid-procs.ts";
import { workerIdsOf } from "./worker-uids.ts";
import { WorkerProcess, withoutOutput, type DataSession, type ExitInfo } from "./worker-process.ts";

/** Spec §4.4: 5 crashes within 60 s is a crash loop; restarts wait 0 s, 2 s, 4 s, 8 s… */
export const MAX_CRASHES = 5;
export const CRASH_WINDOW_MS = 60_000;
export const backoffMs = (attempt: number) => (attempt <= 1 ? 0 : 2000 * 2 ** (attempt - 2));

export interface SupervisorOptions {
  dataDir: string;
  /** The Core's own URL (ROOTCX_RUNTIME_URL of every worker), known once the HTTP server listens. */
  runtimeUrl(): string;
  bunPath: string;
  rpcTimeoutMs: number;
  /** A user or anonymous worker unused this long is stopped. */
  idleMs: number;
  /** User workers kept at most (the least recently used idle ones stop first). */
  maxUserWorkers: number;
  writeTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** How long onShutdown may run before the process group is killed. */
  stopGraceMs: number;
  sink: LogSink;
  log: Logger;
  pidFile: WorkerPidFile;
  /** What `discover` carries: the app's secrets (platform overridden by app) and its stored manifest. */
  credentials(appId: string): Promise<Record<string, string>>;
  manifest(appId: string): Promise<unknown>;
  /** The caller an action runs with on a worker of this identity (the user's live permissions). */
  callerOf(identity: WorkerIdentity): Promise<RpcCaller | null>;
  openSession(ctx: WorkerDataContext): DataSession;
  /** An administrator's stop, persisted and shared by every Core process (stop-flags.ts). */
  stops: AdminStops;
}

export interface AdminStops {
  isStopped(appId: string): Promise<boolean>;
  set(appId: string, by: string | null): Promise<void>;
  clear(appId: string): Promise<void>;
}

/** The uid an app's workers run as, when the Core runs as root; otherwise they run as the Core's own user. */
const sweepsByUid = () => process.getuid?.() === 0;

/** One (app, identity): its current process and the restart bookkeeping that outlives each process. */
interface Slot {
  appId: string;
  identity: WorkerIdentity;
  key: string;
  proc: WorkerProcess | undefined;
  spawning: Promise<WorkerProcess> | undefined;
  state: WorkerState;
  restarts: number;
  crashes: number[];
  backoff: NodeJS.Timeout | undefined;
}

const STATE_RANK: Record<WorkerState, number> = { running: 5, starting: 4, stopping: 3, crashed: 2, stopped: 1 };

export const identityLabel = (id: WorkerIdentity) => (id.kind === "user" ? `user:${id.email}` : id.kind);

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Spawns and supervises one Bun process per (app, identity) (spec §4 "Principals"): the lifecycle worker is
 * restarted after a crash with backoff until a crash loop; user and anonymous workers start on their first call,
 * stop when idle, and are simply respawned by the next call after a crash.
 */
export class WorkerSupervisor implements WorkerSupervisorApi {
  readonly #apps = new Map<string, Map<string, Slot>>();
  /** Lifecycle operations (start, stop, restart) of one app run one after another. */
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #reaper: NodeJS.Timeout;
  #closing = false;

  constructor(private readonly opts: SupervisorOptions) {
    this.#reaper = setInterval(() => this.#reapIdle(), Math.max(250, Math.min(opts.idleMs / 2, 30_000)));
    this.#reaper.unref();
  }

  // ── WorkerSupervisorApi ──────────────────────────────────────────────────────────────────────────────

  startApp(appId: string): Promise<void> {
    return this.#serial(appId, async () => {
      this.#requireBackend(appId);
      // Boot and a log reader start the app; an administrator's stop holds against both (adminStart lifts it).
      if (await this.opts.stops.isStopped(appId)) {
        // Listed as stopped (GET /workers, the Studio), not absent, after a Core restart.
        this.#slot(appId, { kind: "system" });
        return;
      }
      const slot = this.#slot(appId, { kind: "system" });
      if (slot.proc?.accepting) return;
      // An explicit start clears a crash loop (spec §4.4 lets a new request respawn; so does start here).
      slot.crashes = [];
      await this.#ensure(slot);
    });
  }

  stopApp(appId: string): Promise<void> {
    return this.#serial(appId, async () => {
      const slots = this.#apps.get(appId);
      if (slots) {
        await Promise.all([...slots.values()].map((slot) => this.#stopSlot(slot)));
        for (const [key, slot] of slots) if (slot.identity.kind !== "system") slots.delete(key);
        if (slots.size === 0) this.#apps.delete(appId);
      }
      // What the workers spawned outside their process group (detached children) goes too.
      await this.#sweepUid(appId);
    });
  }

  async adminStop(appId: string, by: string | null): Promise<void> {
    // Recorded first: a call arriving while the processes stop must not respawn them.
    await this.opts.stops.set(appId, by);
    await this.stopApp(appId);
  }

  async adminStart(appId: string): Promise<void> {
    this.#requireBackend(appId);
    await this.opts.stops.clear(appId);
    await this.startApp(appId);
  }

  /** Deploy, rollback and an administrator's restart run the app again: any stop ends with them. */
  async restartApp(appId: string): Promise<void> {
    await this.opts.stops.clear(appId);
    return this.#serial(appId, () => this.#restart(appId, { startLifecycle: true }));
  }

  appState(appId: string): WorkerState | undefined {
    this.#prune();
    const slots = this.#apps.get(appId);
    if (!slots || slots.size === 0) return undefined;
    return [...slots.values()].map((s) => s.state).reduce((best, s) => (STATE_RANK[s] > STATE_RANK[best] ? s : best));
  }

  async rpc(appId: string, identity: WorkerIdentity, method: string, params: unknown, caller: RpcCaller | null, opts?: { timeoutMs?: number }): Promise<unknown> {
    const proc = await this.#dispatchable(appId, identity);
    const result = proc.call(method, params, caller, opts?.timeoutMs ?? this.opts.rpcTimeoutMs);
    if (identity.kind === "user") this.#capUserWorkers();
    return result;
  }

  async job(appId: string, identity: WorkerIdentity, msgId: string, payload: unknown, caller: RpcCaller | null, opts?: { timeoutMs?: number }): Promise<void> {
    const proc = await this.#dispatchable(appId, identity);
    const result = proc.job(msgId, payload, caller, opts?.timeoutMs ?? this.opts.rpcTimeoutMs);
    if (identity.kind === "user") this.#capUserWorkers();
    return result;
  }

  /** The accepting process of (app, identity) a call or job goes to, spawned if needed; refused when the app is stopped. */
  async #dispatchable(appId: string, identity: WorkerIdentity): Promise<WorkerProcess> {
    if (this.#closing) throw new CoreError("NOT_READY", "the Core is shutting down");
    this.#requireBackend(appId);
    if (await this.opts.stops.isStopped(appId)) {
      // Stopped on another Core process: this one's workers of the app stop too.
      if (this.#apps.has(appId)) void this.stopApp(appId).catch((err: unknown) => this.opts.log.warn({ err, appId }, "stopping an app stopped elsewhere failed"));
      throw new CoreError("NOT_READY", `app ${appId}'s workers are stopped by an administrator`);
    }
    const ensure = () => this.#ensure(this.#slot(appId, identity)).catch((err: unknown) => Promise.reject(withoutOutput(err)));
    let proc = await ensure();
    // A restart may have retired the process while this call waited for it: the call goes to its successor.
    for (let tries = 0; !proc.accepting && tries < 3; tries++) proc = await ensure();
    return proc;
  }

  // ── listing ──────────────────────────────────────────────────────────────────────────────────────────

  /** Every app that has a worker slot, with its state (running winning). */
  states(): Record<string, WorkerState> {
    this.#prune();
    const out: Record<string, WorkerState> = {};
    for (const appId of [...this.#apps.keys()].sort()) {
      const state = this.appState(appId);
      if (state) out[appId] = state;
    }
    return out;
  }

  details(): Record<string, WorkerDetail[]> {
    this.#prune();
    const out: Record<string, WorkerDetail[]> = {};
    const now = Date.now();
    for (const appId of [...this.#apps.keys()].sort()) {
      out[appId] = [...this.#apps.get(appId)!.values()].map((slot) => {
        const proc = slot.proc;
        const live = proc && slot.state !== "stopped" && slot.state !== "crashed";
        const stats = live ? procStats(proc.pid, proc.startedAt) : { rssBytes: null, cpuPercent: null };
        return {
          identity: identityLabel(slot.identity),
          state: slot.state,
          pid: live ? proc.pid : null,
          startedAt: live ? proc.startedAt.toISOString() : null,
          uptimeMs: live ? now - proc.startedAt.getTime() : null,
          restarts: slot.restarts,
          ...stats,
        };
      });
    }
    return out;
  }

  /** Every worker slot's app, identity kind, state and restarts, without reading /proc: what /metrics samples. */
  census(): WorkerCensusEntry[] {
    const out: WorkerCensusEntry[] = [];
    for (const [appId, slots] of this.#apps) for (const slot of slots.values()) out.push({ appId, kind: slot.identity.kind, state: slot.state, restarts: slot.restarts });
    return out;
  }

  /** Restarts every app's workers (a platform secret changed: they receive secrets at start). */
  async restartAll(): Promise<number> {
    const counts = await Promise.all([...this.#apps.keys()].map((appId) => this.restartAppWorkers(appId)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Restarts one app's workers if it has any running; says how many processes were replaced. */
  async restartAppWorkers(appId: string): Promise<number> {
    const slots = this.#apps.get(appId);
    const live = slots ? [...slots.values()].filter((s) => s.proc && (s.state === "running" || s.state === "starting")).length : 0;
    if (live === 0) return 0;
    // A lifecycle worker an admin stopped stays stopped: only the processes that hold the old secrets are replaced.
    const lifecycle = slots?.get(identityKey({ kind: "system" }));
    const startLifecycle = lifecycle?.state === "running" || lifecycle?.state === "starting";
    try {
      await this.#serial(appId, () => this.#restart(appId, { startLifecycle }));
    } catch (err) {
      this.opts.log.warn({ err, appId }, "restarting the app's workers failed");
    }
    return live;
  }

  /** Core shutdown: no new spawns, every process gets `shutdown`, then its group is killed after the grace. */
  async shutdown(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#reaper);
    const all = [...this.#apps.values()].flatMap((slots) => [...slots.values()]);
    await Promise.all(all.map((slot) => this.#stopSlot(slot)));
    // Every app of this data directory at once (one /proc scan per round, not one per app).
    const uids = new Set(this.#appUids().values());
    const left = await killUids(uids);
    if (left > 0) this.opts.log.warn({ left }, "processes of this Core's app uids survived the shutdown sweep");
  }

  /** Last resort on process exit (the event loop is gone): SIGKILL every group and every app uid synchronously. */
  killAllNow(): void {
    for (const slots of this.#apps.values()) for (const slot of slots.values()) slot.proc?.kill();
    killUidsNow(new Set(this.#appUids().values()));
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────────────────

  /** This data directory's apps and their worker uids (none when the Core is not root: workers share its uid). */
  #appUids(): Map<string, number> {
    if (!sweepsByUid()) return new Map();
    try {
      return workerIdsOf(this.opts.dataDir);
    } catch (err) {
      this.opts.log.warn({ err }, "could not read the worker uid registry");
      return new Map();
    }
  }

  /**
   * Kills every process running as the app's uid, detached children included. Without root the workers run as
   * the Core's own user, so only their process groups can be killed (a child that left its group survives).
   */
  async #sweepUid(appId: string): Promise<void> {
    const uid = this.#appUids().get(appId);
    if (uid === undefined) return;
    const left = await killUids(new Set([uid]));
    if (left > 0) this.#system(appId, `${left} process(es) of the app's uid ${uid} survived being killed`);
  }

  #serial<T>(appId: string, op: () => Promise<T>): Promise<T> {
    const prev = this.#queues.get(appId) ?? Promise.resolve();
    const next = prev.then(op, op);
    const settled = next.catch(() => undefined);
    this.#queues.set(appId, settled);
    void settled.then(() => {
      if (this.#queues.get(appId) === settled) this.#queues.delete(appId);
    });
    return next;
  }

  /** An app whose backend is gone (uninstalled, deployed without one) and whose processes all ended is forgotten. */
  #prune(): void {
    for (const [appId, slots] of this.#apps) {
      const ended = [...slots.values()].every((s) => (s.state === "stopped" || s.state === "crashed") && !s.spawning);
      if (ended && !entryPoint(appDir(this.opts.dataDir, appId))) this.#apps.delete(appId);
    }
  }

  /**
   * Whether the app has a deployed backend. A live process answers without touching the disk (this runs on every
   * RPC): uninstall and a deploy that removes the backend stop the app's processes before they answer false.
   */
  hasBackend(appId: string): boolean {
    for (const slot of this.#apps.get(appId)?.values() ?? []) if (slot.proc?.accepting) return true;
    return entryPoint(appDir(this.opts.dataDir, appId)) !== undefined;
  }

  #requireBackend(appId: string): void {
    if (!this.hasBackend(appId)) throw new CoreError("NOT_FOUND", `app ${appId} has no backend`);
  }

  #slot(appId: string, identity: WorkerIdentity): Slot {
    let slots = this.#apps.get(appId);
    if (!slots) this.#apps.set(appId, (slots = new Map()));
    const key = identityKey(identity);
    let slot = slots.get(key);
    if (!slot) {
      slot = { appId, identity, key, proc: undefined, spawning: undefined, state: "stopped", restarts: 0, crashes: [], backoff: undefined };
      slots.set(key, slot);
    }
    return slot;
  }

  /** The slot's usable process, spawning one (once, whoever asks concurrently) when there is none. */
  #ensure(slot: Slot): Promise<WorkerProcess> {
    if (slot.proc?.accepting) return Promise.resolve(slot.proc);
    if (slot.spawning) return slot.spawning;
    if (this.#closing) return Promise.reject(new CoreError("NOT_READY", "the Core is shutting down"));
    clearTimeout(slot.backoff);
    slot.backoff = undefined;
    const spawning = (async () => {
      const { proc, discover } = await this.#launch(slot);
      slot.proc = proc;
      slot.state = "starting";
      await this.#handshake(proc, discover);
      if (slot.proc === proc) slot.state = "running";
      return proc;
    })().finally(() => {
      if (slot.spawning === spawning) slot.spawning = undefined;
    });
    slot.spawning = spawning;
    return spawning;
  }

  /** Spawns a process for the slot without installing it (a zero-downtime restart installs it after its handshake). */
  async #launch(slot: Slot): Promise<{ proc: WorkerProcess; discover: Record<string, unknown> }> {
    const { appId, identity } = slot;
    const [credentials, manifest] = await Promise.all([this.opts.credentials(appId), this.opts.manifest(appId)]);
    if (this.#closing) throw new CoreError("NOT_READY", "the Core is shutting down");
    let proc: WorkerProcess | undefined;
    const ctx: WorkerDataContext = {
      appId,
      identity,
      bypassActive: () => proc?.bypassActive() ?? false,
      callAction: async (name, input) => this.rpc(appId, identity, name, input, await this.opts.callerOf(identity)),
    };
    let child;
    try {
      child = spawnWorker({ dataDir: this.opts.dataDir, appId, bunPath: this.opts.bunPath, runtimeUrl: this.opts.runtimeUrl() });
    } catch (err) {
      this.#system(appId, `worker could not be spawned: ${errorText(err)}`);
      throw new CoreError("BAD_GATEWAY", `worker could not be spawned: ${errorText(err)}`, { cause: err });
    }
    proc = new WorkerProcess({
      appId,
      identity,
      label: identity.kind === "system" ? "" : `[${identityLabel(identity)}]`,
      child,
      sink: this.opts.sink,
      session: this.opts.openSession(ctx),
      writeTimeoutMs: this.opts.writeTimeoutMs,
      handshakeTimeoutMs: this.opts.handshakeTimeoutMs,
      onExit: (p, info) => this.#onExit(slot, p, info),
    });
    if (proc.pid > 0) this.opts.pidFile.add(proc.pid, appId);
    this.#system(appId, `worker started (${identityLabel(identity)}, pid ${proc.pid})`);
    const discover: Record<string, unknown> = { app_id: appId, runtime_url: this.opts.runtimeUrl() };
    if (Object.keys(credentials).length > 0) discover.credentials = credentials;
    if (identity.kind === "system") discover.run_onstart = true;
    if (manifest !== undefined && manifest !== null) discover.manifest = manifest;
    return { proc, discover };
  }

  /** Sends discover and waits for the answer; a process that exits first is reported (the crash path follows). */
  async #handshake(proc: WorkerProcess, discover: Record<string, unknown>): Promise<void> {
    try {
      await proc.handshake(discover);
    } catch (err) {
      proc.kill();
      this.#system(proc.appId, `worker failed to start: ${errorText(err)}`);
      throw new CoreError("BAD_GATEWAY", `worker failed to start: ${errorText(err)}`, { cause: err });
    }
  }

  async #restart(appId: string, opts: { startLifecycle: boolean }): Promise<void> {
    const slots = this.#apps.get(appId);
    if (!entryPoint(appDir(this.opts.dataDir, appId))) {
      // Deployed without a backend (or it was removed): nothing may keep running the old code.
      if (slots) await Promise.all([...slots.values()].map((slot) => this.#stopSlot(slot)));
      this.#apps.delete(appId);
      return;
    }
    // User and anonymous workers are replaced lazily: taken out of the registry (new calls spawn fresh ones),
    // they finish what they are running and stop.
    for (const [key, slot] of slots ?? []) {
      if (slot.identity.kind === "system") continue;
      slots!.delete(key);
      clearTimeout(slot.backoff);
      if (slot.proc) void this.#retire(slot.proc);
    }
    if (!opts.startLifecycle) return;
    const slot = this.#slot(appId, { kind: "system" });
    slot.crashes = [];
    const old = slot.proc;
    if (!old?.accepting) {
      if (old) await old.stop(this.opts.stopGraceMs);
      await this.#ensure(slot);
      return;
    }
    const { proc: fresh, discover } = await this.#launch(slot);
    try {
      await this.#handshake(fresh, discover);
    } catch (err) {
      this.#system(appId, `restart failed: the new worker did not complete its handshake (${errorText(err)}); the previous worker keeps running`);
      throw err;
    }
    slot.proc = fresh;
    slot.state = "running";
    slot.restarts++;
    this.#system(appId, "worker replaced by a new one (zero-downtime restart)");
    void this.#retire(old);
  }

  /** A replaced process: no new calls; its in-flight ones finish (up to the RPC timeout), then it stops. */
  async #retire(proc: WorkerProcess): Promise<void> {
    proc.retired = true;
    await proc.drained(this.opts.rpcTimeoutMs);
    await proc.stop(this.opts.stopGraceMs);
  }

  async #stopSlot(slot: Slot): Promise<void> {
    clearTimeout(slot.backoff);
    slot.backoff = undefined;
    const spawning = slot.spawning;
    if (spawning) {
      // A process still in its handshake is stopped now rather than waited for (its handshake then fails at once).
      if (slot.proc && slot.state === "starting") await slot.proc.stop(this.opts.stopGraceMs);
      await spawning.catch(() => undefined);
    }
    const proc = slot.proc;
    if (!proc || slot.state === "stopped" || slot.state === "crashed") {
      slot.state = slot.state === "crashed" ? "crashed" : "stopped";
      return;
    }
    slot.state = "stopping";
    await proc.stop(this.opts.stopGraceMs);
    slot.state = "stopped";
  }

  #onExit(slot: Slot, proc: WorkerProcess, info: ExitInfo): void {
    this.opts.pidFile.remove(proc.pid);
    forgetProcStats(proc.pid);
    const how = info.signal ? `signal ${info.signal}` : `exit code ${info.code}`;
    const who = slot.identity.kind === "system" ? "" : ` (${identityLabel(slot.identity)})`;
    if (info.requested) {
      this.#system(slot.appId, `worker stopped${who}`);
      if (slot.proc === proc) slot.state = "stopped";
      return;
    }
    this.#system(slot.appId, `worker crashed${who} (${how})`);
    // A process that was replaced, or a replacement that never got installed, leaves the slot as it is.
    if (slot.proc !== proc) return;
    slot.state = "crashed";
    if (this.#closing) return;
    if (slot.identity.kind !== "system") {
      // Respawned by the next call for this identity (spec §4 "Principals").
      const slots = this.#apps.get(slot.appId);
      if (slots?.get(slot.key) === slot) slots.delete(slot.key);
      return;
    }
    const now = Date.now();
    slot.crashes = [...slot.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (slot.crashes.length >= MAX_CRASHES) {
      this.#system(slot.appId, `crash loop: ${slot.crashes.length} crashes within ${CRASH_WINDOW_MS / 1000}s; not restarting until the app is started again or called`);
      slot.crashes = [];
      return;
    }
    const attempt = slot.crashes.length;
    const delay = backoffMs(attempt);
    this.#system(slot.appId, `restarting worker (attempt ${attempt}${delay ? `, in ${delay / 1000}s` : ""})`);
    slot.state = "starting";
    slot.backoff = setTimeout(() => {
      slot.backoff = undefined;
      if (slot.proc !== proc || this.#closing) return;
      slot.restarts++;
      this.#ensure(slot).catch((err: unknown) => this.opts.log.debug({ err, appId: slot.appId }, "worker restart failed"));
    }, delay);
  }

  #reapIdle(): void {
    const now = Date.now();
    for (const [appId, slots] of this.#apps) {
      for (const [key, slot] of slots) {
        const proc = slot.proc;
        if (slot.identity.kind === "system" || !proc?.accepting || proc.inFlight > 0) continue;
        if (now - proc.lastUsed < this.opts.idleMs) continue;
        slots.delete(key);
        this.#system(appId, `stopping idle worker (${identityLabel(slot.identity)})`);
        void this.#stopSlot(slot);
      }
    }
  }

  /** Beyond the cap, the least recently used idle user workers stop. */
  #capUserWorkers(): void {
    const users: Slot[] = [];
    for (const slots of this.#apps.values()) for (const s of slots.values()) if (s.identity.kind === "user" && s.proc) users.push(s);
    let excess = users.length - this.opts.maxUserWorkers;
    if (excess <= 0) return;
    users.sort((a, b) => (a.proc?.lastUsed ?? 0) - (b.proc?.lastUsed ?? 0));
    for (const slot of users) {
      if (excess <= 0) break;
      if (!slot.proc || slot.proc.inFlight > 0) continue;
      this.#apps.get(slot.appId)?.delete(slot.key);
      this.#system(slot.appId, `stopping worker (${identityLabel(slot.identity)}): more than ${this.opts.maxUserWorkers} user workers`);
      void this.#stopSlot(slot);
      excess--;
    }
  }

  #system(appId: string, message: string): void {
    this.opts.sink.publish(appId, { level: "system", message });
  }
}
