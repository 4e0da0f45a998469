import type { ServerResponse } from "node:http";

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream",
  // no-transform: a compressing proxy would otherwise hold events back to fill its buffer.
  "cache-control": "no-cache, no-transform",
  // nginx buffers responses unless told not to.
  "x-accel-buffering": "no",
};

export interface SseOptions {
  /** A comment line this often keeps proxies and load balancers from closing an idle stream. */
  keepAliveMs: number;
  /** The socket took what was waiting after `send` returned false: the producer may send again. */
  onDrain(): void;
  /** The client went away or the stream was closed: release what feeds it. Called once. */
  onClose(): void;
}

/**
 * The plain Server-Sent Events protocol on one response: unnamed events whose data is one JSON line, keep-alive
 * comments, and the socket's backpressure passed on to the producer instead of buffered here. The protocol is
 * small enough that a library would add more surface than it saves; this is what every stream of the Core
 * (worker logs, and the realtime change streams) writes with.
 */
export class SseWriter {
  readonly #res: ServerResponse;
  readonly #opts: SseOptions;
  readonly #keepAlive: NodeJS.Timeout;
  #closed = false;

  constructor(res: ServerResponse, opts: SseOptions) {
    this.#res = res;
    this.#opts = opts;
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    res.on("drain", () => {
      if (!this.#closed) opts.onDrain();
    });
    res.on("close", () => this.#finish());
    // A write racing the client's disconnect may error; the stream is over either way, and must not crash the Core.
    res.on("error", () => this.#finish());
    this.#keepAlive = setInterval(() => {
      // A socket that is already full needs no keep-alive, and must not be given more.
      if (!res.writableNeedDrain) res.write(": keep-alive\n\n");
    }, opts.keepAliveMs);
    this.#keepAlive.unref();
    // The client may have gone while the request was being authorised: 'close' has then fired already.
    if (res.destroyed || res.socket?.destroyed) queueMicrotask(() => this.#finish());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Writes one event; false when the socket is full: send nothing more until onDrain. `id` becomes the client's
   * Last-Event-ID (digits only here), `event` names the event (unnamed events are "message").
   */
  send(data: unknown, meta: { id?: string; event?: string } = {}): boolean {
    if (this.#closed) return false;
    // JSON.stringify escapes CR and LF, so the data is always one line of the event.
    const id = meta.id !== undefined && /^\d+$/.test(meta.id) ? `id: ${meta.id}\n` : "";
    const event = meta.event !== undefined && /^[a-z_-]+$/.test(meta.event) ? `event: ${meta.event}\n` : "";
    return this.#res.write(`${id}${event}data: ${JSON.stringify(data)}\n\n`);
  }

  /** Bytes written but not yet taken by the client's socket: what a slow reader makes the Core hold. */
  get buffered(): number {
    return this.#res.writableLength;
  }

  /** Ends the stream from the server's side (shutdown, or its source is gone). */
  close(): void {
    if (this.#closed) return;
    this.#res.end();
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    this.#opts.onClose();
  }
}
