import { z } from "zod";
import { bucketName, objectName } from "./names.ts";

/** The platform's ceiling for one object (spec §1: 64 MiB for storage uploads); a bucket may only lower it. */
export const PLATFORM_MAX_FILE_SIZE = 64 * 1024 * 1024;

// A media type or a `type/*` wildcard, lower case (RFC 6838 restricted names).
const MEDIA_RANGE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]{0,126})$/;

export const allowedType = z
  .string({ error: "allowed_types entries must be strings" })
  .transform((t) => t.trim().toLowerCase())
  .refine((t) => MEDIA_RANGE.test(t), { error: 'allowed_types entries are media types like "image/png" or wildcards like "image/*"' });

export const createBucketInput = z.strictObject({
  name: bucketName,
  public: z.boolean({ error: "public must be true or false" }).optional(),
  max_file_size: z
    .int({ error: "max_file_size must be a whole number of bytes" })
    .min(1, { error: "max_file_size must be at least 1 byte" })
    .max(PLATFORM_MAX_FILE_SIZE, { error: `max_file_size must be at most ${PLATFORM_MAX_FILE_SIZE} bytes (the platform's limit)` })
    .nullish(),
  allowed_types: z.array(allowedType).max(100, { error: "at most 100 allowed_types" }).nullish(),
});
export type CreateBucketInput = z.infer<typeof createBucketInput>;

export const bucketDto = z.object({
  name: z.string(),
  public: z.boolean(),
  /** null: the platform's limit. */
  max_file_size: z.number().nullable(),
  /** Empty: any type. */
  allowed_types: z.array(z.string()),
  created_at: z.string(),
});
export type BucketDto = z.infer<typeof bucketDto>;

export const objectId = z.guid({ error: "object ids are UUIDs" });

export const objectDto = z.object({
  id: z.string(),
  bucket: z.string(),
  parent_id: z.string().nullable(),
  name: z.string(),
  is_folder: z.boolean(),
  content_type: z.string().nullable(),
  size: z.number().nullable(),
  sha256: z.string().nullable(),
  created_by: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ObjectDto = z.infer<typeof objectDto>;

export const createFolderInput = z.strictObject({ name: objectName, parent_id: objectId.nullish() });
export type CreateFolderInput = z.infer<typeof createFolderInput>;

/** PATCH: a new name, a new parent (null: the bucket's root), or both; an absent field is kept. */
export const updateObjectInput = z
  .strictObject({ name: objectName.optional(), parent_id: objectId.nullable().optional() })
  .refine((b) => b.name !== undefined || b.parent_id !== undefined, { error: "give name, parent_id or both" });
export type UpdateObjectInput = z.infer<typeof updateObjectInput>;

export const breadcrumbDto = z.array(z.object({ id: z.string(), name: z.string() }));

export const deletedDto = z.object({ deleted: z.literal(true) });

