import { createHash, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import type pg from "pg";
import { CoreError } from "../errors.ts";
import type { Queryable } from "../db/queryable.ts";
import { sniff, SNIFF_BYTES, type Sniffed } from "./content-sniff.ts";

/**
 * The blob store (migration 0021, docs/STORAGE.md): bytes in PostgreSQL as rows of CHUNK_SIZE, streamed in and out
 * so that neither an upload nor a download holds more than about one chunk of a file in memory. App files and
 * bucket objects own blobs through a `blob_id` column; deleting the owner deletes the blob (trigger).
 */
export const CHUNK_SIZE = 256 * 1024;

export interface WriteBlobOptions {
  /** Bytes allowed; reading stops and PAYLOAD_TOO_LARGE (413) is thrown the moment one more arrives. */
  maxBytes: number;
  /** The content type the uploader claims (a header or multipart part); compared with the first bytes. */
  declaredType?: string | undefined;
  /**
   * Called once the first bytes are known, before anything is written: throw to refuse the upload there
   * (a bucket that allows only images refusing `mismatch`, or a detected type outside its list).
   */
  onSniff?: (sniffed: Sniffed) => void;
}

export interface WrittenBlob {
  blobId: string;
  size: number;
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string;
  /** The stored type: see Sniffed.contentType. */
  contentType: string;
  sniffed: Sniffed;
}

export class BlobIntegrityError extends Error {
  override name = "BlobIntegrityError";
}

/** The blob was deleted (its file or object removed) while it was being read: an ordinary race, not damage. */
export class BlobDeletedError extends Error {
  override name = "BlobDeletedError";
}

const INSERT_CHUNK = "INSERT INTO rootcx_system.storage_blob_chunks (blob_id, seq, data) VALUES ($1, $2, $3)";
const INSERT_BLOB = "INSERT INTO rootcx_system.storage_blobs (id, size, sha256, content_type) VALUES ($1, $2, $3, $4)";

export const tooLarge = (maxBytes: number) => new CoreError("PAYLOAD_TOO_LARGE", `the file exceeds the limit of ${maxBytes} bytes`);

/**
 * Streams `stream` into a new blob on `client`, which must be inside the caller's transaction: the caller's
 * rollback (an error thrown here, a refused name, a client gone half-way) leaves no row behind. Throws
 * PAYLOAD_TOO_LARGE as soon as more than `maxBytes` arrive; iteration stopping destroys the stream, so the rest
 * of an oversize body is never read into memory.
 */
export async function writeBlob(client: Queryable, stream: AsyncIterable<Buffer | Uint8Array>, opts: WriteBlobOptions): Promise<WrittenBlob> {
  const blobId = randomUUID();
  const hash = createHash("sha256");
  let size = 0;
  let seq = 0;
  // Two buffers: one is written to PostgreSQL while the next fills from the stream, so the network and the
  // database work at the same time. A buffer is refilled only once its insert has completed (the driver has
  // copied it into its message by then), so no chunk leaves garbage behind.
  const buffers = [Buffer.allocUnsafe(CHUNK_SIZE), Buffer.allocUnsafe(CHUNK_SIZE)];
  let chunk = buffers[0]!;
  let filled = 0;
  let inFlight: Promise<unknown> | undefined;
  let sniffed: Sniffed | undefined;

  const flush = async () => {
    if (!sniffed) {
      sniffed = await sniff(chunk.subarray(0, Math.min(filled, SNIFF_BYTES)), opts.declaredType);
      opts.onSniff?.(sniffed);
    }
    if (filled === 0) return;
    await inFlight;
    inFlight = client.query(INSERT_CHUNK, [blobId, seq++, filled === CHUNK_SIZE ? chunk : chunk.subarray(0, filled)]);
    // Observed by the next flush or the final await; until then a failure must not be an unhandled rejection.
    inFlight.catch(() => undefined);
    chunk = chunk === buffers[0] ? buffers[1]! : buffers[0]!;
    filled = 0;
  };

  try {
    for await (const piece of stream) {
      const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      if (size + buf.length > opts.maxBytes) throw tooLarge(opts.maxBytes);
      size += buf.length;
      hash.update(buf);
      let at = 0;
      while (at < buf.length) {
        const n = buf.copy(chunk, filled, at);
        filled += n;
        at += n;
        if (filled === CHUNK_SIZE) await flush();
      }
    }
    await flush();
    await inFlight;
  } catch (err) {
    // The caller rolls back next: it must find its connection idle, not behind an insert of ours.
    await inFlight?.catch(() => undefined);
    throw err;
  }
  const sha256 = hash.digest("hex");
  const contentType = sniffed!.contentType;
  await client.query(INSERT_BLOB, [blobId, size, sha256, contentType]);
  return { blobId, size, sha256, contentType, sniffed: sniffed! };
}

/** An inclusive byte range within the blob, as HTTP Range gives it. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface OpenedBlob {
  size: number;
  sha256: string;
  contentType: string;
  /**
   * The bytes (or the range's), read one chunk per query as the consumer pulls. A full read checks the SHA-256
   * before it hands over the last chunk and fails with BlobIntegrityError instead when the stored bytes differ;
   * a missing chunk fails the same way, unless the blob itself is gone by then (BlobDeletedError).
   */
  stream: Readable;
}

/** The blob's metadata and a lazy stream of its bytes, or undefined when there is no such blob. */
export async function openBlob(db: pg.Pool, blobId: string, range?: ByteRange): Promise<OpenedBlob | undefined> {
  const { rows } = await db.query<{ size: string; sha256: string; content_type: string }>(
    "SELECT size, sha256, content_type FROM rootcx_system.storage_blobs WHERE id = $1",
    [blobId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const size = Number(row.size);
  const from = range?.start ?? 0;
  const to = range ? Math.min(range.end, size - 1) : size - 1;
  return { size, sha256: row.sha256, contentType: row.content_type, stream: chunkStream(db, blobId, size, row.sha256, from, to, !range) };
}

const CHUNK_SLICE = "SELECT substring(data FROM $3 FOR $4) AS data FROM rootcx_system.storage_blob_chunks WHERE blob_id = $1 AND seq = $2";

function chunkStream(db: pg.Pool, blobId: string, size: number, sha256: string, from: number, to: number, verify: boolean): Readable {
  const hash = verify ? createHash("sha256") : undefined;
  let pos = from;
  return new Readable({
    // One chunk queued at most: the next query waits until the consumer has taken the previous one.
    highWaterMark: CHUNK_SIZE,
    async read() {
      try {
        if (pos > to) {
          // Only an empty blob reaches here unverified (there was no last chunk to check before).
          if (hash && hash.digest("hex") !== sha256) throw new BlobIntegrityError(`blob ${blobId}: stored bytes do not match their SHA-256`);
          this.push(null);
          return;
        }
        const seq = Math.floor(pos / CHUNK_SIZE);
        const offset = pos - seq * CHUNK_SIZE;
        const length = Math.min(CHUNK_SIZE - offset, to - pos + 1);
        // bytea arrives as hex text (pg's parser decodes every value as UTF-8 text, so binary results would be
        // corrupted): about three chunk sizes of transient memory per chunk read.
        const { rows } = await db.query<{ data: Buffer }>(CHUNK_SLICE, [blobId, seq, offset + 1, length]);
        const data = rows[0]?.data;
        if (!data || data.length !== length) throw await missingChunkError(db, blobId, seq);
        pos += length;
        if (hash) {
          hash.update(data);
          if (pos > to && (pos !== size || hash.digest("hex") !== sha256)) throw new BlobIntegrityError(`blob ${blobId}: stored bytes do not match their SHA-256`);
          if (pos > to) {
            this.push(data);
            this.push(null);
            return;
          }
        }
        this.push(data);
      } catch (err) {
        this.destroy(err instanceof Error ? err : new Error(String(err)));
      }
    },
  });
}

/**
 * Why a chunk is missing: its blob was deleted since the read began (the chunks go with it), or the stored blob
 * lacks bytes its size promises, which is damage.
 */
async function missingChunkError(db: pg.Pool, blobId: string, seq: number): Promise<Error> {
  const { rowCount } = await db.query("SELECT 1 FROM rootcx_system.storage_blobs WHERE id = $1", [blobId]);
  if (!rowCount) return new BlobDeletedError(`blob ${blobId} was deleted during the download (chunk ${seq} was gone)`);
  return new BlobIntegrityError(`blob ${blobId}: chunk ${seq} is missing or short`);
}

/** Deletes a blob and its chunks (an owner's row still referencing it makes this fail: delete the owner instead). */
export async function deleteBlob(client: Queryable, blobId: string): Promise<boolean> {
  const { rowCount } = await client.query("DELETE FROM rootcx_system.storage_blobs WHERE id = $1", [blobId]);
  return (rowCount ?? 0) > 0;
}
