import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import { appIdSchema, jobStateSchema, jobView, listPage, msgIdSchema, statsView } from "./schema.ts";
import * as service from "./service.ts";

const jobInput = z.object({ appId: appIdSchema, msgId: msgIdSchema });

/** The Studio's jobs console (contract item 5 of issue 15): the same services as the REST routes, in camelCase. */
export const jobsRouter = router({
  /** Newest first; every state unless one is asked; `cursor` is the previous page's nextCursor. */
  list: authedProcedure
    .input(z.object({ appId: appIdSchema, state: jobStateSchema.optional(), limit: z.number().int().min(1).max(1000).optional(), cursor: msgIdSchema.optional() }))
    .output(listPage)
    .query(({ ctx, input }) => service.list(ctx.core, ctx.principal, input.appId, { states: input.state ? [input.state] : undefined, limit: input.limit, before: input.cursor })),
  get: authedProcedure
    .input(jobInput)
    .output(jobView)
    .query(({ ctx, input }) => service.get(ctx.core, ctx.principal, input.appId, input.msgId)),
  stats: authedProcedure
    .input(z.object({ appId: appIdSchema, windowMinutes: z.number().int().min(1).max(1440).optional() }))
    .output(statsView)
    .query(({ ctx, input }) => service.stats(ctx.core, ctx.principal, input.appId, input.windowMinutes)),
  retry: authedProcedure
    .input(jobInput)
    .output(jobView)
    .mutation(({ ctx, input }) => service.retry(ctx.core, ctx.principal, input.appId, input.msgId)),
  cancel: authedProcedure
    .input(jobInput)
    .output(jobView)
    .mutation(({ ctx, input }) => service.cancel(ctx.core, ctx.principal, input.appId, input.msgId)),
  replayDead: authedProcedure
    .input(z.object({ appId: appIdSchema }))
    .output(z.object({ replayed: z.number(), msgIds: z.array(z.string()) }))
    .mutation(({ ctx, input }) => service.replayDead(ctx.core, ctx.principal, input.appId)),
});
