import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import { appIdSchema, createHookBody, hookDto, hookIdSchema, listQuery, okDto } from "./schema.ts";
import * as service from "./service.ts";

/** Entity hooks for TypeScript clients and the Studio: the same services as the REST routes. */
export const entityHooksRouter = router({
  list: authedProcedure
    .input(listQuery.extend({ appId: appIdSchema }))
    .output(z.array(hookDto))
    .query(({ ctx, input }) => {
      const { appId, ...filter } = input;
      return service.listHooks(ctx.core, ctx.principal, appId, filter);
    }),
  get: authedProcedure
    .input(z.object({ appId: appIdSchema, hookId: hookIdSchema }))
    .output(hookDto)
    .query(({ ctx, input }) => service.getHook(ctx.core, ctx.principal, input.appId, input.hookId)),
  create: authedProcedure
    .input(createHookBody.extend({ appId: appIdSchema }))
    .output(hookDto)
    .mutation(({ ctx, input }) => {
      const { appId, ...body } = input;
      return service.createHook(ctx.core, ctx.principal, appId, body);
    }),
  remove: authedProcedure
    .input(z.object({ appId: appIdSchema, hookId: hookIdSchema }))
    .output(okDto)
    .mutation(({ ctx, input }) => service.deleteHook(ctx.core, ctx.principal, input.appId, input.hookId)),
});
