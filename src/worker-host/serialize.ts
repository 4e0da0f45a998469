/**
 * How values become wire text. App handlers return whatever they like; the wire carries JSON only, so the few
 * JavaScript values JSON has no form for are given one here instead of failing the whole reply.
 */

const bigintAsString = (_key: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

/** JSON of a value as the wire carries it: a BigInt as its decimal string, a top-level undefined as null. Throws on a cycle. */
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "null";
  } catch {
    // A replacer slows every value down, so it is only paid for when the plain form failed (a BigInt; a cycle fails again).
    return JSON.stringify(value, bigintAsString) ?? "null";
  }
}

/**
 * `text` cut to at most `maxBytes` bytes of UTF-8, never inside a character, with "…" marking the cut.
 * Short strings return untouched without being encoded (a UTF-16 unit is at most 3 UTF-8 bytes).
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  const marker = "…";
  let end = maxBytes - Buffer.byteLength(marker);
  // Back off over continuation bytes (10xxxxxx) so the cut lands on the first byte of a character.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8") + marker;
}

/** The message of anything thrown: an Error's message (or name), an error-like object's message, else its string. */
export function errorText(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message || thrown.name;
  if (typeof thrown === "object" && thrown !== null && "message" in thrown && typeof thrown.message === "string") return thrown.message;
  try {
    return String(thrown);
  } catch {
    // An object without a prototype (or with a throwing toString) has no string form.
    return "unknown error";
  }
}
