import { z } from "zod";
import { authedProcedure } from "../trpc/init.ts";
import { deployHistory, rollback } from "./deploy.ts";

const appInput = z.object({ appId: z.string() });
const deployEntry = z.object({
  id: z.string(),
  deployedAt: z.string(),
  deployedBy: z.string(),
  size: z.number(),
  sha256: z.string(),
  migrationsApplied: z.array(z.string()),
  current: z.boolean(),
});
const deployAnswer = z.object({
  message: z.string(),
  migrationsApplied: z.array(z.string()),
  deployId: z.string(),
  install: z.object({ ok: z.boolean(), output: z.string() }).optional(),
});

/**
 * The deploy procedures of the `workers` tRPC router (merged there by its owner). Uploads stay on REST
 * (`POST /apps/{id}/deploy`, multipart): tRPC carries JSON only.
 */
export const deployProcedures = {
  deployHistory: authedProcedure.input(appInput).output(z.array(deployEntry)).query(({ ctx, input }) => deployHistory(ctx.core, ctx.principal, input.appId)),
  rollback: authedProcedure.input(appInput).output(deployAnswer).mutation(({ ctx, input }) => rollback(ctx.core, ctx.principal, input.appId)),
};
