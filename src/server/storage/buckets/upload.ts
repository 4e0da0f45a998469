import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import busboy from "busboy";
import type { Principal } from "../../auth/principal.ts";
import type { Core } from "../../core.ts";
import { withTransaction } from "../../db/queryable.ts";
import { CoreError } from "../../errors.ts";
import { tooLarge, writeBlob, type WrittenBlob } from "../blob-store.ts";
import { mediaTypeEssence } from "../content-sniff.ts";
import { checkDeclaredType, checkSniffedType } from "./allowed-types.ts";
import { objectNameProblem } from "./names.ts";
import * as sql from "./objects-sql.ts";
import { bucketFor, objectWriteError, requireFolder } from "./objects-service.ts";
import { objectId, PLATFORM_MAX_FILE_SIZE, type ObjectDto } from "./schema.ts";

/** Room for the multipart framing and the parent_id field around a file of exactly the limit. */
const BODY_SLACK = 64 * 1024;

interface Received {
  blob: WrittenBlob;
  name: string;
  fields: Map<string, string>;
}

/**
 * POST /storage/objects/{bucket}/upload: one multipart file (and an optional `parent_id` field, before or after
 * it) streamed into a blob inside one transaction; the object row is written once the whole body has arrived.
 * The limit is the bucket's max_file_size or the platform's 64 MiB, whichever is lower; one byte more is 413 at
 * once and the rollback leaves nothing. The declared type is checked before any byte is read, the first bytes
 * before any is stored.
 */
export async function uploadObject(core: Core, principal: Principal, bucketName: string, req: IncomingMessage): Promise<ObjectDto> {
  const bucket = await bucketFor(core, principal, bucketName, "write");
  const maxBytes = Math.min(bucket.max_file_size ?? PLATFORM_MAX_FILE_SIZE, PLATFORM_MAX_FILE_SIZE);
  if (!/^multipart\/form-data\s*;/i.test(req.headers["content-type"] ?? "")) {
    throw new CoreError("UNSUPPORTED_MEDIA_TYPE", "the body must be multipart/form-data with one file (and an optional parent_id field)");
  }
  const declaredLength = Number(req.headers["content-length"]);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes + BODY_SLACK) throw tooLarge(maxBytes);

  return withTransaction(core.db.pool, async (tx) => {
    const received = await receive(req, maxBytes, (stream, declared) =>
      writeBlob(tx, stream, { maxBytes, declaredType: declared, onSniff: (s) => checkSniffedType(bucket.name, bucket.allowed_types, s) }),
      (declared) => checkDeclaredType(bucket.name, bucket.allowed_types, mediaTypeEssence(declared)),
    );
    const rawParent = received.fields.get("parent_id");
    const parsedParent = rawParent === undefined || rawParent === "" ? null : objectId.safeParse(rawParent);
    if (parsedParent && !parsedParent.success) throw new CoreError("BAD_REQUEST", "parent_id: object ids are UUIDs");
    const parentId = parsedParent ? parsedParent.data : null;
    try {
      await requireFolder(tx, bucket.name, parentId);
      return await sql.insertObject(tx, {
        bucket: bucket.name,
        parentId,
        name: received.name,
        createdBy: principal.userId,
        file: { blobId: received.blob.blobId, contentType: received.blob.contentType, size: received.blob.size, sha256: received.blob.sha256 },
      });
    } catch (err) {
      throw objectWriteError(err, bucket.name, received.name, parentId);
    }
  });
}

/**
 * Parses the multipart body: the first file part goes to `store` (a second file is refused), small fields are
 * kept. Any refusal stops reading the body; the dispatcher then answers with `connection: close`.
 */
function receive(
  req: IncomingMessage,
  maxBytes: number,
  store: (stream: Readable, declared: string) => Promise<WrittenBlob>,
  checkDeclared: (declared: string) => void,
): Promise<Received> {
  let parser: busboy.Busboy;
  try {
    // preservePath: a name with "/" is refused, not quietly cut to its last segment; UTF-8: what browsers send.
    parser = busboy({ headers: req.headers, preservePath: true, defParamCharset: "utf8", limits: { fileSize: maxBytes + 1, files: 2, fields: 10, parts: 12, fieldSize: 1024 } });
  } catch (err) {
    return Promise.reject(new CoreError("BAD_REQUEST", `malformed multipart body: ${(err as Error).message}`));
  }
  return new Promise<Received>((resolve, reject) => {
    const fields = new Map<string, string>();
    let stored: Promise<WrittenBlob> | undefined;
    let file: Readable | undefined;
    let name = "";
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      // Nothing more is parsed; what the client still sends is discarded until the answer closes the connection.
      req.resume();
      // The blob writer must have stopped before the caller rolls back and returns the connection to the pool,
      // or a chunk it still had in hand could be written on a connection serving someone else.
      file?.destroy(err instanceof Error ? err : new Error(String(err)));
      (stored ?? Promise.resolve()).then(() => reject(err), () => reject(err));
    };
    parser.on("field", (key: string, value: string) => {
      if (!fields.has(key)) fields.set(key, value);
    });
    parser.on("file", (_field: string, stream: Readable, info: busboy.FileInfo) => {
      // busboy destroys a file stream on a cut-off body; unhandled, that error would end the process.
      stream.on("error", () => undefined);
      if (stored || settled) {
        stream.resume();
        fail(new CoreError("BAD_REQUEST", "one file per upload"));
        return;
      }
      const problem = info.filename === undefined ? "the file part has no filename" : objectNameProblem(info.filename);
      try {
        if (problem) throw new CoreError("BAD_REQUEST", `file name: ${problem}`);
        checkDeclared(info.mimeType);
      } catch (err) {
        stream.resume();
        fail(err);
        return;
      }
      name = info.filename!;
      file = stream;
      stored = store(stream, info.mimeType);
      stored.catch(fail);
    });
    parser.on("error", (err: Error) => fail(new CoreError("BAD_REQUEST", `malformed or truncated multipart body: ${err.message}`)));
    parser.on("close", () => {
      if (settled) return;
      if (!stored) return fail(new CoreError("BAD_REQUEST", "the multipart body has no file"));
      stored.then((blob) => {
        if (settled) return;
        settled = true;
        resolve({ blob, name, fields });
      }, fail);
    });
    req.on("aborted", () => fail(new CoreError("BAD_REQUEST", "the upload was cut off before it ended")));
    // The whole body is bounded too, not only the file: a chunked body could carry endless other parts.
    let total = 0;
    req.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes + BODY_SLACK) fail(tooLarge(maxBytes));
    });
    req.pipe(parser);
  });
}
