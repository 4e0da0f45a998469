import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type pg from "pg";
import type { Logger } from "pino";
import { z } from "zod";
import { NotifyListener } from "../db/notify-listener.ts";
import { LOG_LEVELS, type WorkerLogEntry } from "./contracts.ts";
import { droppedNotice } from "./log-subscriber.ts";
import { truncateForJson, truncateUtf8 } from "./log-text.ts";

export const LOG_CHANNEL = "rootcx_worker_logs";

/**
 * PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; what is left is room for the envelope's growth and
 * the MAC in front of it (64 hex digits and a dot).
 */
const PAYLOAD_MAX_BYTES = 7_800;
const MAC_HEX = 64;
/** Payloads sent in one statement (at most ~1 MiB on the wire). */
const PAYLOADS_PER_QUERY = 128;
const WARN_EVERY_MS = 10_000;

/** One NOTIFY: the sending Core, a sequence number (identical payloads in one transaction would be merged), one app's lines. */
const payloadSchema = z.object({
  c: z.string().max(64),
  s: z.number().int(),
  a: z.string().min(1).max(128),
  e: z.array(z.tuple([z.enum(LOG_LEVELS), z.string()])),
});
type Payload = z.infer<typeof payloadSchema>;

interface Pending {
  appId: string;
  entry: WorkerLogEntry;
  bytes: number;
}

export interface LogRelayOptions {
  databaseUrl: string;
  pool: pg.Pool;
  log: Logger;
  /** How long a line waits for others to share its NOTIFY. */
  flushMs: number;
  /** Bytes of messages waiting to be sent; beyond it the oldest are dropped and counted. */
  maxPendingBytes: number;
  /** Hands a line from another Core to this one's subscribers. */
  deliver(appId: string, entry: WorkerLogEntry): void;
}

/**
 * Crosses log lines between Core processes on one database through LISTEN/NOTIFY. Lines wait a few
 * milliseconds in a bounded queue and leave together (several per payload, many payloads per statement),
 * so a burst costs a few round trips instead of one per line and never waits on the database. Each payload
 * carries this Core's random id: its own echo is ignored, since its lines were delivered locally already.
 * Lines sent while another Core's listener is reconnecting are lost to it; logs are a live view, not a record.
 */
export class LogRelay {
  readonly coreId = randomBytes(8).toString("hex");
  readonly #opts: LogRelayOptions;
  readonly #listener: NotifyListener;
  #queue: Pending[] = [];
  #queuedBytes = 0;
  /** Lines dropped per app since the last flush: announced to the other Cores before the app's next lines. */
  readonly #dropped = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #inflight: Promise<void> | undefined;
  #seq = 0;
  /**
   * Signs every payload. NOTIFY needs no privilege, so any database session (a deploy migration runs as its app's
   * own role) could otherwise put lines, even `system` ones, into any app's stream on every Core. Derived from the
   * claims key, which only the Core's own role reads, so every Core on the database shares it.
   */
  #key: Buffer | undefined;
  #stopped = false;
  #lastWarn = 0;

  constructor(opts: LogRelayOptions) {
    this.#opts = opts;
    this.#listener = new NotifyListener(opts.databaseUrl, opts.log, "worker log", { [LOG_CHANNEL]: (p) => this.#receive(p) }, () => undefined);
  }

  async start(): Promise<void> {
    const { rows } = await this.#opts.pool.query<{ key: string }>("SELECT key FROM rootcx_system.claims_key WHERE id = 1");
    if (!rows[0]) throw new Error("the claims key is missing: governance is not initialised");
    this.#key = createHmac("sha256", Buffer.from(rows[0].key, "hex")).update("rootcx worker log relay").digest();
    await this.#listener.start();
  }

  #mac(json: string): string {
    return createHmac("sha256", this.#key!).update(json, "utf8").digest("hex");
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#queue = [];
    this.#queuedBytes = 0;
    await this.#inflight;
    await this.#listener.stop();
  }

  get pending(): number {
    return this.#queue.length;
  }

  send(appId: string, entry: WorkerLogEntry): void {
    if (this.#stopped) return;
    const bytes = Buffer.byteLength(entry.message) + 16;
    this.#queue.push({ appId, entry, bytes });
    this.#queuedBytes += bytes;
    while (this.#queuedBytes > this.#opts.maxPendingBytes && this.#queue.length > 1) {
      const old = this.#queue.shift()!;
      this.#queuedBytes -= old.bytes;
      this.#dropped.set(old.appId, (this.#dropped.get(old.appId) ?? 0) + 1);
    }
    this.#schedule();
  }

  /** One flush at a time keeps the order; lines that queued up behind a flush wait one more short delay, to batch. */
  #schedule(): void {
    if (this.#timer || this.#inflight || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#inflight = this.#flush().finally(() => {
        this.#inflight = undefined;
        if (this.#queue.length > 0) this.#schedule();
      });
    }, this.#opts.flushMs);
    this.#timer.unref();
  }

  async #flush(): Promise<void> {
    const batch: Pending[] = [];
    for (const [appId, n] of this.#dropped) batch.push({ appId, entry: droppedNotice(n), bytes: 0 });
    this.#dropped.clear();
    batch.push(...this.#queue);
    this.#queue = [];
    this.#queuedBytes = 0;
    const payloads = this.#encode(batch);
    for (let i = 0; i < payloads.length && !this.#stopped; i += PAYLOADS_PER_QUERY) {
      try {
        // One statement: its notifications are delivered together at commit, in the order they were sent.
        await this.#opts.pool.query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", [LOG_CHANNEL, payloads.slice(i, i + PAYLOADS_PER_QUERY)]);
      } catch (err) {
        this.#warn(err);
      }
    }
  }

  /** Consecutive lines of one app share a payload up to the size limit; a line too big alone is truncated. */
  #encode(batch: Pending[]): string[] {
    const out: string[] = [];
    let current: Payload | undefined;
    let size = 0;
    const close = () => {
      if (current) {
        const json = JSON.stringify(current);
        out.push(`${this.#mac(json)}.${json}`);
      }
      current = undefined;
    };
    for (const { appId, entry } of batch) {
      if (current && current.a !== appId) close();
      // A line is `["level","message"]` plus the comma before it (counted for the first line too: one byte spare).
      const lineBytes = (message: string) => Buffer.byteLength(JSON.stringify([entry.level, message])) + 1;
      let message = entry.message;
      if (current && size + lineBytes(message) > PAYLOAD_MAX_BYTES) close();
      if (!current) {
        current = { c: this.coreId, s: this.#seq++, a: appId, e: [] };
        size = Buffer.byteLength(JSON.stringify({ ...current, s: Number.MAX_SAFE_INTEGER }));
        const room = PAYLOAD_MAX_BYTES - size - (lineBytes("") - 2); // the empty message's two quotes are the string's own
        if (Buffer.byteLength(JSON.stringify(message)) > room) message = truncateForJson(message, room);
      }
      current.e.push([entry.level, message]);
      size += lineBytes(message);
    }
    close();
    return out;
  }

  #receive(raw: string): void {
    // Unsigned or wrongly signed: not from a Core (a forged NOTIFY), dropped without a word.
    if (!this.#key || raw.length <= MAC_HEX + 1 || raw[MAC_HEX] !== ".") return;
    const json = raw.slice(MAC_HEX + 1);
    const given = Buffer.from(raw.slice(0, MAC_HEX), "hex");
    const expected = Buffer.from(this.#mac(json), "hex");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return;
    let parsed: Payload;
    try {
      const r = payloadSchema.safeParse(JSON.parse(json));
      if (!r.success) return;
      parsed = r.data;
    } catch {
      return;
    }
    if (parsed.c === this.coreId) return;
    for (const [level, message] of parsed.e) this.#opts.deliver(parsed.a, { level, message: truncateUtf8(message) });
  }

  #warn(err: unknown): void {
    const now = Date.now();
    if (now - this.#lastWarn < WARN_EVERY_MS) return;
    this.#lastWarn = now;
    this.#opts.log.warn({ err: (err as Error).message }, "worker log lines could not be sent to the other Core processes");
  }
}
