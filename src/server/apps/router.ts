import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import * as service from "./service.ts";

const change = z.object({ entity: z.string(), change_type: z.string(), column: z.string().nullable(), detail: z.string() });
const appSummary = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  status: z.string(),
  type: z.string(),
  entities: z.array(z.string()),
  hasFrontend: z.boolean(),
  icon: z.string().optional(),
});
/** The manifest is validated by the service (with path-precise messages), so the adapter takes any JSON. */
const manifest = z.unknown();

export const appsRouter = router({
  list: authedProcedure.input(z.object({ type: z.enum(["app", "agent", "integration"]).optional() }).default({})).output(z.array(appSummary)).query(({ ctx, input }) => service.listApps(ctx.core, ctx.principal, input.type)),
  get: authedProcedure.input(z.object({ id: z.string() })).query(({ ctx, input }) => service.getApp(ctx.core, ctx.principal, input.id)),
  install: authedProcedure.input(manifest).output(z.object({ message: z.string(), changes: z.array(change) })).mutation(({ ctx, input }) => service.installApp(ctx.core, ctx.principal, input)),
  verify: authedProcedure.input(manifest).output(z.object({ compliant: z.boolean(), changes: z.array(change) })).mutation(({ ctx, input }) => service.verifySchema(ctx.core, ctx.principal, input)),
  uninstall: authedProcedure.input(z.object({ id: z.string() })).output(z.object({ message: z.string() })).mutation(({ ctx, input }) => service.uninstallApp(ctx.core, ctx.principal, input.id)),
  history: authedProcedure
    .input(z.object({ id: z.string(), limit: z.number().int().min(1).max(500).default(50) }))
    .output(z.array(z.object({ id: z.string(), app_id: z.string(), app_version: z.string().nullable(), actor_uid: z.string().nullable(), actor_email: z.string().nullable(), applied_at: z.string(), changes: z.array(change), statements: z.array(z.string()) })))
    .query(({ ctx, input }) => service.schemaHistory(ctx.core, ctx.principal, input.id, input.limit)),
});
