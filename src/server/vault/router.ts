import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import { appId, appKeyName, appSecretInput, platformKeyName, platformSecretInput, rotateInput } from "./schema.ts";
import * as service from "./service.ts";

export const secretsRouter = router({
  appList: authedProcedure.input(z.object({ appId })).output(z.array(z.string())).query(({ ctx, input }) => service.listAppSecrets(ctx.core, ctx.principal, input.appId)),
  appSet: authedProcedure.input(appSecretInput.extend({ appId })).mutation(({ ctx, input }) => service.setAppSecret(ctx.core, ctx.principal, input.appId, input.key, input.value)),
  appDelete: authedProcedure.input(z.object({ appId, key: appKeyName })).mutation(({ ctx, input }) => service.deleteAppSecret(ctx.core, ctx.principal, input.appId, input.key)),
  platformList: authedProcedure.output(z.array(z.string())).query(({ ctx }) => service.listPlatformSecrets(ctx.core, ctx.principal)),
  platformSet: authedProcedure.input(platformSecretInput).mutation(({ ctx, input }) => service.setPlatformSecret(ctx.core, ctx.principal, input.key, input.value)),
  platformDelete: authedProcedure.input(z.object({ key: platformKeyName })).mutation(({ ctx, input }) => service.deletePlatformSecret(ctx.core, ctx.principal, input.key)),
  platformEnv: authedProcedure.output(z.record(z.string(), z.string())).query(({ ctx }) => service.platformEnv(ctx.core, ctx.principal)),
  rotate: authedProcedure.input(rotateInput).mutation(({ ctx, input }) => service.rotateMasterKey(ctx.core, ctx.principal, input.newKey)),
});
