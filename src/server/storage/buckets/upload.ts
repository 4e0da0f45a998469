import type { IncomingMessage } from "node:http";
import type { Principal } from "../../auth/principal.ts";
import type { Core } from "../../core.ts";
import { CoreError } from "../../errors.ts";
import { writeBlob } from "../blob-store.ts";
import { mediaTypeEssence } from "../content-sniff.ts";
import { receiveFirstFile } from "../multipart.ts";
import { clientGone } from "../request-body.ts";
import { withUploadTransaction } from "../upload-slots.ts";
import { checkDeclaredType, checkSniffedType } from "./allowed-types.ts";
import { normalizeObjectName, objectNameProblem } from "./names.ts";
import * as sql from "./objects-sql.ts";
import { bucketFor, objectWriteError, requireFolder } from "./objects-service.ts";
import { objectId, PLATFORM_MAX_FILE_SIZE, type ObjectDto } from "./schema.ts";

/**
 * POST /storage/objects/{bucket}/upload: the multipart body's file (and an optional `parent_id` field, before or
 * after it) streamed into a blob inside one transaction; the object row is written once the whole body has
 * arrived. The limit is the bucket's max_file_size or the platform's 64 MiB, whichever is lower; one byte more is
 * 413 at once and the rollback leaves nothing. The name and declared type are checked before any byte is read,
 * the first bytes before any is stored. Like app uploads it takes one of the bounded upload slots (and the
 * caller's share of them), so stalled uploads cannot hold the whole database pool.
 */
export async function uploadObject(core: Core, principal: Principal, bucketName: string, req: IncomingMessage): Promise<ObjectDto> {
  const bucket = await bucketFor(core, principal, bucketName, "write");
  const maxBytes = Math.min(bucket.max_file_size ?? PLATFORM_MAX_FILE_SIZE, PLATFORM_MAX_FILE_SIZE);
  // A client that left while the checks above waited (on a lock, say) needs neither an upload slot nor a transaction.
  if (clientGone(req)) throw new CoreError("BAD_REQUEST", "the upload was cut off before it ended");
  return withUploadTransaction(core.db.pool, `user:${principal.userId}`, async (tx) => {
    const { stored, part, fields } = await receiveFirstFile(
      req,
      maxBytes,
      core.config.uploadIdleTimeoutMs,
      (p) => {
        const problem = objectNameProblem(normalizeObjectName(p.filename));
        if (problem) throw new CoreError("BAD_REQUEST", `file name: ${problem}`);
        checkDeclaredType(bucket.name, bucket.allowed_types, mediaTypeEssence(p.mimeType));
      },
      (stream, p) => writeBlob(tx, stream, { maxBytes, declaredType: p.mimeType, onSniff: (s) => checkSniffedType(bucket.name, bucket.allowed_types, s) }),
    );
    const rawParent = fields.get("parent_id");
    const parsedParent = rawParent === undefined || rawParent === "" ? null : objectId.safeParse(rawParent);
    if (parsedParent && !parsedParent.success) throw new CoreError("BAD_REQUEST", "parent_id: object ids are UUIDs");
    const parentId = parsedParent ? parsedParent.data : null;
    const name = normalizeObjectName(part.filename);
    try {
      await requireFolder(tx, bucket.name, parentId);
      return await sql.insertObject(tx, {
        bucket: bucket.name,
        parentId,
        name,
        createdBy: principal.userId,
        file: { blobId: stored.blobId, contentType: stored.contentType, size: stored.size, sha256: stored.sha256 },
      });
    } catch (err) {
      throw objectWriteError(err, bucket.name, name, parentId);
    }
  });
}
