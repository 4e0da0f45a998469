import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import path from "node:path";
import busboy from "busboy";
import { CoreError } from "../errors.ts";
import { UPLOAD_BODY_LIMIT } from "../http/types.ts";
import { privateWorkDir } from "./work-dirs.ts";

/** A multipart file field, streamed to a private temporary file. `dispose()` removes it. */
export interface UploadedFile {
  file: string;
  size: number;
  sha256: string;
  dispose(): Promise<void>;
}

/** Room for the multipart framing and small fields around a file of exactly `limit` bytes. */
const BODY_SLACK = 64 * 1024;

const tooLarge = (limit: number) => new CoreError("PAYLOAD_TOO_LARGE", `the upload is larger than ${Math.round(limit / 1024 / 1024)} MiB`);

/**
 * Reads the file field `field` of a multipart/form-data request into a temporary file under the data dir,
 * hashing it on the way. Other fields are ignored; a body past `limit` answers 413 without being read further.
 */
export async function receiveFile(req: IncomingMessage, dataDir: string, field: string, limit = UPLOAD_BODY_LIMIT): Promise<UploadedFile> {
  const type = req.headers["content-type"] ?? "";
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw new CoreError("UNSUPPORTED_MEDIA_TYPE", `the body must be multipart/form-data with the file in the field "${field}"`);
  }
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit + BODY_SLACK) throw tooLarge(limit);

  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { fileSize: limit, files: 1, fields: 20, parts: 40 } });
  } catch (err) {
    throw new CoreError("BAD_REQUEST", `malformed multipart body: ${(err as Error).message}`);
  }
  const dir = await mkdtemp(path.join(await privateWorkDir(dataDir, "uploads"), "upload-"));
  const file = path.join(dir, "upload.bin");
  const dispose = () => rm(dir, { recursive: true, force: true });

  try {
    const received = await new Promise<{ size: number; sha256: string } | undefined>((resolve, reject) => {
      let written: Promise<{ size: number; sha256: string }> | undefined;
      let out: ReturnType<typeof createWriteStream> | undefined;
      let bytes = 0;
      let settled = false;
      const fail = (err: CoreError) => {
        if (settled) return;
        settled = true;
        out?.destroy();
        req.unpipe(parser);
        // Nothing more is read; the dispatcher answers with `connection: close`.
        req.resume();
        reject(err);
      };
      parser.on("file", (name, stream) => {
        if (name !== field || written) {
          stream.resume();
          return;
        }
        const hash = createHash("sha256");
        const sink = createWriteStream(file, { mode: 0o600 });
        out = sink;
        stream.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          hash.update(chunk);
        });
        stream.on("limit", () => fail(tooLarge(limit)));
        // busboy destroys the file stream on a cut-off body; unhandled, that error would end the process.
        stream.on("error", (err: Error) => fail(new CoreError("BAD_REQUEST", `malformed or truncated multipart body: ${err.message}`)));
        written = new Promise((done, broke) => {
          sink.on("error", broke);
          sink.on("finish", () => done({ size: bytes, sha256: hash.digest("hex") }));
        });
        // A refused upload destroys the sink; that rejection is already answered by `fail`.
        written.catch(() => undefined);
        stream.pipe(sink);
      });
      parser.on("error", (err: Error) => fail(new CoreError("BAD_REQUEST", `malformed or truncated multipart body: ${err.message}`)));
      parser.on("close", () => {
        if (settled) return;
        if (!written) {
          settled = true;
          resolve(undefined);
          return;
        }
        written.then(
          (r) => {
            settled = true;
            resolve(r);
          },
          (err: unknown) => fail(new CoreError("INTERNAL", "could not store the upload", { cause: err })),
        );
      });
      req.on("aborted", () => fail(new CoreError("BAD_REQUEST", "the upload was cut off before it ended")));
      // The whole body is bounded too, not only the file: a chunked body could carry endless other parts.
      let total = 0;
      req.on("data", (chunk: Buffer) => {
        total += chunk.length;
        if (total > limit + BODY_SLACK) fail(tooLarge(limit));
      });
      req.pipe(parser);
    });
    if (!received) throw new CoreError("BAD_REQUEST", `the multipart field "${field}" holding the file is missing`);
    return { file, ...received, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
