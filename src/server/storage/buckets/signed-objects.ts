import type { Principal } from "../../auth/principal.ts";
import type { Core } from "../../core.ts";
import { CoreError } from "../../errors.ts";
import type { StoredFile } from "../send-file.ts";
import { signTarget, verifyTarget } from "../signed-url.ts";
import * as sql from "./objects-sql.ts";
import { fileFor } from "./objects-service.ts";

/** What a bucket object's signature covers: the bucket and the object, so it cannot be replayed for another. */
const target = (bucket: string, id: string) => `bucket-object:${bucket}:${id}`;

const path = (bucket: string, id: string) => `/api/v1/storage/objects/${bucket}/${id}`;

/** A file of the bucket as the shared download responder (send-file.ts) takes it. */
export const asStoredFile = (o: { name: string; content_type: string | null; size: number | null; sha256: string | null; blob_id: string }): StoredFile => ({
  name: o.name,
  contentType: o.content_type ?? "application/octet-stream",
  size: o.size ?? 0,
  sha256: o.sha256 ?? "",
  blobId: o.blob_id,
});

/**
 * A URL that downloads the file without a token until it expires (read permission, or a public bucket). Rotating
 * the signing key (POST /storage/signing-key/rotate) revokes every such URL at once.
 */
export async function signObjectUrl(core: Core, principal: Principal, bucket: string, id: string, seconds: number): Promise<{ url: string; expiresAt: string }> {
  await fileFor(core, principal, bucket, id);
  const signed = await signTarget(core, target(bucket, id), seconds);
  return { url: `${path(bucket, id)}/signed?${signed.query}`, expiresAt: signed.expiresAt };
}

/** The file behind a signed URL: the signature is the whole authority, so no token and no permission are asked. */
export async function signedObject(core: Core, bucket: string, id: string, expires: string | undefined, signature: string | undefined): Promise<StoredFile> {
  await verifyTarget(core, target(bucket, id), expires, signature);
  const object = await sql.getObject(core.db.pool, bucket, id);
  if (!object?.blob_id) throw new CoreError("NOT_FOUND", `object ${id} not found in bucket ${bucket}`);
  return asStoredFile({ ...object, blob_id: object.blob_id });
}
