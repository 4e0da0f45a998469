import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import { appIdSchema, createCronBody, cronDto, cronIdSchema, cronRunDto, messageDto, previewDto, previewInput, triggerDto, updateCronBody } from "./schema.ts";
import * as service from "./service.ts";

const cronRef = z.object({ appId: appIdSchema, cronId: cronIdSchema });

/** The Studio's schedules (contract 5 of issue 15): the same services as the REST routes. */
export const cronsRouter = router({
  listAll: authedProcedure.output(z.array(cronDto)).query(({ ctx }) => service.listAllCrons(ctx.core, ctx.principal)),
  list: authedProcedure
    .input(z.object({ appId: appIdSchema }))
    .output(z.array(cronDto))
    .query(({ ctx, input }) => service.listCrons(ctx.core, ctx.principal, input.appId)),
  create: authedProcedure
    .input(createCronBody.extend({ appId: appIdSchema }))
    .output(cronDto)
    .mutation(({ ctx, input: { appId, ...body } }) => service.createCron(ctx.core, ctx.principal, appId, body)),
  update: authedProcedure
    .input(updateCronBody.extend({ appId: appIdSchema, cronId: cronIdSchema }))
    .output(cronDto)
    .mutation(({ ctx, input: { appId, cronId, ...body } }) => service.updateCron(ctx.core, ctx.principal, appId, cronId, body)),
  remove: authedProcedure
    .input(cronRef)
    .output(messageDto)
    .mutation(({ ctx, input }) => service.deleteCron(ctx.core, ctx.principal, input.appId, input.cronId)),
  runs: authedProcedure
    .input(cronRef.extend({ limit: z.number().int().min(1).max(500).optional() }))
    .output(z.array(cronRunDto))
    .query(({ ctx, input }) => service.listRuns(ctx.core, ctx.principal, input.appId, input.cronId, input.limit)),
  trigger: authedProcedure
    .input(cronRef)
    .output(triggerDto)
    .mutation(({ ctx, input }) => service.triggerCron(ctx.core, ctx.principal, input.appId, input.cronId)),
  /** The next fire instants of a schedule in its time zone, or a 400 explaining the expression. */
  preview: authedProcedure
    .input(previewInput)
    .output(previewDto)
    .query(({ input }) => service.previewSchedule(input.schedule, input.timezone, input.count ?? 5)),
});
