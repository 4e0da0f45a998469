import { tracked } from "@trpc/server";
import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import { lastEventIdSchema, type RealtimeEvent, type RealtimeFrame } from "./schema.ts";
import { openChangeStream } from "./service.ts";
import type { FrameSink } from "./subscription.ts";

/** What a tRPC change subscription yields: a change (tracked by its seq), or the resync/end notice that closes it. */
export type ChangeMessage = RealtimeEvent | { op: "resync" | "end"; reason: string };

/**
 * A queue between the hub and the subscription's generator, bounded in bytes like a socket: tRPC writes what
 * the generator yields as its own SSE stream, and a client that reads slowly stops the generator from pulling.
 */
function queueSink(): FrameSink & { next(signal: AbortSignal | undefined): Promise<RealtimeFrame | undefined> } {
  const frames: { frame: RealtimeFrame; bytes: number }[] = [];
  let bytes = 0;
  let ended = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  return {
    write(list) {
      for (const frame of list) {
        const size = frame.kind === "change" ? JSON.stringify(frame.event).length : frame.reason.length;
        frames.push({ frame, bytes: size });
        bytes += size;
      }
      poke();
    },
    buffered: () => bytes,
    end() {
      ended = true;
      poke();
    },
    async next(signal) {
      for (;;) {
        const head = frames.shift();
        if (head) {
          bytes -= head.bytes;
          return head.frame;
        }
        if (ended || signal?.aborted) return undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          signal?.addEventListener("abort", () => resolve(), { once: true });
        });
      }
    },
  };
}

/** The change stream of GET /apps/{app}/collections/{entity}/changes, for TypeScript clients (httpSubscriptionLink). */
export const realtimeRouter = router({
  changes: authedProcedure
    .input(
      z.object({
        appId: z.string().max(100),
        entity: z.string().max(100),
        where: z.custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), { message: "where must be an object" }).optional(),
        // Sent back by httpSubscriptionLink on reconnect: the id of the last tracked change.
        lastEventId: lastEventIdSchema.nullish(),
      }),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const sink = queueSink();
      const request = { appId: input.appId, entity: input.entity, where: input.where, after: input.lastEventId ? Number(input.lastEventId) : undefined };
      const sub = await openChangeStream(ctx.core, ctx.principal, request, sink);
      try {
        for (;;) {
          const frame = await sink.next(signal);
          if (!frame) return;
          if (frame.kind === "change") yield tracked(frame.seq, frame.event as ChangeMessage);
          else {
            // Untracked: a reconnect resumes from the last change, never from the notice.
            yield { op: frame.kind, reason: frame.reason } as ChangeMessage;
            return;
          }
        }
      } finally {
        sub.closed();
      }
    }),
});
