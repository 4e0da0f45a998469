import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { appParams, createCronBody, cronDto, cronParams, cronRunDto, messageDto, runsQuery, triggerDto, updateCronBody } from "./schema.ts";
import * as service from "./service.ts";

const tags = ["crons"];

/** Schedules (spec §2.9), thin over service.ts. */
export const cronRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/crons",
    docs: { summary: "Schedules of every app where the caller holds cron.read (only its own, unless it also holds cron.manage_others)", tags, responses: { 200: z.array(cronDto) } },
    handler: async ({ core, principal }) => ({ body: await service.listAllCrons(core, await principal()) }),
  }),
  defineRoute({
    method: "GET",
    path: "/apps/:appId/crons",
    schemas: { params: appParams },
    docs: { summary: "The app's schedules: the caller's own, or all with app:{id}:cron.manage_others; needs app:{id}:cron.read", tags, responses: { 200: z.array(cronDto) } },
    handler: async ({ core, principal, input }) => ({ body: await service.listCrons(core, await principal(), input.params.appId) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/crons",
    schemas: { params: appParams, body: createCronBody },
    docs: {
      summary: "Create a schedule (5-field cron, @nickname or \"N seconds\", in a time zone); needs app:{id}:cron.write, and an act-as delegation for runAs",
      tags,
      responses: { 201: cronDto },
    },
    handler: async ({ core, principal, input }) => ({ status: 201, body: await service.createCron(core, await principal(), input.params.appId, input.body) }),
  }),
  defineRoute({
    method: "PATCH",
    path: "/apps/:appId/crons/:cronId",
    schemas: { params: cronParams, body: updateCronBody },
    docs: { summary: "Change a schedule (takes effect at once on every Core); app:{id}:cron.write and its creator or cron.manage_others", tags, responses: { 200: cronDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.updateCron(core, await principal(), input.params.appId, input.params.cronId, input.body) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/apps/:appId/crons/:cronId",
    schemas: { params: cronParams },
    docs: { summary: "Delete a schedule and its run history; app:{id}:cron.write and its creator or cron.manage_others", tags, responses: { 200: messageDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.deleteCron(core, await principal(), input.params.appId, input.params.cronId) }),
  }),
  defineRoute({
    method: "GET",
    path: "/apps/:appId/crons/:cronId/runs",
    schemas: { params: cronParams, query: runsQuery },
    docs: {
      summary: "A schedule's runs, newest tick first (limit 50, at most 500): scheduled, running, succeeded, failed, skipped or missed; app:{id}:cron.read and ownership",
      tags,
      responses: { 200: z.array(cronRunDto) },
    },
    handler: async ({ core, principal, input }) => ({
      body: await service.listRuns(core, await principal(), input.params.appId, input.params.cronId, input.query.limit),
    }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/crons/:cronId/trigger",
    schemas: { params: cronParams },
    docs: { summary: "Enqueue the schedule's payload now as its run_as; app:{id}:cron.trigger and ownership", tags, requestBody: "none", responses: { 200: triggerDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.triggerCron(core, await principal(), input.params.appId, input.params.cronId) }),
  }),
];
