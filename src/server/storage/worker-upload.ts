import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import type { WorkerIdentity } from "../workers/identity.ts";
import { APP_FILE_MAX_BYTES, checkFileMeta } from "./app-files.ts";
import { mintUploadNonce } from "./nonces.ts";

export interface StorageUploadRequest {
  name: string;
  content_type: string;
  size: number;
}

/**
 * A worker's `storage_upload` (spec §4.2, ctx.uploadFile): checks what it announces, then answers the URL of a
 * single-use upload nonce (60 s) that takes at most the announced size. The file will belong to the app and be
 * recorded as uploaded by the user the worker serves (none for the lifecycle and anonymous workers). The app's
 * own backend needs no permission to store files for its app.
 */
export async function workerUploadUrl(core: Core, appId: string, identity: WorkerIdentity, m: StorageUploadRequest): Promise<{ url: string }> {
  if (m.size > APP_FILE_MAX_BYTES) throw new CoreError("PAYLOAD_TOO_LARGE", `the file's ${m.size} bytes exceed the limit of ${APP_FILE_MAX_BYTES} bytes`);
  const name = checkFileMeta(m.name, m.content_type);
  const { nonce } = await mintUploadNonce(core.db.pool, {
    appId,
    name,
    contentType: m.content_type,
    maxSize: m.size,
    createdBy: identity.kind === "user" ? identity.userId : null,
  });
  return { url: `/api/v1/storage/upload/${nonce}` };
}
