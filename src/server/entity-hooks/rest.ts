import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import { appParams, createHookBody, hookDto, hookParams, listQuery, okDto } from "./schema.ts";
import * as service from "./service.ts";

const tags = ["hooks"];

/** Entity hooks (spec §2.10, with permissions the original lacks); thin over service.ts. */
export const entityHookRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/apps/:appId/hooks",
    schemas: { params: appParams, query: listQuery },
    docs: { summary: "The app's entity hooks, filtered by `entity` and `operation`; needs app:{id}:hook.read", tags, responses: { 200: z.array(hookDto) } },
    handler: async ({ core, principal, input }) => ({ body: await service.listHooks(core, await principal(), input.params.appId, input.query) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/hooks",
    schemas: { params: appParams, body: createHookBody },
    docs: {
      summary: "Enqueue a job on every committed INSERT, UPDATE or DELETE of an entity; needs app:{id}:hook.write",
      description:
        "The job (in the writer's own transaction: none for a rolled-back change) reaches the worker's `onJob` with `{_hook, hook_id, entity, operation, record_id, record, old_record, action_type, action_config}`, " +
        "as `runAs` (act-as: a standing delegation and no widening) or the hook's creator. `action_type` `agent` and `workflow` are refused: not supported yet.",
      tags,
      responses: { 201: hookDto },
    },
    handler: async ({ core, principal, input }) => ({ status: 201, body: await service.createHook(core, await principal(), input.params.appId, input.body) }),
  }),
  defineRoute({
    method: "GET",
    path: "/apps/:appId/hooks/:hookId",
    schemas: { params: hookParams },
    docs: { summary: "One entity hook; needs app:{id}:hook.read", tags, responses: { 200: hookDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.getHook(core, await principal(), input.params.appId, input.params.hookId) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/apps/:appId/hooks/:hookId",
    schemas: { params: hookParams },
    docs: { summary: "Delete an entity hook (the table's trigger goes with its last hook); needs app:{id}:hook.write", tags, responses: { 200: okDto } },
    handler: async ({ core, principal, input }) => ({ body: await service.deleteHook(core, await principal(), input.params.appId, input.params.hookId) }),
  }),
];
