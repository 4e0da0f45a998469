import { z } from "zod";
import { answerCarriesOneTimeSecret } from "../http/one-time-secret.ts";
import { authedProcedure, router } from "../trpc/init.ts";
import { addActAs, removeActAs } from "./act-as.ts";
import { createCredential, deleteCredential } from "./credentials.ts";
import * as schema from "./schema.ts";
import * as service from "./service-accounts.ts";

const byId = z.object({ id: schema.id });

/** Service accounts for TypeScript callers and the Studio: the same service functions as the REST routes. */
export const serviceAccountsRouter = router({
  list: authedProcedure.output(z.array(schema.serviceAccountDto)).query(({ ctx }) => service.listAccounts(ctx.core, ctx.principal)),
  get: authedProcedure.input(byId).output(schema.serviceAccountDetailsDto).query(({ ctx, input }) => service.getAccount(ctx.core, ctx.principal, input.id)),
  create: authedProcedure.input(schema.createInput).output(schema.createdAccountDto).mutation(({ ctx, input }) => service.createAccount(ctx.core, ctx.principal, input)),
  remove: authedProcedure.input(byId).output(schema.messageDto).mutation(({ ctx, input }) => service.deleteAccount(ctx.core, ctx.principal, input.id)),
  disable: authedProcedure.input(byId).output(schema.messageDto).mutation(({ ctx, input }) => service.setAccountDisabled(ctx.core, ctx.principal, input.id, true)),
  enable: authedProcedure.input(byId).output(schema.messageDto).mutation(({ ctx, input }) => service.setAccountDisabled(ctx.core, ctx.principal, input.id, false)),
  createCredential: authedProcedure
    .input(byId.extend(schema.createCredentialInput.shape))
    .output(schema.createdCredentialDto)
    .mutation(({ ctx, input }) => {
      answerCarriesOneTimeSecret(ctx.req, ctx.res);
      return createCredential(ctx.core, ctx.principal, input.id, input);
    }),
  deleteCredential: authedProcedure
    .input(byId.extend({ credentialId: schema.id }))
    .output(schema.messageDto)
    .mutation(({ ctx, input }) => deleteCredential(ctx.core, ctx.principal, input.id, input.credentialId)),
  transferOwnership: authedProcedure
    .input(byId.extend({ newOwner: schema.id }))
    .output(schema.messageDto)
    .mutation(({ ctx, input }) => service.transferOwnership(ctx.core, ctx.principal, input.id, input.newOwner)),
  addActAs: authedProcedure
    .input(byId.extend(schema.actAsInput.shape))
    .output(z.object({ created: z.boolean(), delegation: schema.actAsDto }))
    .mutation(({ ctx, input }) => addActAs(ctx.core, ctx.principal, input.id, input.userId)),
  removeActAs: authedProcedure
    .input(byId.extend(schema.actAsInput.shape))
    .output(schema.messageDto)
    .mutation(({ ctx, input }) => removeActAs(ctx.core, ctx.principal, input.id, input.userId)),
});
