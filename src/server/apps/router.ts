import { z } from "zod";
import { authedProcedure, router } from "../trpc/init.ts";
import * as service from "./service.ts";

const change = z.object({ entity: z.string(), change_type: z.string(), column: z.string().nullable(), detail: z.string() });
// Old history rows predate the impact fields, hence optional there.
const recordedChange = change.extend({ destructive: z.boolean().optional(), affectedRows: z.number().int().optional() });
const appliedChange = change.extend({ destructive: z.boolean(), affectedRows: z.number().int() });
const verifiedChange = appliedChange.extend({
  affectedRows: z.number().int().nullable(),
  blocking: z.boolean().nullable(),
  sample: z.array(z.object({ id: z.string(), value: z.string().nullable(), becomes: z.string().nullable().optional() })),
});
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
/**
 * install takes the manifest itself, or `{ manifest, allowDataLoss }` to accept the losses verify reports.
 * A manifest never has a `manifest` key, and the strict object admits nothing else, so the two cannot be confused.
 */
const wrappedInstall = z.object({ manifest: z.unknown(), allowDataLoss: z.boolean().optional() }).strict();
const installInput = z.union([wrappedInstall, manifest]);
const unwrapInstall = (input: unknown): { manifest: unknown; allowDataLoss: boolean } => {
  const wrapped = wrappedInstall.safeParse(input);
  return wrapped.success ? { manifest: wrapped.data.manifest, allowDataLoss: wrapped.data.allowDataLoss === true } : { manifest: input, allowDataLoss: false };
};

export const appsRouter = router({
  list: authedProcedure.input(z.object({ type: z.enum(["app", "agent", "integration"]).optional() }).default({})).output(z.array(appSummary)).query(({ ctx, input }) => service.listApps(ctx.core, ctx.principal, input.type)),
  get: authedProcedure.input(z.object({ id: z.string() })).query(({ ctx, input }) => service.getApp(ctx.core, ctx.principal, input.id)),
  install: authedProcedure
    .input(installInput)
    .output(z.object({ message: z.string(), changes: z.array(appliedChange) }))
    .mutation(({ ctx, input }) => {
      const { manifest: m, allowDataLoss } = unwrapInstall(input);
      return service.installApp(ctx.core, ctx.principal, m, { allowDataLoss });
    }),
  verify: authedProcedure.input(manifest).output(z.object({ compliant: z.boolean(), changes: z.array(verifiedChange) })).mutation(({ ctx, input }) => service.verifySchema(ctx.core, ctx.principal, input)),
  uninstall: authedProcedure.input(z.object({ id: z.string() })).output(z.object({ message: z.string() })).mutation(({ ctx, input }) => service.uninstallApp(ctx.core, ctx.principal, input.id)),
  history: authedProcedure
    .input(z.object({ id: z.string(), limit: z.number().int().min(1).max(500).default(50) }))
    .output(z.array(z.object({ id: z.string(), app_id: z.string(), app_version: z.string().nullable(), actor_uid: z.string().nullable(), actor_email: z.string().nullable(), applied_at: z.string(), changes: z.array(recordedChange), statements: z.array(z.string()) })))
    .query(({ ctx, input }) => service.schemaHistory(ctx.core, ctx.principal, input.id, input.limit)),
});
