import { z } from "zod";
import { appIdSchema } from "../apps/manifest.ts";

export { appIdSchema };

/** The longest context accepted, as JSON text: it is stored in a row and compared on every share-token call. */
export const MAX_CONTEXT_BYTES = 2048;

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A JSON value as it can be stored and compared exactly: finite numbers a double holds (a body's ExactNumber,
 * 1e400 say, is refused rather than rounded), no undefined, no class instances.
 */
const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number({ error: "numbers in a share context must be ones a double holds exactly" }).refine(Number.isFinite, "numbers must be finite"),
    z.boolean(),
    z.null(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);

/** What a share is for, as the app defines it (`{"board_id": "…"}`): the keys a public RPC's `scope` names are compared with the call's params. */
export const shareContext = z
  .record(z.string().min(1, "context keys must not be empty").max(100, "context keys are at most 100 characters"), jsonValue, {
    error: 'context must be a JSON object, e.g. {"board_id": "…"}',
  })
  .refine((c) => Buffer.byteLength(JSON.stringify(c)) <= MAX_CONTEXT_BYTES, `context must be at most ${MAX_CONTEXT_BYTES} bytes of JSON`);
export type ShareContext = z.infer<typeof shareContext>;

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
