import type { IncomingMessage } from "node:http";
import getRawBody from "raw-body";
import { CoreError } from "../errors.ts";

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers["content-length"];
  return (len !== undefined && len !== "0") || req.headers["transfer-encoding"] !== undefined;
}

/**
 * Reads and parses a JSON body within `limit` bytes. The content type is not required to be JSON, so that
 * `curl -d` works as it does against the original; an empty body is `undefined`.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  if (!hasBody(req)) return undefined;
  let text: string;
  try {
    text = await getRawBody(req, { limit, encoding: "utf8" });
  } catch (err) {
    const e = err as { type?: string; status?: number };
    if (e.type === "entity.too.large") throw new CoreError("PAYLOAD_TOO_LARGE", `request body exceeds the limit of ${limit} bytes`);
    if (e.type === "encoding.unsupported") throw new CoreError("UNSUPPORTED_MEDIA_TYPE", "unsupported body encoding");
    throw new CoreError("BAD_REQUEST", "request body could not be read");
  }
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CoreError("BAD_REQUEST", `malformed JSON body: ${(err as Error).message}`);
  }
}
