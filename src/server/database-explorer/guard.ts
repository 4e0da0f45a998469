import type pg from "pg";
import type { Duplex } from "node:stream";

/**
 * Why the guard closed the connection: the result rows passed the byte budget, or one message that is not a
 * row (an error or notice that quotes a huge value, say) is itself over it.
 */
export type GuardTrip = { kind: "bytes" } | { kind: "message"; type: string; bytes: number };

/**
 * Watches the PostgreSQL wire protocol under a pg client and closes the connection before the driver would
 * decode more than `maxBytes`. The driver turns each message into JavaScript strings only once the whole
 * message has arrived, and a string cannot exceed ~512 MiB in V8: a 540 MB cell or error message makes that
 * decode throw inside a socket callback, which ends the process. Counting at the frame level, before the
 * driver sees the bytes, is the only place where such a message can be refused without being read.
 *
 * Attach it only while the client is idle (between ReadyForQuery and the next query): frames are counted from
 * the first byte it sees.
 */
export class MessageSizeGuard {
  #header = Buffer.alloc(5);
  #headerFill = 0;
  #remaining = 0;
  #rowBytes = 0;
  #rowsAdmitted = 0;
  #trip: GuardTrip | undefined;
  readonly #stream: Duplex;
  readonly #onData = (chunk: Buffer) => this.#inspect(chunk);

  constructor(client: pg.PoolClient, readonly maxBytes: number) {
    this.#stream = streamOf(client);
    // Before the driver's own listener, so the connection is closed before it buffers the oversized frame.
    this.#stream.prependListener("data", this.#onData);
  }

  get trip(): GuardTrip | undefined {
    return this.#trip;
  }

  /**
   * Rows that arrived whole within the budget since the last reset. The driver may still decode a small row
   * that crossed the budget (it shares a socket chunk with those before it); callers keep only these.
   */
  get rowsAdmitted(): number {
    return this.#rowsAdmitted;
  }

  /** Rows (DataRow frames) count against the budget from here on; earlier statements' rows do not. */
  resetRows(): void {
    this.#rowBytes = 0;
    this.#rowsAdmitted = 0;
  }

  detach(): void {
    this.#stream.removeListener("data", this.#onData);
  }

  #inspect(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.#trip === undefined) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - at);
        this.#remaining -= take;
        at += take;
        continue;
      }
      const take = Math.min(5 - this.#headerFill, chunk.length - at);
      chunk.copy(this.#header, this.#headerFill, at, at + take);
      this.#headerFill += take;
      at += take;
      if (this.#headerFill < 5) break;
      this.#headerFill = 0;
      const type = String.fromCharCode(this.#header[0]!);
      const length = this.#header.readUInt32BE(1); // includes its own 4 bytes, not the type byte
      this.#remaining = length - 4;
      if (type === "D") {
        this.#rowBytes += length;
        if (this.#rowBytes > this.maxBytes) this.#stop({ kind: "bytes" });
        else this.#rowsAdmitted++;
      } else if (length > this.maxBytes) {
        this.#stop({ kind: "message", type, bytes: length });
      }
    }
  }

  #stop(trip: GuardTrip): void {
    this.#trip = trip;
    this.detach();
    this.#stream.destroy();
  }
}

/** pg keeps the socket (the TLS socket once upgraded) as `connection.stream`; its parser listens there. */
function streamOf(client: pg.PoolClient): Duplex {
  const stream = (client as unknown as { connection?: { stream?: unknown } }).connection?.stream;
  if (!stream || typeof (stream as Duplex).prependListener !== "function" || typeof (stream as Duplex).destroy !== "function") {
    // Without the guard one statement could end the process: refuse to run rather than run unguarded.
    throw new Error("pg client exposes no connection stream: the database console cannot bound its results");
  }
  return stream as Duplex;
}
