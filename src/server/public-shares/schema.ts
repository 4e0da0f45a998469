import { z } from "zod";
import { appIdSchema } from "../apps/manifest.ts";
import { shareContext } from "./context-schema.ts";

export { appIdSchema };
export { MAX_CONTEXT_BYTES, shareContext, type ShareContext } from "./context-schema.ts";

export const createShareBody = z.object(
  {
    context: shareContext,
    /** Beyond the original: the link stops working after this many days (1–365); without it, when revoked. */
    expiresInDays: z
      .number({ error: "expiresInDays must be a whole number of days" })
      .int("expiresInDays must be a whole number of days")
      .min(1, "expiresInDays must be between 1 and 365")
      .max(365, "expiresInDays must be between 1 and 365")
      .optional(),
  },
  { error: 'the body must be a JSON object {context, expiresInDays?}' },
);
export type CreateShareBody = z.infer<typeof createShareBody>;

export const shareIdSchema = z.guid({ message: "shareId must be a UUID" });

export const appParams = z.object({ appId: appIdSchema });
export const shareParams = z.object({ appId: appIdSchema, shareId: shareIdSchema });

/** A share as lists show it: never the token, only its first characters. */
export const shareDto = z.object({
  id: z.string(),
  appId: z.string(),
  tokenPrefix: z.string(),
  context: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revoked: z.boolean(),
  createdBy: z.object({ id: z.string(), email: z.string() }),
});
export type ShareDto = z.infer<typeof shareDto>;

/** The answer to a create (spec §2.19): the token and the link that holds it, shown this once. */
export const createdShareDto = z.object({
  id: z.string(),
  url: z.string(),
  token: z.string(),
  tokenPrefix: z.string(),
  context: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revoked: z.boolean(),
});
export type CreatedShareDto = z.infer<typeof createdShareDto>;

export const shareInfoDto = z.object({ appId: z.string(), context: z.record(z.string(), z.unknown()) });
export type ShareInfoDto = z.infer<typeof shareInfoDto>;

export const messageDto = z.object({ message: z.string() });
