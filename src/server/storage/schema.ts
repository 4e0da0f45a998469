import { z } from "zod";
import { NONCE_PATTERN } from "./nonces.ts";
import { MAX_SIGNED_URL_SECONDS } from "./signed-url.ts";

// The identifier rule of app ids (apps/manifest.ts); an unknown app is a 404 from the service.
export const appFileParams = z.object({
  appId: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, { error: "invalid app id: a-z, 0-9 and _, starting with a letter, at most 63 characters" }),
});
export const fileParams = appFileParams.extend({ fileId: z.guid({ error: "file ids are UUIDs" }) });
export const nonceParams = z.object({ nonce: z.string().regex(NONCE_PATTERN, { error: "malformed nonce" }) });

export const signedUrlInput = z.strictObject({
  expiresInSeconds: z
    .int({ error: "expiresInSeconds must be a whole number of seconds" })
    .min(1, { error: "expiresInSeconds must be at least 1" })
    .max(MAX_SIGNED_URL_SECONDS, { error: `expiresInSeconds must be at most ${MAX_SIGNED_URL_SECONDS} (7 days)` })
    .default(3600),
});

export const signedQuery = z.object({
  expires: z.string({ error: "expires must be given once" }).optional(),
  signature: z.string({ error: "signature must be given once" }).optional(),
});

export const appFileDto = z.object({
  file_id: z.string(),
  name: z.string(),
  content_type: z.string(),
  size: z.number(),
  /** Lower-case hex SHA-256 of the bytes; also the download's ETag. */
  sha256: z.string(),
});
export const deletedDto = z.object({ deleted: z.literal(true) });
export const urlDto = z.object({ url: z.string(), expiresAt: z.string() });
export const rotatedDto = z.object({ generation: z.number(), rotatedAt: z.string() });
