import type { WorkerLogEntry, WorkerLogLevel } from "./contracts.ts";
import { BoundedEntries } from "./log-queue.ts";

/**
 * Receives one entry. Returning false says "I am full" (an SSE socket whose write buffer is above its mark):
 * the bus then holds further entries in this subscriber's bounded queue until `resume()`.
 */
export type LogEntryHandler = (entry: WorkerLogEntry) => boolean | void;

export interface LogSubscription {
  /** Stops delivery and releases the queue; safe to call twice. */
  unsubscribe(): void;
  /** After the handler returned false: delivers the drop notice and what the queue holds, then keeps delivering. */
  resume(): void;
}

export const droppedNotice = (n: number): WorkerLogEntry => ({ level: "system", message: `... ${n} messages dropped ...` });

/**
 * One subscriber's bounded queue. While it is paused, new entries wait here; when the queue is full (in entries or
 * in memory) the oldest is dropped and counted, and the count reaches the subscriber as one system line before the next entry it gets.
 */
export class LogSubscriber {
  readonly #queue: BoundedEntries;
  #paused = false;
  #dropped = 0;
  #closed = false;

  constructor(
    private readonly handler: LogEntryHandler,
    capacity: { entries: number; bytes: number },
    private readonly levels: ReadonlySet<WorkerLogLevel> | undefined,
    /** Called once when the handler throws: the subscriber is then unusable. */
    private readonly onFailure: (err: unknown) => void,
  ) {
    this.#queue = new BoundedEntries(capacity.entries, capacity.bytes);
  }

  get queued(): number {
    return this.#queue.length;
  }

  offer(entry: WorkerLogEntry): void {
    if (this.#closed || (this.levels && !this.levels.has(entry.level))) return;
    if (this.#paused || this.#queue.length > 0) {
      this.#dropped += this.#queue.push(entry);
      return;
    }
    this.#deliver(entry);
  }

  resume(): void {
    if (this.#closed) return;
    this.#paused = false;
    if (this.#dropped > 0) {
      const n = this.#dropped;
      this.#dropped = 0;
      this.#deliver(droppedNotice(n));
    }
    while (!this.#paused && !this.#closed && this.#queue.length > 0) this.#deliver(this.#queue.shift()!);
  }

  close(): void {
    this.#closed = true;
    this.#queue.clear();
  }

  #deliver(entry: WorkerLogEntry): void {
    try {
      if (this.handler(entry) === false) this.#paused = true;
    } catch (err) {
      this.close();
      this.onFailure(err);
    }
  }
}
