import type { IncomingMessage } from "node:http";
import getRawBody from "raw-body";
import { CoreError } from "../errors.ts";
import { parseJsonExact } from "./exact-number.ts";

// fatal: bytes that are not UTF-8 are refused, not silently turned into U+FFFD.
const utf8 = new TextDecoder("utf-8", { fatal: true });

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers["content-length"];
  return (len !== undefined && len !== "0") || req.headers["transfer-encoding"] !== undefined;
}

/**
 * Reads and parses a JSON body within `limit` bytes. The content type is not required to be JSON, so that
 * `curl -d` works as it does against the original; an empty body is `undefined`. Numbers beyond what a double
 * holds exactly arrive as ExactNumber, so that they reach PostgreSQL with their digits.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  if (!hasBody(req)) return undefined;
  let bytes: Buffer;
  try {
    bytes = await getRawBody(req, { limit });
  } catch (err) {
    const e = err as { type?: string; status?: number };
    if (e.type === "entity.too.large") throw new CoreError("PAYLOAD_TOO_LARGE", `request body exceeds the limit of ${limit} bytes`);
    if (e.type === "encoding.unsupported") throw new CoreError("UNSUPPORTED_MEDIA_TYPE", "unsupported body encoding");
    throw new CoreError("BAD_REQUEST", "request body could not be read");
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new CoreError("BAD_REQUEST", "request body is not valid UTF-8");
  }
  if (text.trim() === "") return undefined;
  try {
    return parseJsonExact(text);
  } catch (err) {
    throw new CoreError("BAD_REQUEST", `malformed JSON body: ${(err as Error).message}`);
  }
}
