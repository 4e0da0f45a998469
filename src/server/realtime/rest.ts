import { z } from "zod";
import { entityOf } from "../data/service.ts";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { parseLastEventId, whereParamSchema } from "./schema.ts";
import { openChangeStream, prepareChangeStream } from "./service.ts";
import { sseSink } from "./sse-sink.ts";
import type { Subscription } from "./subscription.ts";

export const realtimeRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/apps/:appId/collections/:entity/changes",
    schemas: {
      params: z.object({ appId: z.string(), entity: z.string() }),
      query: z.object({
        where: whereParamSchema.optional().meta({ description: "The where object of /query, as JSON text: only rows that match it are sent" }),
        lastEventId: z.string().optional().meta({ description: "Resume after this event id (for clients that cannot send the Last-Event-ID header)" }),
      }),
    },
    docs: {
      summary: "Live changes of an entity's records (Server-Sent Events, row-level security)",
      description:
        "Each committed insert, update or delete arrives as `{op, id, record?, old?, at}` with the change's seq as the event id, only while the caller may read the row (the same row-level security as a read) and it matches `where`; an update that takes a row out of the caller's view arrives as a delete. `Last-Event-ID` (header or query) resumes within a 5-minute window; beyond it, or when the client reads too slowly, a `resync` event says to re-read, and the stream ends. An `end` event gives the reason a stream was closed (access lost, shutdown). See docs/REALTIME.md.",
      tags: ["data"],
      responses: { 200: { mediaType: "text/event-stream", description: "Unnamed events: a change (data: JSON, id: seq). Named events `resync` and `end`: `{reason}`." } },
    },
    // Who asks and which entity come before anything about the query (401, then 404, then a 400 for the where).
    guard: async ({ core, principal, params }) => void (await principal(), await entityOf(core, params.appId ?? "", params.entity ?? "")),
    handler: async ({ core, principal, input, raw }) => {
      const p = await principal();
      const header = raw.headers["last-event-id"];
      const request = {
        appId: input.params.appId,
        entity: input.params.entity,
        where: input.query.where,
        after: parseLastEventId(input.query.lastEventId ?? (typeof header === "string" ? header : undefined)),
      };
      await prepareChangeStream(core, p, request);
      return {
        stream: async (res) => {
          let sub: Subscription | undefined;
          const sink = sseSink(res, core.realtime.limits.keepAliveMs, () => sub?.closed());
          try {
            sub = await openChangeStream(core, p, request, sink);
          } catch (err) {
            sink.write([{ kind: "end", reason: (err as Error).message }]);
            sink.end();
            return;
          }
          if (sink.closed) sub.closed();
        },
      };
    },
  }),
];
