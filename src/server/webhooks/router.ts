import { z } from "zod";
import { answerCarriesOneTimeSecret } from "../http/one-time-secret.ts";
import { authedProcedure, router } from "../trpc/init.ts";
import { appIdSchema, callDto, rotatedDto, updateWebhookBody, webhookDto, webhookIdSchema } from "./schema.ts";
import * as service from "./service.ts";

const webhookRef = z.object({ appId: appIdSchema, webhookId: webhookIdSchema });

/** The Studio's webhooks panel: the same services as the REST routes. */
export const webhooksRouter = router({
  list: authedProcedure
    .input(z.object({ appId: appIdSchema }))
    .output(z.array(webhookDto))
    .query(({ ctx, input }) => service.listWebhooks(ctx.core, ctx.principal, input.appId)),
  rotate: authedProcedure
    .input(webhookRef)
    .output(rotatedDto)
    .mutation(({ ctx, input }) => {
      answerCarriesOneTimeSecret(ctx.req, ctx.res);
      return service.rotateWebhook(ctx.core, ctx.principal, input.appId, input.webhookId);
    }),
  update: authedProcedure
    .input(webhookRef.extend(updateWebhookBody.shape))
    .output(webhookDto)
    .mutation(({ ctx, input }) => {
      const { appId, webhookId, ...body } = input;
      return service.updateWebhook(ctx.core, ctx.principal, appId, webhookId, body);
    }),
  calls: authedProcedure
    .input(webhookRef.extend({ limit: z.number().int().min(1).max(100).default(20) }))
    .output(z.array(callDto))
    .query(({ ctx, input }) => service.listCalls(ctx.core, ctx.principal, input.appId, input.webhookId, input.limit)),
});
