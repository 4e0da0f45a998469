import { z } from "zod";

/**
 * Bucket names are the spec's alphabet without upper case and "-": a bucket's name is one segment of its
 * permission keys (`storage:{bucket}:read`), and keys are `[a-z0-9_:.*]` (migration 0003), so a name outside
 * that alphabet could never be granted on its own.
 */
export const bucketName = z
  .string({ error: "bucket name must be a string" })
  .regex(/^[a-z0-9_]{1,63}$/, { error: "bucket names are 1 to 63 characters of a-z, 0-9 and _ (they are part of the bucket's permission keys)" });

/** The seeded bucket: always there, never deleted. */
export const DEFAULT_BUCKET = "default";

export const MAX_OBJECT_NAME = 255;

// C0 and C1 control characters (NUL included) and DEL: they break terminals, logs and Content-Disposition headers.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/** Why `name` cannot name an object or folder, or undefined when it can. Counts code points, not UTF-16 units. */
export function objectNameProblem(name: string): string | undefined {
  if (name.length === 0) return "name must not be empty";
  if (CONTROL.test(name)) return "name must not contain NUL or other control characters";
  if (name.includes("/")) return 'name must not contain "/" (folders are objects of their own)';
  if (name === "." || name === "..") return 'name must not be "." or ".."';
  if ([...name].length > MAX_OBJECT_NAME) return `name must be at most ${MAX_OBJECT_NAME} characters`;
  return undefined;
}

export const objectName = z.string({ error: "name must be a string" }).superRefine((name, ctx) => {
  const problem = objectNameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
