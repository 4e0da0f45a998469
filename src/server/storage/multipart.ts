import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import busboy from "busboy";
import { CoreError } from "../errors.ts";
import { tooLarge } from "./blob-store.ts";
import { watchIdleBody } from "./idle-body.ts";
import { clientGone } from "./request-body.ts";

/** Room for the multipart framing and a few small fields around a file of exactly the limit. */
export const MULTIPART_SLACK = 64 * 1024;

export interface FilePart {
  filename: string;
  /** The part's Content-Type (busboy says application/octet-stream when the part has none). */
  mimeType: string;
}

/**
 * Streams the FIRST file part of a multipart body into `store` (spec §2.11: the original takes the first file;
 * later file parts are read past and ignored). Fields, before or after the file, come back in `fields` (a name
 * given twice is a 400; bucket uploads take `parent_id` there). `check` sees the part's name and type before a byte
 * of it is read and may throw to refuse. Resolves only once the whole body has arrived, so a client that goes
 * away half-way (its last part cut short) is an error, never a shortened file. Any refusal stops parsing and
 * waits for `store` to settle, so the caller's transaction is idle before it is rolled back. A body that sends
 * nothing for `idleMs` fails with REQUEST_TIMEOUT (408) the same way.
 */
export function receiveFirstFile<T>(
  req: IncomingMessage,
  maxBytes: number,
  idleMs: number,
  check: (part: FilePart) => void,
  store: (stream: Readable, part: FilePart) => Promise<T>,
): Promise<{ stored: T; part: FilePart; fields: Map<string, string> }> {
  if (!/^multipart\/form-data\s*;/i.test(req.headers["content-type"] ?? "")) {
    return Promise.reject(new CoreError("UNSUPPORTED_MEDIA_TYPE", "the body must be multipart/form-data with a file part"));
  }
  const declaredLength = Number(req.headers["content-length"]);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes + MULTIPART_SLACK) return Promise.reject(tooLarge(maxBytes));
  // A client that left while the upload waited for a slot emits nothing more: its body would be awaited forever.
  if (clientGone(req)) return Promise.reject(new CoreError("BAD_REQUEST", "the upload was cut off before it ended"));
  let parser: busboy.Busboy;
  try {
    // preservePath: a name with "/" is refused, not quietly cut to its last segment; UTF-8: what browsers send.
    parser = busboy({ headers: req.headers, preservePath: true, defParamCharset: "utf8", limits: { fileSize: maxBytes + 1, files: 8, fields: 16, parts: 24, fieldSize: 4096 } });
  } catch (err) {
    return Promise.reject(new CoreError("BAD_REQUEST", `malformed multipart body: ${(err as Error).message}`));
  }
  return new Promise((resolve, reject) => {
    let storing: Promise<T> | undefined;
    let file: Readable | undefined;
    let part: FilePart | undefined;
    let settled = false;
    const fields = new Map<string, string>();
    const stopWatching = watchIdleBody(req, idleMs, (err) => fail(err));
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      stopWatching();
      req.unpipe(parser);
      // Nothing more is parsed; what the client still sends is discarded until the answer closes the connection.
      req.resume();
      file?.destroy(err instanceof Error ? err : new Error(String(err)));
      (storing ?? Promise.resolve()).then(() => reject(err), () => reject(err));
    };
    parser.on("field", (name: string, value: string) => {
      // A repeated field has no one meaning (first wins? last?): refused rather than guessed.
      if (fields.has(name)) fail(new CoreError("BAD_REQUEST", `the field ${JSON.stringify(name.slice(0, 100))} is given more than once`));
      else fields.set(name, value);
    });
    parser.on("file", (_field: string, stream: Readable, info: busboy.FileInfo) => {
      // busboy destroys a file stream on a cut-off body; unhandled, that error would end the process.
      stream.on("error", () => undefined);
      if (storing || settled) {
        stream.resume();
        return;
      }
      if (info.filename === undefined) {
        stream.resume();
        fail(new CoreError("BAD_REQUEST", "the file part has no filename"));
        return;
      }
      const thisPart = { filename: info.filename, mimeType: info.mimeType };
      try {
        check(thisPart);
      } catch (err) {
        stream.resume();
        fail(err);
        return;
      }
      part = thisPart;
      file = stream;
      storing = store(stream, thisPart);
      storing.catch(fail);
    });
    parser.on("error", (err: Error) => fail(new CoreError("BAD_REQUEST", `malformed or truncated multipart body: ${err.message}`)));
    parser.on("close", () => {
      if (settled) return;
      if (!storing || !part) return fail(new CoreError("BAD_REQUEST", "the multipart body has no file part"));
      const done = part;
      storing.then((stored) => {
        if (settled) return;
        settled = true;
        stopWatching();
        resolve({ stored, part: done, fields });
      }, fail);
    });
    const cutOff = () => {
      if (!req.complete) fail(new CoreError("BAD_REQUEST", "the upload was cut off before it ended"));
    };
    req.on("aborted", cutOff);
    req.on("close", cutOff);
    // The whole body is bounded too, not only the file: a chunked body could carry endless other parts.
    let total = 0;
    req.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes + MULTIPART_SLACK) fail(tooLarge(maxBytes));
    });
    req.pipe(parser);
  });
}
