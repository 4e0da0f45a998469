import { authedProcedure, publicProcedure, router } from "../trpc/init.ts";
import * as schema from "./schema.ts";
import * as service from "./service.ts";

export const systemRouter = router({
  health: publicProcedure.output(schema.health).query(() => service.health()),
  fullHealth: publicProcedure.output(schema.fullHealth).query(({ ctx }) => service.fullHealth(ctx.core)),
  status: authedProcedure.output(schema.status).query(({ ctx }) => service.status(ctx.core, ctx.principal)),
  version: publicProcedure.output(schema.version).query(({ ctx }) => service.version(ctx.core)),
  overview: publicProcedure.output(schema.overview).query(({ ctx }) => service.overview(ctx.core)),
});
