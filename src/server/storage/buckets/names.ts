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
// Bidirectional controls make a name display as another ("invoice\u202Efdp.exe" reads as "invoiceexe.pdf").
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
// Other invisible format characters (zero-width space and joiners, BOM, soft hyphen): two names that look the same.
const FORMAT = /\p{Cf}/u;
// JavaScript's \s: ASCII white space, NBSP, the Unicode spaces, line and paragraph separators.
const EDGE_SPACE = /^\s|\s$/u;

/**
 * Names are stored and compared in Unicode NFC, so "é" typed precomposed or as "e" + combining accent is one name.
 * Callers normalise first and check the normalised form.
 */
export const normalizeObjectName = (name: string): string => name.normalize("NFC");

/** Why `name` (already NFC) cannot name an object or folder, or undefined when it can. Counts code points, not UTF-16 units. */
export function objectNameProblem(name: string): string | undefined {
  if (name.length === 0) return "name must not be empty";
  if (CONTROL.test(name)) return "name must not contain NUL or other control characters";
  if (BIDI.test(name)) return "name must not contain bidirectional control characters (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C)";
  if (FORMAT.test(name)) return "name must not contain invisible format characters (zero-width spaces and joiners, U+FEFF, soft hyphens)";
  if (EDGE_SPACE.test(name)) return "name must not start or end with white space";
  if (name.includes("\\")) return 'name must not contain "\\"';
  if (name.includes("/")) return 'name must not contain "/" (folders are objects of their own)';
  if (name === "." || name === "..") return 'name must not be "." or ".."';
  if ([...name].length > MAX_OBJECT_NAME) return `name must be at most ${MAX_OBJECT_NAME} characters`;
  return undefined;
}

export const objectName = z
  .string({ error: "name must be a string" })
  .transform(normalizeObjectName)
  .superRefine((name, ctx) => {
    const problem = objectNameProblem(name);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
