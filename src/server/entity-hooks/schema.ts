import { z } from "zod";
import { appIdSchema, IDENTIFIER } from "../apps/manifest.ts";

export { appIdSchema };
export const hookIdSchema = z.uuid({ error: "invalid hook id" });
export const OPERATIONS = ["INSERT", "UPDATE", "DELETE"] as const;
export type HookOperation = (typeof OPERATIONS)[number];

const operation = z.enum(OPERATIONS, { error: 'operation must be "INSERT", "UPDATE" or "DELETE"' });
const entity = z.string({ error: "entity is required" }).regex(IDENTIFIER, { error: "entity must be an entity name of the app (a-z, 0-9, _)" });

export const appParams = z.object({ appId: appIdSchema });
export const hookParams = z.object({ appId: appIdSchema, hookId: hookIdSchema });
export const listQuery = z.object({ entity: entity.optional(), operation: operation.optional() });
export type HookFilter = z.infer<typeof listQuery>;

/** Spec §2.10's body. action_type agent and workflow are the original's; this Core refuses them until it has them. */
export const createHookBody = z.strictObject({
  entity,
  operation,
  action_type: z.enum(["job", "agent", "workflow"], { error: 'action_type must be "job" ("agent" and "workflow" are not supported yet)' }).default("job"),
  action_config: z
    .record(z.string(), z.unknown(), { error: "action_config must be a JSON object" })
    .refine((v) => Buffer.byteLength(JSON.stringify(v)) <= 65_536, { error: "action_config must be at most 64 KiB of JSON" })
    .optional(),
  runAs: z.uuid({ error: "runAs must be a user id" }).optional(),
});
export type CreateHook = z.infer<typeof createHookBody>;

/** A hook as stored (snake_case, as the body that makes it). */
export const hookDto = z.object({
  id: z.string(),
  app_id: z.string(),
  entity: z.string(),
  operation: z.enum(OPERATIONS),
  action_type: z.string(),
  action_config: z.record(z.string(), z.unknown()),
  run_as: z.string().nullable(),
  active: z.boolean(),
  created_by: z.string(),
  created_at: z.string(),
});
export type HookDto = z.infer<typeof hookDto>;

export const okDto = z.object({ ok: z.literal(true) });
