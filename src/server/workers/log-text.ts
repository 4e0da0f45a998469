/** The largest message a log line keeps, in UTF-8 bytes (spec §4.4 already bounds a worker's lines; this caps anything else). */
export const MAX_LOG_MESSAGE_BYTES = 8 * 1024;

const marker = (bytes: number) => `… [${bytes} bytes truncated]`;

/** The message cut to at most `maxBytes` UTF-8 bytes, never inside a character, with a marker saying how much went. */
export function truncateUtf8(message: string, maxBytes: number = MAX_LOG_MESSAGE_BYTES): string {
  const buf = Buffer.from(message, "utf8");
  if (buf.length <= maxBytes) return message;
  let end = Math.max(0, maxBytes - Buffer.byteLength(marker(buf.length)));
  // A continuation byte at the cut means the character straddles it: cut before its first byte instead.
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString("utf8") + marker(buf.length - end);
}

/**
 * The message cut so that its JSON string (quotes and escapes included) takes at most `maxBytes` UTF-8 bytes:
 * a NOTIFY payload has a hard size limit, and escaping can make a short message long (a control character
 * becomes six bytes). Never splits a surrogate pair.
 */
export function truncateForJson(message: string, maxBytes: number): string {
  const size = (s: string) => Buffer.byteLength(JSON.stringify(s));
  if (size(message) <= maxBytes) return message;
  const total = Buffer.byteLength(message);
  let lo = 0;
  let hi = message.length;
  // The longest prefix that fits with the marker: fitting is monotonic in the prefix length.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (size(message.slice(0, mid) + marker(total)) <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  // A cut between the halves of a surrogate pair never wins: JSON escapes the lone half as six bytes, more than
  // the whole pair's four, so the prefix one longer fits whenever this one does.
  const kept = message.slice(0, lo);
  return kept + marker(total - Buffer.byteLength(kept));
}
