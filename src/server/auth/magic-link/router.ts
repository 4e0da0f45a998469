import { authedProcedure, publicProcedure, router } from "../../trpc/init.ts";
import { generateInput, generateResult, requestInput, requestResult } from "./schema.ts";
import * as service from "./service.ts";

/** The Studio's side of magic links: inviting from the users panel, and "e-mail me a sign-in link". */
export const magicLinkRouter = router({
  generate: authedProcedure
    .input(generateInput)
    .output(generateResult)
    .mutation(({ ctx, input }) => service.generate(ctx.core, ctx.principal, input)),
  request: publicProcedure
    .input(requestInput)
    .output(requestResult)
    .mutation(({ ctx, input }) => service.requestLink(ctx.core, input, { ip: ctx.ip, userAgent: ctx.userAgent })),
});
