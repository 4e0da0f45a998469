import type { IncomingMessage } from "node:http";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { UPLOAD_BODY_LIMIT } from "../http/types.ts";
import { tooLarge, writeBlob } from "./blob-store.ts";
import { normalizeObjectName, objectNameProblem } from "./buckets/names.ts";
import { contentProblem, isMediaType, type Sniffed } from "./content-sniff.ts";
import { isAppAdmin, requireAppFileAccess } from "./app-file-access.ts";
import * as sql from "./app-files-sql.ts";
import { watchIdleBody } from "./idle-body.ts";
import { receiveFirstFile } from "./multipart.ts";
import { consumeDownloadNonce, consumeUploadNonce, mintDownloadNonce, peekDownloadNonce } from "./nonces.ts";
import { detachedBody } from "./request-body.ts";
import { signTarget, verifyTarget } from "./signed-url.ts";
import { withUploadTransaction } from "./upload-slots.ts";

/** Spec §2.11 / seed 000: an app upload is at most 50 MiB. */
export const APP_FILE_MAX_BYTES = UPLOAD_BODY_LIMIT;

export interface AppFileDto {
  file_id: string;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
}

const dto = (r: sql.AppFileRow): AppFileDto => ({ file_id: r.id, name: r.name, content_type: r.content_type, size: r.size, sha256: r.sha256 });

/** The file name and declared type, checked before a byte of the file is read; answers the name to store (NFC). */
export function checkFileMeta(name: string, contentType: string): string {
  const normalized = normalizeObjectName(name);
  const problem = objectNameProblem(normalized);
  if (problem) throw new CoreError("BAD_REQUEST", `file name: ${problem}`);
  if (!isMediaType(contentType)) throw new CoreError("BAD_REQUEST", `content type ${JSON.stringify(contentType.slice(0, 100))} is not a media type (type/subtype)`);
  return normalized;
}

/**
 * Bytes that contradict the declared type (an HTML page sent as image/png or image/x-foo) are refused before any
 * is stored.
 */
function refuseMismatch(s: Sniffed): void {
  const problem = contentProblem(s);
  if (problem) throw new CoreError("UNSUPPORTED_MEDIA_TYPE", problem);
}

/** POST /apps/{id}/storage/upload: the first multipart file part, 50 MiB at most, owned by the caller. */
export async function uploadAppFile(core: Core, principal: Principal, appId: string, req: IncomingMessage): Promise<AppFileDto> {
  await requireAppFileAccess(core, principal, appId, "write");
  return withUploadTransaction(core.db.pool, `user:${principal.userId}`, async (tx) => {
    const { stored, part } = await receiveFirstFile(
      req,
      APP_FILE_MAX_BYTES,
      core.config.uploadIdleTimeoutMs,
      (p) => void checkFileMeta(p.filename, p.mimeType),
      (stream, p) => writeBlob(tx, stream, { maxBytes: APP_FILE_MAX_BYTES, declaredType: p.mimeType, onSniff: refuseMismatch }),
    );
    const row = await sql.insertAppFile(tx, { appId, name: normalizeObjectName(part.filename), contentType: stored.contentType, size: stored.size, sha256: stored.sha256, blobId: stored.blobId, uploadedBy: principal.userId });
    return dto(row);
  });
}

/**
 * POST /storage/upload/{nonce}: the raw body is the file a worker announced (name, type and size fixed by the
 * nonce; the body may not exceed that size). The nonce is spent before the body is read, so a failed upload
 * needs a new one; the file belongs to the identity the worker served, and counts against that user's share of
 * the upload slots (the app's own, for the lifecycle and anonymous workers).
 */
export async function uploadWithNonce(core: Core, nonce: string, req: IncomingMessage): Promise<AppFileDto> {
  const n = await consumeUploadNonce(core.db.pool, nonce);
  const declaredLength = Number(req.headers["content-length"]);
  if (Number.isFinite(declaredLength) && declaredLength > n.maxSize) throw tooLarge(n.maxSize);
  const { body, release } = detachedBody(req);
  const stopWatching = watchIdleBody(req, core.config.uploadIdleTimeoutMs, (err) => body.destroy(err));
  try {
    return await withUploadTransaction(core.db.pool, n.createdBy ? `user:${n.createdBy}` : `app:${n.appId}`, async (tx) => {
      const blob = await writeBlob(tx, body, { maxBytes: n.maxSize, declaredType: n.contentType, onSniff: refuseMismatch });
      const row = await sql.insertAppFile(tx, { appId: n.appId, name: n.name, contentType: blob.contentType, size: blob.size, sha256: blob.sha256, blobId: blob.blobId, uploadedBy: n.createdBy });
      return dto(row);
    });
  } finally {
    stopWatching();
    release();
  }
}

async function readableFile(core: Core, principal: Principal, appId: string, fileId: string): Promise<sql.AppFileRow> {
  await requireAppFileAccess(core, principal, appId, "read");
  const file = await sql.findAppFile(core.db.pool, appId, fileId);
  if (!file) throw new CoreError("NOT_FOUND", `file ${fileId} not found in app ${JSON.stringify(appId)}`);
  return file;
}

/** GET /apps/{id}/storage/{fileId}: the file's row for the download (any read permission of the app). */
export const getAppFile = readableFile;

/** DELETE /apps/{id}/storage/{fileId}: by its uploader (while it can still read the app) or an app administrator. */
export async function deleteAppFile(core: Core, principal: Principal, appId: string, fileId: string): Promise<{ deleted: true }> {
  const file = await readableFile(core, principal, appId, fileId);
  const held = await core.auth.principals.permissions(principal.userId);
  if (file.uploaded_by !== principal.userId && !isAppAdmin(held, appId)) {
    throw new CoreError("FORBIDDEN", `only the file's uploader or an administrator of the app (app:${appId}:*) may delete it`);
  }
  if (!(await sql.deleteAppFile(core.db.pool, appId, fileId))) throw new CoreError("NOT_FOUND", `file ${fileId} not found in app ${JSON.stringify(appId)}`);
  return { deleted: true };
}

const signedTarget = (appId: string, fileId: string) => `app-file:${appId}:${fileId}`;
const filePath = (appId: string, fileId: string) => `/api/v1/apps/${appId}/storage/${fileId}`;

/** POST /apps/{id}/storage/{fileId}/signed-url: a URL that downloads the file without a token until it expires. */
export async function signAppFileUrl(core: Core, principal: Principal, appId: string, fileId: string, expiresInSeconds: number): Promise<{ url: string; expiresAt: string }> {
  await readableFile(core, principal, appId, fileId);
  const signed = await signTarget(core, signedTarget(appId, fileId), expiresInSeconds);
  return { url: `${filePath(appId, fileId)}/signed?${signed.query}`, expiresAt: signed.expiresAt };
}

/** GET /apps/{id}/storage/{fileId}/signed?expires&signature: no bearer token; the signature is the permission. */
export async function signedAppFile(core: Core, appId: string, fileId: string, expires: string | undefined, signature: string | undefined): Promise<sql.AppFileRow> {
  await verifyTarget(core, signedTarget(appId, fileId), expires, signature);
  const file = await sql.findAppFile(core.db.pool, appId, fileId);
  if (!file) throw new CoreError("NOT_FOUND", `file ${fileId} not found in app ${JSON.stringify(appId)}`);
  return file;
}

/** POST /apps/{id}/storage/{fileId}/download-url: a single-use download nonce (300 s) for a caller who may read it. */
export async function mintAppFileDownload(core: Core, principal: Principal, appId: string, fileId: string): Promise<{ url: string; expiresAt: string }> {
  await readableFile(core, principal, appId, fileId);
  const { nonce, expiresAt } = await mintDownloadNonce(core.db.pool, { appId, fileId, createdBy: principal.userId });
  return { url: `/api/v1/storage/download/${nonce}`, expiresAt };
}

/** GET /storage/download/{nonce}: spends the nonce and answers its file; HEAD (`spend` false) leaves it usable. */
export async function downloadWithNonce(core: Core, nonce: string, spend = true): Promise<sql.AppFileRow> {
  const n = spend ? await consumeDownloadNonce(core.db.pool, nonce) : await peekDownloadNonce(core.db.pool, nonce);
  const file = await sql.findAppFile(core.db.pool, n.appId, n.fileId);
  if (!file) throw new CoreError("NOT_FOUND", "the nonce's file no longer exists");
  return file;
}
