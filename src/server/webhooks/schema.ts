import { z } from "zod";
import { appIdSchema } from "../apps/manifest.ts";

export { appIdSchema };
export const webhookIdSchema = z.uuid({ error: "invalid webhook id" });

export const appParams = z.object({ appId: appIdSchema });
export const webhookParams = z.object({ appId: appIdSchema, webhookId: webhookIdSchema });
/** The token of an inbound call's path; any string, so that every unknown one gets the same 404. */
export const inboundParams = z.object({ token: z.string() });

export const callsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });

export const updateWebhookBody = z.strictObject({
  requireSignature: z.boolean().optional(),
  rateLimitPerMinute: z.number().int().min(1).max(100_000).optional(),
});
export type UpdateWebhook = z.infer<typeof updateWebhookBody>;

export const callDto = z.object({
  id: z.string(),
  at: z.string(),
  status: z.number().int(),
  durationMs: z.number().int(),
  signed: z.boolean(),
  error: z.string().nullable(),
});
export type CallDto = z.infer<typeof callDto>;

export const webhookDto = z.object({
  id: z.string(),
  name: z.string(),
  method: z.string(),
  prefix: z.string(),
  url: z.string(),
  createdAt: z.string(),
  requireSignature: z.boolean(),
  /** Why a signature is mandatory: the manifest says so (no setting can lift it), or an administrator's setting. */
  signatureRequiredBy: z.enum(["manifest", "setting"]).nullable(),
  rateLimitPerMinute: z.number().int(),
  lastCall: callDto.nullable(),
});
export type WebhookDto = z.infer<typeof webhookDto>;

export const rotatedDto = z.object({
  id: z.string(),
  name: z.string(),
  /** The full URL path, shown this once: only its hash is kept. */
  url: z.string(),
  token: z.string(),
  /** The new signing secret (HMAC key), shown this once too. */
  secret: z.string(),
});
export type RotatedDto = z.infer<typeof rotatedDto>;
