import { createHash, randomBytes } from "node:crypto";
import type { Queryable } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";

/**
 * Single-use nonces for uploads (60 s: a worker's ctx.uploadFile) and downloads (300 s: agents, links handed to
 * another program), kept in PostgreSQL so any Core process honours them and a restart does not lose them. Only
 * the SHA-256 of a nonce is stored; using one deletes it in the same statement, so two concurrent uses cannot
 * both succeed.
 */
export const UPLOAD_NONCE_SECONDS = 60;
export const DOWNLOAD_NONCE_SECONDS = 300;

/** The shape of a nonce in a URL: 32 random bytes, base64url. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface UploadNonce {
  kind: "upload";
  appId: string;
  name: string;
  contentType: string;
  maxSize: number;
  createdBy: string | null;
}

export interface DownloadNonce {
  kind: "download";
  appId: string;
  fileId: string;
  createdBy: string | null;
}

const hashOf = (nonce: string) => createHash("sha256").update(nonce).digest("hex");

async function mint(db: Queryable, seconds: number, fields: (string | number | null)[]): Promise<{ nonce: string; expiresAt: string }> {
  // Spent and expired nonces are never looked at again; the index on expires_at keeps this sweep cheap.
  await db.query("DELETE FROM rootcx_system.storage_nonces WHERE expires_at < now()");
  const nonce = randomBytes(32).toString("base64url");
  const { rows } = await db.query<{ expires_at: Date }>(
    `INSERT INTO rootcx_system.storage_nonces (nonce_hash, kind, app_id, file_id, name, content_type, max_size, created_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9)) RETURNING expires_at`,
    [hashOf(nonce), ...fields, seconds],
  );
  return { nonce, expiresAt: rows[0]!.expires_at.toISOString() };
}

export function mintUploadNonce(db: Queryable, n: Omit<UploadNonce, "kind">): Promise<{ nonce: string; expiresAt: string }> {
  return mint(db, UPLOAD_NONCE_SECONDS, ["upload", n.appId, null, n.name, n.contentType, n.maxSize, n.createdBy]);
}

export function mintDownloadNonce(db: Queryable, n: Omit<DownloadNonce, "kind">): Promise<{ nonce: string; expiresAt: string }> {
  return mint(db, DOWNLOAD_NONCE_SECONDS, ["download", n.appId, n.fileId, null, null, null, n.createdBy]);
}

interface NonceRow {
  app_id: string;
  file_id: string | null;
  name: string | null;
  content_type: string | null;
  max_size: string | null;
  created_by: string | null;
  expired: boolean;
}

/** Uses up a nonce of `kind`: 404 when unknown or already used, 403 when it expired (it is spent either way). */
async function consume(db: Queryable, nonce: string, kind: "upload" | "download"): Promise<NonceRow> {
  if (!NONCE_PATTERN.test(nonce)) throw new CoreError("NOT_FOUND", `unknown or already used ${kind} nonce`);
  const { rows } = await db.query<NonceRow>(
    `DELETE FROM rootcx_system.storage_nonces WHERE nonce_hash = $1 AND kind = $2
     RETURNING app_id, file_id, name, content_type, max_size, created_by, expires_at <= now() AS expired`,
    [hashOf(nonce), kind],
  );
  const row = rows[0];
  if (!row) throw new CoreError("NOT_FOUND", `unknown or already used ${kind} nonce`);
  if (row.expired) throw new CoreError("FORBIDDEN", `the ${kind} nonce expired`);
  return row;
}

export async function consumeUploadNonce(db: Queryable, nonce: string): Promise<UploadNonce> {
  const r = await consume(db, nonce, "upload");
  return { kind: "upload", appId: r.app_id, name: r.name!, contentType: r.content_type!, maxSize: Number(r.max_size), createdBy: r.created_by };
}

export async function consumeDownloadNonce(db: Queryable, nonce: string): Promise<DownloadNonce> {
  const r = await consume(db, nonce, "download");
  return { kind: "download", appId: r.app_id, fileId: r.file_id!, createdBy: r.created_by };
}

/** A download nonce's file without spending it (HEAD): the same 404 and 403 a download would answer. */
export async function peekDownloadNonce(db: Queryable, nonce: string): Promise<DownloadNonce> {
  if (!NONCE_PATTERN.test(nonce)) throw new CoreError("NOT_FOUND", "unknown or already used download nonce");
  const { rows } = await db.query<NonceRow>(
    `SELECT app_id, file_id, created_by, expires_at <= now() AS expired FROM rootcx_system.storage_nonces WHERE nonce_hash = $1 AND kind = 'download'`,
    [hashOf(nonce)],
  );
  const row = rows[0];
  if (!row) throw new CoreError("NOT_FOUND", "unknown or already used download nonce");
  if (row.expired) throw new CoreError("FORBIDDEN", "the download nonce expired");
  return { kind: "download", appId: row.app_id, fileId: row.file_id!, createdBy: row.created_by };
}
