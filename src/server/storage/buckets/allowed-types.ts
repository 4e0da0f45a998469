import { CoreError } from "../../errors.ts";
import { mismatchMessage, type Sniffed } from "../content-sniff.ts";

/** Whether `type` (a media type essence) is in the list, exactly or under a `type/*` entry; an empty list allows all. */
export function typeAllowed(allowed: readonly string[], type: string): boolean {
  if (allowed.length === 0) return true;
  const t = type.toLowerCase();
  return allowed.some((a) => a === t || (a.endsWith("/*") && t.startsWith(a.slice(0, -1))));
}

const refused = (bucket: string, what: string, allowed: readonly string[]) =>
  new CoreError("UNSUPPORTED_MEDIA_TYPE", `${what}, which the bucket ${bucket} does not allow (allowed: ${allowed.join(", ")})`);

/** Before any byte is read: the type the uploader declares must be allowed (415, as app files answer a mismatch). */
export function checkDeclaredType(bucket: string, allowed: readonly string[], declared: string | undefined): void {
  if (declared && !typeAllowed(allowed, declared)) throw refused(bucket, `the file is declared as ${declared}`, allowed);
}

/**
 * Once the first bytes are known, in a bucket that restricts types: bytes that contradict the declared type
 * (an HTML page sent as image/png), bytes of a type outside the list, or a stored type outside it are refused.
 */
export function checkSniffedType(bucket: string, allowed: readonly string[], sniffed: Sniffed): void {
  if (allowed.length === 0) return;
  if (sniffed.mismatch) throw new CoreError("UNSUPPORTED_MEDIA_TYPE", mismatchMessage(sniffed));
  if (sniffed.detected && !typeAllowed(allowed, sniffed.detected)) throw refused(bucket, `the file's bytes are ${sniffed.detected}`, allowed);
  if (!typeAllowed(allowed, sniffed.contentType)) throw refused(bucket, `the file's type is ${sniffed.contentType}`, allowed);
}
