import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { appParams, enqueueBody, enqueuedDto, jobParams, jobRestDto, listQuery, replayedDto, toRestDto } from "./schema.ts";
import * as service from "./service.ts";

const tags = ["jobs"];

/** The job queue (spec §2.8, docs/JOBS.md "Queue"); thin over service.ts, answering the spec's snake_case shapes. */
export const jobRoutes: RestRoute[] = [
  defineRoute({
    method: "POST",
    path: "/apps/:appId/jobs",
    schemas: { params: appParams, body: enqueueBody },
    docs: {
      summary: "Enqueue a job (app:{id}:invoke); user_id other than the caller needs an act-as delegation",
      description: "201 {msg_id} for a new job; 200 with deduplicated: true when a live job (queued, running or awaiting a retry) holds the same dedup_key.",
      tags,
      responses: { 201: enqueuedDto, 200: enqueuedDto },
    },
    handler: async ({ core, principal, input }) => {
      const b = input.body;
      const r = await service.enqueue(core, await principal(), input.params.appId, {
        payload: b.payload,
        userId: b.user_id,
        runAt: b.run_at,
        priority: b.priority,
        dedupKey: b.dedup_key,
        maxAttempts: b.max_attempts,
      });
      return { status: r.deduplicated ? 200 : 201, body: { msg_id: r.msgId, deduplicated: r.deduplicated } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/apps/:appId/jobs",
    schemas: { params: appParams, query: listQuery },
    docs: {
      summary: "The app's jobs, newest first (app:{id}:job.read): the live queue by default, done ones with archived=true, or one state",
      tags,
      responses: { 200: z.array(jobRestDto) },
    },
    handler: async ({ core, principal, input }) => {
      const q = input.query;
      const page = await service.list(core, await principal(), input.params.appId, {
        states: service.restStates(q.state, q.archived === "true"),
        limit: q.limit,
        before: q.before,
      });
      return { body: page.items.map(toRestDto) };
    },
  }),
  // Declared before /:msgId routes of the same shape so "dead" is never read as a msg id.
  defineRoute({
    method: "POST",
    path: "/apps/:appId/jobs/dead/replay",
    schemas: { params: appParams },
    docs: { summary: "Queue every dead job of the app again with a full set of attempts (app:{id}:job.manage)", tags, requestBody: "none", responses: { 200: replayedDto } },
    handler: async ({ core, principal, input }) => {
      const r = await service.replayDead(core, await principal(), input.params.appId);
      return { body: { replayed: r.replayed, msg_ids: r.msgIds } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/apps/:appId/jobs/:msgId",
    schemas: { params: jobParams },
    docs: { summary: "One job: payload, state, attempts, errors, timings (app:{id}:job.read)", tags, responses: { 200: jobRestDto } },
    handler: async ({ core, principal, input }) => ({ body: toRestDto(await service.get(core, await principal(), input.params.appId, input.params.msgId)) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/jobs/:msgId/retry",
    schemas: { params: jobParams },
    docs: { summary: "Run a failed job now, or a dead or cancelled one again from its first attempt (app:{id}:job.manage)", tags, requestBody: "none", responses: { 200: jobRestDto } },
    handler: async ({ core, principal, input }) => ({ body: toRestDto(await service.retry(core, await principal(), input.params.appId, input.params.msgId)) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/jobs/:msgId/cancel",
    schemas: { params: jobParams },
    docs: {
      summary: "Cancel a queued or failed job; a running one ends as cancelled when its worker answers (app:{id}:job.manage)",
      tags,
      requestBody: "none",
      responses: { 200: jobRestDto },
    },
    handler: async ({ core, principal, input }) => ({ body: toRestDto(await service.cancel(core, await principal(), input.params.appId, input.params.msgId)) }),
  }),
];
