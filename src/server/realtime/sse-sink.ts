import type { ServerResponse } from "node:http";
import { SseWriter } from "../workers/sse.ts";
import type { RealtimeFrame } from "./schema.ts";
import type { FrameSink } from "./subscription.ts";

/**
 * A change stream on the Core's one SSE writer: changes are unnamed events whose id is their seq (what the
 * browser sends back as Last-Event-ID), `resync` and `end` are named events with a reason.
 */
export function sseSink(res: ServerResponse, keepAliveMs: number, onClose: () => void): FrameSink & { readonly closed: boolean } {
  const sse = new SseWriter(res, { keepAliveMs, onDrain: () => undefined, onClose });
  return {
    get closed() {
      return sse.closed;
    },
    write(frames: readonly RealtimeFrame[]) {
      for (const f of frames) {
        if (f.kind === "change") sse.send(f.event, { id: f.seq });
        else sse.send({ reason: f.reason }, { event: f.kind });
      }
    },
    buffered: () => sse.buffered,
    end: () => sse.close(),
  };
}
