import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { create as contentDisposition } from "content-disposition";
import rangeParser from "range-parser";
import type { Core } from "../core.ts";
import type { RestResult } from "../http/types.ts";
import { CoreError } from "../errors.ts";
import { BlobDeletedError, BlobIntegrityError, openBlob, type ByteRange } from "./blob-store.ts";

/** What a download needs to know about the stored file. */
export interface StoredFile {
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  blobId: string;
}

/**
 * A file download as a streamed REST answer: `Content-Disposition: attachment` with the name encoded per RFC 6266
 * / 5987 (an ASCII fallback plus `filename*`), `nosniff`, `Content-Length`, the SHA-256 as a strong `ETag`
 * (`If-None-Match` → 304), and one byte range (`Range` → 206, unsatisfiable → 416; several ranges, a malformed
 * header, or an `If-Range` that is not the ETag, get the whole file, as RFC 9110 allows). A HEAD request gets the
 * same status and headers and no body, without reading the blob.
 */
export function sendStoredFile(core: Core, req: IncomingMessage, file: StoredFile): RestResult {
  const etag = `"${file.sha256}"`;
  const headers: Record<string, string> = {
    "content-type": file.contentType,
    "content-disposition": contentDisposition(file.name, { type: "attachment" }),
    "x-content-type-options": "nosniff",
    "accept-ranges": "bytes",
    etag,
    "cache-control": "private, no-cache",
  };
  const head = req.method === "HEAD";
  if (ifNoneMatch(req.headers["if-none-match"], etag)) {
    return { stream: (res) => void res.writeHead(304, headers).end() };
  }
  const range = requestedRange(req, file.size, etag);
  if (range === "unsatisfiable") {
    throw new CoreError("RANGE_NOT_SATISFIABLE", `the range is outside the file's ${file.size} bytes`, { headers: { "content-range": `bytes */${file.size}` } });
  }
  const status = range ? 206 : 200;
  headers["content-length"] = String(range ? range.end - range.start + 1 : file.size);
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${file.size}`;
  if (head) return { stream: (res) => void res.writeHead(status, headers).end() };
  return {
    stream: async (res: ServerResponse) => {
      const blob = await openBlob(core.db.pool, file.blobId, range);
      if (!blob) {
        res.writeHead(404, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify({ error: "file not found" }));
        return;
      }
      res.writeHead(status, headers);
      try {
        await pipeline(blob.stream, res);
      } catch (err) {
        // Headers are gone: the client sees a body shorter than its Content-Length. A client leaving is no fault.
        if (err instanceof BlobIntegrityError) core.log.error({ err, blobId: file.blobId }, "file download failed: stored bytes damaged");
        else if (err instanceof BlobDeletedError) core.log.info({ blobId: file.blobId }, "file download cut short: the file was deleted during download");
        else core.log.debug({ err, blobId: file.blobId }, "file download ended early");
        res.destroy();
      }
    },
  };
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.trim() === "*" || header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

function requestedRange(req: IncomingMessage, size: number, etag: string): ByteRange | "unsatisfiable" | undefined {
  const header = req.headers.range;
  if (!header) return undefined;
  const ifRange = req.headers["if-range"];
  if (typeof ifRange === "string" && ifRange.trim() !== etag) return undefined;
  const normalized = normalizeRangeHeader(header, size);
  if (normalized === undefined) return undefined;
  const parsed = rangeParser(size, normalized, { combine: true });
  if (parsed === -1) return "unsatisfiable";
  // -2: malformed, ignored (the whole file); a non-bytes unit likewise.
  if (parsed === -2 || parsed.type !== "bytes" || parsed.length !== 1) return undefined;
  return { start: parsed[0]!.start, end: parsed[0]!.end };
}

const RANGE_SPEC = /^\s*(\d*)\s*-\s*(\d*)\s*$/;

/**
 * What range-parser gets wrong against RFC 9110 §14.1.2, fixed before it reads the header: a suffix longer than
 * the file means the whole file (range-parser calls it unsatisfiable), and a spec whose last byte comes before its
 * first is invalid, so the header is ignored (undefined: the whole file, 200) rather than answered with 416.
 */
function normalizeRangeHeader(header: string, size: number): string | undefined {
  const eq = header.indexOf("=");
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== "bytes") return undefined;
  const specs: string[] = [];
  for (const part of header.slice(eq + 1).split(",")) {
    const m = RANGE_SPEC.exec(part);
    if (!m || (m[1] === "" && m[2] === "")) return undefined;
    const [first, last] = [m[1]!, m[2]!];
    if (first !== "" && last !== "" && BigInt(last) < BigInt(first)) return undefined;
    specs.push(first === "" && BigInt(last) > BigInt(size) ? `-${size}` : `${first}-${last}`);
  }
  return `bytes=${specs.join(",")}`;
}
