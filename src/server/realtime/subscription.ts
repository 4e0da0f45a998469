import type { Principal } from "../auth/principal.ts";
import type { EntityModel } from "../apps/registry.ts";
import type { RealtimeFrame } from "./schema.ts";

/** Where a subscription's frames go: an SSE response, or a tRPC subscription's queue. */
export interface FrameSink {
  /** Writes frames in order. */
  write(frames: readonly RealtimeFrame[]): void;
  /** Bytes written that the client has not taken yet. */
  buffered(): number;
  /** Ends the stream (after what was written). */
  end(): void;
}

/**
 * One open change stream. `position` is the last seq this subscriber has been served up to (delivered, or
 * decided invisible to it); the hub advances it batch by batch. While it catches up from a Last-Event-ID,
 * live batches are held back (bounded like the socket) and follow the replay.
 */
export class Subscription {
  readonly tableKey: string;
  position: number;
  catchingUp = false;
  #held: RealtimeFrame[] = [];
  #heldBytes = 0;
  #ended = false;
  /** Since when the client has left more than maxBufferedBytes unread (undefined: it is below). */
  #overSince: number | undefined;

  constructor(
    readonly entity: EntityModel,
    readonly principal: Principal,
    readonly where: Record<string, unknown> | undefined,
    position: number,
    private readonly sink: FrameSink,
    private readonly bounds: { maxBufferedBytes: number; drainMs: number; maxBurstBytes: number },
    private readonly onEnd: (sub: Subscription, kind: "resync" | "end" | "closed") => void,
  ) {
    this.tableKey = tableKey(entity.appId, entity.name);
    this.position = position;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The where as a group key: subscribers with the same text share a visibility query. */
  get whereKey(): string {
    return this.where === undefined ? "" : JSON.stringify(this.where);
  }

  /**
   * Sends (or holds, while catching up) frames. A client judged too slow is told to resync and dropped: one that
   * leaves more than maxBurstBytes unread, or more than maxBufferedBytes for drainMs in a row (checkDrain). One
   * large batch written at once is not a slow reader: a client that drains it in time keeps its stream.
   */
  deliver(frames: readonly RealtimeFrame[], fromReplay = false): void {
    if (this.#ended || frames.length === 0) return;
    if (this.catchingUp && !fromReplay) {
      this.#held.push(...frames);
      this.#heldBytes += frames.reduce((n, f) => n + frameBytes(f), 0);
      if (this.#heldBytes > this.bounds.maxBurstBytes) this.resync("too many changes arrived while this stream was catching up");
      return;
    }
    this.sink.write(frames);
    this.checkDrain(Date.now());
  }

  /** Bytes written that the client has not taken yet (what this stream costs the Core's memory now). */
  get unread(): number {
    return this.sink.buffered();
  }

  /** Cuts off a client that reads too slowly (see deliver); the hub also calls it on idle streams. */
  checkDrain(now: number): void {
    if (this.#ended) return;
    const unread = this.sink.buffered();
    if (unread <= this.bounds.maxBufferedBytes) {
      this.#overSince = undefined;
      return;
    }
    this.#overSince ??= now;
    if (unread > this.bounds.maxBurstBytes || now - this.#overSince >= this.bounds.drainMs) this.resync("this stream fell too far behind (its client does not read fast enough)");
  }

  /** Replay done: what arrived meanwhile follows, in order. */
  caughtUp(): void {
    this.catchingUp = false;
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    this.deliver(held);
  }

  /** The client must re-read what it shows: changes were lost to it. Nothing more is delivered on this stream. */
  resync(reason: string): void {
    if (this.#ended) return;
    this.sink.write([{ kind: "resync", reason }]);
    this.#finish("resync");
  }

  /** The stream ends with a reason (access lost, shutdown, entity gone). */
  end(reason: string): void {
    if (this.#ended) return;
    this.sink.write([{ kind: "end", reason }]);
    this.#finish("end");
  }

  /** The client went away. */
  closed(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#held = [];
    this.onEnd(this, "closed");
  }

  #finish(kind: "resync" | "end"): void {
    this.#ended = true;
    this.#held = [];
    this.sink.end();
    this.onEnd(this, kind);
  }
}

export const tableKey = (appId: string, entity: string) => `${appId}\u0000${entity}`;

/** Roughly what a frame costs once serialised (bounds held frames like the socket bounds written ones). */
function frameBytes(f: RealtimeFrame): number {
  return f.kind === "change" ? JSON.stringify(f.event).length + 32 : f.reason.length + 32;
}
