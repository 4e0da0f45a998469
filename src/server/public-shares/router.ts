import { z } from "zod";
import { answerCarriesOneTimeSecret } from "../http/one-time-secret.ts";
import { authedProcedure, router } from "../trpc/init.ts";
import { appIdSchema, createdShareDto, createShareBody, messageDto, shareDto, shareIdSchema } from "./schema.ts";
import * as service from "./service.ts";

/** The Studio's public-shares list of an app: the same services as the REST routes. */
export const publicSharesRouter = router({
  list: authedProcedure
    .input(z.object({ appId: appIdSchema }))
    .output(z.array(shareDto))
    .query(({ ctx, input }) => service.listShares(ctx.core, ctx.principal, input.appId)),
  create: authedProcedure
    .input(createShareBody.extend({ appId: appIdSchema }))
    .output(createdShareDto)
    .mutation(({ ctx, input }) => {
      answerCarriesOneTimeSecret(ctx.req, ctx.res);
      return service.createShare(ctx.core, ctx.principal, input.appId, { context: input.context, expiresInDays: input.expiresInDays });
    }),
  revoke: authedProcedure
    .input(z.object({ appId: appIdSchema, shareId: shareIdSchema }))
    .output(messageDto)
    .mutation(({ ctx, input }) => service.revokeShare(ctx.core, ctx.principal, input.appId, input.shareId)),
});
