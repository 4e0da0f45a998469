import { authedProcedure, router } from "../trpc/init.ts";
import { platformSettings, platformSettingsInput } from "./schema.ts";
import * as service from "./service.ts";

export const platformSettingsRouter = router({
  get: authedProcedure.output(platformSettings).query(({ ctx }) => service.getSettings(ctx.core, ctx.principal)),
  update: authedProcedure.input(platformSettingsInput).output(platformSettings).mutation(({ ctx, input }) => service.updateSettings(ctx.core, ctx.principal, input)),
});
