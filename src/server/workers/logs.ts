import type pg from "pg";
import type { Logger } from "pino";
import { LOG_LEVELS, type LogSink, type WorkerLogEntry, type WorkerLogLevel } from "./contracts.ts";
import { BoundedEntries } from "./log-queue.ts";
import { LogRelay } from "./log-relay.ts";
import { LogSubscriber, type LogEntryHandler, type LogSubscription } from "./log-subscriber.ts";
import { truncateUtf8 } from "./log-text.ts";

export interface LogBusLimits {
  /** Lines kept per app and replayed to a new subscriber. */
  replay: number;
  /** Memory those lines may take per app (about: UTF-16 strings). */
  replayBytes: number;
  /** Entries a subscriber that cannot keep up may have waiting before the oldest are dropped (spec §2.12: 256). */
  subscriberQueue: number;
  /** Memory those entries may take per subscriber. */
  subscriberQueueBytes: number;
  /** Interval of the SSE keep-alive comment (spec §2.12: 15 s). */
  keepAliveMs: number;
  /** How often an open stream checks that its reader still has a session and the permission. */
  accessRecheckMs: number;
  /** Open subscriptions on this Core; each may hold a full queue, so their number is bounded too. */
  maxSubscribers: number;
  /** Apps whose replay lines are kept; beyond it the app seen longest ago loses them. */
  maxApps: number;
  /** How long a line waits for others to share its NOTIFY to the other Core processes. */
  notifyFlushMs: number;
  /** Bytes of lines waiting for the other Core processes before the oldest are dropped. */
  notifyPendingBytes: number;
}

export const DEFAULT_LOG_LIMITS: LogBusLimits = {
  replay: 500,
  replayBytes: 1024 * 1024,
  subscriberQueue: 256,
  subscriberQueueBytes: 1024 * 1024,
  keepAliveMs: 15_000,
  accessRecheckMs: 10_000,
  maxSubscribers: 256,
  maxApps: 256,
  notifyFlushMs: 5,
  notifyPendingBytes: 1024 * 1024,
};

export interface LogBusOptions {
  databaseUrl: string;
  pool: pg.Pool;
  log: Logger;
  limits?: Partial<LogBusLimits>;
}

export interface SubscribeOptions {
  /** Whether the app's last lines are delivered first (default true). */
  replay?: boolean;
  /** Only these levels; every level when absent. */
  levels?: readonly WorkerLogLevel[];
  /** Called when the bus stops (Core shutdown), so the stream can end. */
  onClose?: () => void;
}

const KNOWN_LEVELS: ReadonlySet<string> = new Set(LOG_LEVELS);

interface Registered {
  subscriber: LogSubscriber;
  onClose: (() => void) | undefined;
}

/**
 * Every worker's output, fanned out to the subscribers of its app on every Core process (spec §2.12). The
 * supervisor publishes each line; a subscriber (the SSE route) gets the app's last lines, then the live ones,
 * in order per app and per publishing Core. Nothing grows without bound: a replay ring per app and a queue per
 * subscriber (each bounded in entries and in memory), a bounded number of both, a bounded send queue to the
 * other Cores, and messages capped at 8 KiB. Worst case with the defaults: 256 MiB of rings, 256 MiB of queues.
 */
export class LogBus implements LogSink {
  readonly limits: LogBusLimits;
  readonly #log: Logger;
  readonly #relay: LogRelay;
  readonly #rings = new Map<string, BoundedEntries>();
  readonly #subscribers = new Map<string, Set<Registered>>();
  #stopped = false;
  #lastFailure = 0;

  constructor(opts: LogBusOptions) {
    this.limits = { ...DEFAULT_LOG_LIMITS, ...opts.limits };
    this.#log = opts.log;
    this.#relay = new LogRelay({
      databaseUrl: opts.databaseUrl,
      pool: opts.pool,
      log: opts.log,
      flushMs: this.limits.notifyFlushMs,
      maxPendingBytes: this.limits.notifyPendingBytes,
      deliver: (appId, entry) => this.#fanOut(appId, entry),
    });
  }

  /** This Core process's id in the payloads it sends to the others. */
  get coreId(): string {
    return this.#relay.coreId;
  }

  start(): Promise<void> {
    return this.#relay.start();
  }

  /** Ends every subscription (their streams close) and stops crossing lines between Cores. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const all = [...this.#subscribers.values()].flatMap((s) => [...s]);
    this.#subscribers.clear();
    for (const r of all) {
      r.subscriber.close();
      r.onClose?.();
    }
    await this.#relay.stop();
  }

  /** Never throws and never waits: it runs on the worker's output path. */
  publish(appId: string, entry: WorkerLogEntry): void {
    if (this.#stopped) return;
    try {
      const clean: WorkerLogEntry = {
        level: KNOWN_LEVELS.has(entry.level) ? entry.level : "info",
        message: truncateUtf8(typeof entry.message === "string" ? entry.message : String(entry.message)),
      };
      this.#fanOut(appId, clean);
      this.#relay.send(appId, clean);
    } catch (err) {
      this.#failure(err);
    }
  }

  subscribe(appId: string, handler: LogEntryHandler, opts: SubscribeOptions = {}): LogSubscription {
    const levels = opts.levels ? new Set(opts.levels) : undefined;
    let registered: Registered | undefined;
    const unsubscribe = () => {
      if (!registered) return;
      registered.subscriber.close();
      const set = this.#subscribers.get(appId);
      set?.delete(registered);
      if (set?.size === 0) this.#subscribers.delete(appId);
      registered = undefined;
    };
    const capacity = { entries: this.limits.subscriberQueue, bytes: this.limits.subscriberQueueBytes };
    const subscriber = new LogSubscriber(handler, capacity, levels, (err) => {
      this.#failure(err);
      unsubscribe();
    });
    if (this.#stopped) {
      opts.onClose?.();
      return { unsubscribe: () => undefined, resume: () => undefined };
    }
    registered = { subscriber, onClose: opts.onClose };
    let set = this.#subscribers.get(appId);
    if (!set) this.#subscribers.set(appId, (set = new Set()));
    set.add(registered);
    if (opts.replay ?? true) for (const e of this.#rings.get(appId)?.list() ?? []) subscriber.offer(e);
    return { unsubscribe, resume: () => subscriber.resume() };
  }

  /**
   * The app was uninstalled: its replay goes, so an app installed again under the same id does not show the old
   * one's lines. (Other Cores keep theirs until their ring turns over; the lines were already visible there.)
   */
  forget(appId: string): void {
    this.#rings.delete(appId);
  }

  /** Whether a new subscription would pass `maxSubscribers` (the route refuses it before opening a stream). */
  get full(): boolean {
    let n = 0;
    for (const set of this.#subscribers.values()) n += set.size;
    return n >= this.limits.maxSubscribers;
  }

  /** What the bus holds right now (tests read it to see that it stays bounded). */
  stats(): { subscribers: number; queued: number; apps: number; pendingNotify: number } {
    let subscribers = 0;
    let queued = 0;
    for (const set of this.#subscribers.values()) {
      for (const r of set) {
        subscribers++;
        queued += r.subscriber.queued;
      }
    }
    return { subscribers, queued, apps: this.#rings.size, pendingNotify: this.#relay.pending };
  }

  #fanOut(appId: string, entry: WorkerLogEntry): void {
    let ring = this.#rings.get(appId);
    if (!ring) {
      if (this.#rings.size >= this.limits.maxApps) this.#rings.delete(this.#rings.keys().next().value!);
      this.#rings.set(appId, (ring = new BoundedEntries(this.limits.replay, this.limits.replayBytes)));
    }
    ring.push(entry); // what falls out of the replay ring is simply no longer replayed
    const set = this.#subscribers.get(appId);
    if (set) for (const r of set) r.subscriber.offer(entry);
  }

  #failure(err: unknown): void {
    const now = Date.now();
    if (now - this.#lastFailure < 10_000) return;
    this.#lastFailure = now;
    this.#log.warn({ err }, "a worker log line could not be delivered");
  }
}
