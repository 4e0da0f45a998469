import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import { deployProcedures } from "./deploy-router.ts";
import { appIdSchema, workersList } from "./schema.ts";
import * as service from "./service.ts";

const appInput = z.object({ appId: appIdSchema });

/** The Studio's workers panel: the same services as the REST routes. */
export const workersRouter = router({
  list: authedProcedure
    .input(z.object({ detail: z.boolean().optional() }).optional())
    .output(workersList)
    .query(({ ctx, input }) => service.listWorkers(ctx.core, ctx.principal, input?.detail ?? false)),
  start: authedProcedure.input(appInput).mutation(({ ctx, input }) => service.startWorker(ctx.core, ctx.principal, input.appId)),
  stop: authedProcedure.input(appInput).mutation(({ ctx, input }) => service.stopWorker(ctx.core, ctx.principal, input.appId)),
  restart: authedProcedure.input(appInput).mutation(({ ctx, input }) => service.restartWorker(ctx.core, ctx.principal, input.appId)),
  status: authedProcedure.input(appInput).query(({ ctx, input }) => service.workerStatus(ctx.core, ctx.principal, input.appId)),
  ...deployProcedures,
});
