import { z } from "zod";
import { appIdSchema } from "../apps/manifest.ts";

export { appIdSchema };

/** The longest context accepted, as JSON text: it is stored in a row and compared on every share-token call. */
export const MAX_CONTEXT_BYTES = 2048;

const MAX_DEPTH = 16;

/**
 * Why a value cannot be stored and compared exactly as JSON, or undefined when it can. A body's number that a
 * double cannot hold (an ExactNumber such as 750727362669608961) is refused rather than rounded.
 */
function jsonProblem(v: unknown, depth: number): string | undefined {
  if (v === null || typeof v === "string" || typeof v === "boolean") return undefined;
  if (typeof v === "number") return Number.isFinite(v) ? undefined : "numbers must be finite";
  if (depth > MAX_DEPTH) return `values may be nested at most ${MAX_DEPTH} levels deep`;
  if (Array.isArray(v)) return v.map((x) => jsonProblem(x, depth + 1)).find((p) => p !== undefined);
  const proto = typeof v === "object" ? (Object.getPrototypeOf(v) as unknown) : undefined;
  if (proto === Object.prototype || proto === null) return Object.values(v as object).map((x) => jsonProblem(x, depth + 1)).find((p) => p !== undefined);
  return typeof v === "object" ? "numbers in a share context must be ones a double holds exactly" : `${typeof v} is not a JSON value`;
}

/** What a share is for, as the app defines it (`{"board_id": "…"}`): the keys a public RPC's `scope` names are compared with the call's params. */
export const shareContext = z
  .record(z.string().min(1, "context keys must not be empty").max(100, "context keys are at most 100 characters"), z.unknown(), {
    error: 'context must be a JSON object, e.g. {"board_id": "…"}',
  })
  .superRefine((context, ctx) => {
    for (const [key, value] of Object.entries(context)) {
      const problem = jsonProblem(value, 1);
      if (problem) return ctx.addIssue({ code: "custom", message: problem, path: [key] });
    }
    // Measured only once the depth is known to be bounded (JSON.stringify recurses).
    if (Buffer.byteLength(JSON.stringify(context)) > MAX_CONTEXT_BYTES) ctx.addIssue({ code: "custom", message: `context must be at most ${MAX_CONTEXT_BYTES} bytes of JSON` });
  });
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
