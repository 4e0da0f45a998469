import { CoreError } from "../../errors.ts";
import { contentProblem, type Sniffed } from "../content-sniff.ts";

/** SVG is a document that can run script: only a bucket that names it lets it in, never `image/*`. */
const SVG = "image/svg+xml";

/** Whether `type` (a media type essence) is in the list, exactly or under a `type/*` entry; an empty list allows all. */
export function typeAllowed(allowed: readonly string[], type: string): boolean {
  if (allowed.length === 0) return true;
  const t = type.toLowerCase();
  return allowed.some((a) => a === t || (a.endsWith("/*") && t !== SVG && t.startsWith(a.slice(0, -1))));
}

const refused = (bucket: string, what: string, allowed: readonly string[]) =>
  new CoreError("UNSUPPORTED_MEDIA_TYPE", `${what}, which the bucket ${bucket} does not allow (allowed: ${allowed.join(", ")})`);

/** Before any byte is read: the type the uploader declares must be allowed (415, as app files answer a mismatch). */
export function checkDeclaredType(bucket: string, allowed: readonly string[], declared: string | undefined): void {
  if (declared && !typeAllowed(allowed, declared)) throw refused(bucket, `the file is declared as ${declared}`, allowed);
}

/**
 * Once the first bytes are known. In every bucket: markup or script under a non-text declared type. In a bucket
 * that restricts types: bytes that contradict the declared type (an HTML page sent as image/png), a declared
 * image (other than an explicitly allowed SVG) whose bytes are no image file-type recognises, bytes of a type
 * outside the list, or a stored type outside it.
 */
export function checkSniffedType(bucket: string, allowed: readonly string[], sniffed: Sniffed): void {
  if (sniffed.activeUnderPassiveType) throw new CoreError("UNSUPPORTED_MEDIA_TYPE", contentProblem(sniffed)!);
  if (allowed.length === 0) return;
  const problem = contentProblem(sniffed);
  if (problem) throw new CoreError("UNSUPPORTED_MEDIA_TYPE", problem);
  const { declared, detected } = sniffed;
  if (declared?.startsWith("image/") && declared !== SVG && !detected?.startsWith("image/")) {
    throw new CoreError("UNSUPPORTED_MEDIA_TYPE", `the file is declared as ${declared} but its bytes are not an image format the bucket ${bucket} recognises`);
  }
  if (sniffed.detected && !typeAllowed(allowed, sniffed.detected)) throw refused(bucket, `the file's bytes are ${sniffed.detected}`, allowed);
  if (!typeAllowed(allowed, sniffed.contentType)) throw refused(bucket, `the file's type is ${sniffed.contentType}`, allowed);
}
