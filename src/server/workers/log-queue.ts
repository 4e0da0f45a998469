import type { WorkerLogEntry } from "./contracts.ts";

/** What an entry costs in memory, about: its string as UTF-16 plus the object around it. */
const cost = (e: WorkerLogEntry) => 2 * e.message.length + 64;

/**
 * Log entries bounded both in number and in memory, oldest first: pushing past either bound drops from the
 * front. Replay rings and subscriber queues are this; at a few hundred entries `shift` costs nothing worth a ring.
 */
export class BoundedEntries {
  readonly #items: WorkerLogEntry[] = [];
  #bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.#items.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Adds at the end; answers how many entries were dropped from the front to make room. */
  push(e: WorkerLogEntry): number {
    if (this.maxEntries <= 0) return 1;
    this.#items.push(e);
    this.#bytes += cost(e);
    let dropped = 0;
    while (this.#items.length > 1 && (this.#items.length > this.maxEntries || this.#bytes > this.maxBytes)) {
      this.#bytes -= cost(this.#items.shift()!);
      dropped++;
    }
    return dropped;
  }

  shift(): WorkerLogEntry | undefined {
    const e = this.#items.shift();
    if (e) this.#bytes -= cost(e);
    return e;
  }

  list(): WorkerLogEntry[] {
    return [...this.#items];
  }

  clear(): void {
    this.#items.length = 0;
    this.#bytes = 0;
  }
}
