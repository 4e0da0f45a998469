import type { IncomingMessage } from "node:http";
import getRawBody from "raw-body";
import { CoreError } from "../errors.ts";
import { parseJsonExact } from "./exact-number.ts";
import { findLoneSurrogate, MAX_JSON_NESTING, mayHoldLoneSurrogate, nestsDeeperThan, type PathSegment } from "./input-integrity.ts";

// fatal: bytes that are not UTF-8 are refused, not silently turned into U+FFFD.
const utf8 = new TextDecoder("utf-8", { fatal: true });

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers["content-length"];
  return (len !== undefined && len !== "0") || req.headers["transfer-encoding"] !== undefined;
}

async function readBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  try {
    return await getRawBody(req, { limit });
  } catch (err) {
    const e = err as { type?: string; status?: number };
    if (e.type === "entity.too.large") throw new CoreError("PAYLOAD_TOO_LARGE", `request body exceeds the limit of ${limit} bytes`);
    if (e.type === "encoding.unsupported") throw new CoreError("UNSUPPORTED_MEDIA_TYPE", "unsupported body encoding");
    throw new CoreError("BAD_REQUEST", "request body could not be read");
  }
}

function decode(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new CoreError("BAD_REQUEST", "request body is not valid UTF-8");
  }
}

/**
 * Reads and parses a JSON body within `limit` bytes. The content type is not required to be JSON, so that
 * `curl -d` works as it does against the original; an empty body is `undefined`. Numbers beyond what a double
 * holds exactly arrive as ExactNumber, so that they reach PostgreSQL with their digits.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  if (!hasBody(req)) return undefined;
  const text = decode(await readBytes(req, limit));
  if (text.trim() === "") return undefined;
  if (nestsDeeperThan(text)) throw new CoreError("BAD_REQUEST", `malformed JSON body: arrays and objects nest more than ${MAX_JSON_NESTING} levels deep`);
  let value: unknown;
  try {
    value = parseJsonExact(text);
  } catch (err) {
    throw new CoreError("BAD_REQUEST", `malformed JSON body: ${(err as Error).message}`);
  }
  // Every route stores strings in PostgreSQL, which would turn a lone surrogate into U+FFFD without a word.
  const lone = mayHoldLoneSurrogate(text) ? findLoneSurrogate(value) : undefined;
  if (lone) throw new CoreError("BAD_REQUEST", `${where(lone)}: text cannot contain a lone UTF-16 surrogate`);
  return value;
}

/** `field "title"`, `record 2, field "title"`, or `the body`: where a refused value sits, as the Data API names it. */
function where(path: PathSegment[]): string {
  const [first, second] = path;
  if (typeof first === "string") return `field "${first}"`;
  if (typeof first === "number" && typeof second === "string") return `record ${first}, field "${second}"`;
  return "the body";
}

/**
 * Reads a body as text within `limit` bytes, refusing what is not UTF-8, for handlers that parse it themselves
 * (tRPC). Empty is "".
 */
export async function readTextBody(req: IncomingMessage, limit: number): Promise<string> {
  if (!hasBody(req)) return "";
  return decode(await readBytes(req, limit));
}

/**
 * Reads a body's bytes as sent, within `limit` bytes (413 beyond), for handlers that must keep them exact (an
 * inbound webhook's signature covers the raw bytes). No body is an empty buffer.
 */
export async function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (!hasBody(req)) return Buffer.alloc(0);
  return readBytes(req, limit);
}
