import { z } from "zod";
import { authedProcedure, publicProcedure, router } from "../../trpc/init.ts";
import { listOutstanding, revoke } from "./outstanding.ts";
import { generateInput, generateResult, linkId, outstandingLinkDto, requestInput, requestResult } from "./schema.ts";
import * as service from "./service.ts";

/** The Studio's side of magic links: inviting from the users panel, outstanding invitations, "e-mail me a link". */
export const magicLinkRouter = router({
  generate: authedProcedure
    .input(generateInput)
    .output(generateResult)
    .mutation(({ ctx, input }) => service.generate(ctx.core, ctx.principal, input)),
  outstanding: authedProcedure.output(z.array(outstandingLinkDto)).query(({ ctx }) => listOutstanding(ctx.core, ctx.principal)),
  revoke: authedProcedure
    .input(z.object({ id: linkId }))
    .output(z.object({ message: z.string() }))
    .mutation(({ ctx, input }) => revoke(ctx.core, ctx.principal, input.id)),
  request: publicProcedure
    .input(requestInput)
    .output(requestResult)
    .mutation(({ ctx, input }) => service.requestLink(ctx.core, input, { ip: ctx.ip, userAgent: ctx.userAgent })),
});
