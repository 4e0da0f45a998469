import { gzipSync } from "node:zlib";

/**
 * Raw ustar archives, header byte by header byte: the hostile entries (`../evil`, `/abs`, links out, devices)
 * that node-tar refuses to create are exactly what the deploy must refuse to extract.
 */
export interface RawEntry {
  name: string;
  /** "0" file, "1" hard link, "2" symlink, "3" char device, "4" block device, "5" directory, "6" FIFO. */
  type?: "0" | "1" | "2" | "3" | "4" | "5" | "6";
  body?: Buffer | string;
  linkname?: string;
  mode?: number;
  /** Declared size when it should differ from the body (a lying header). */
  size?: number;
}

function field(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value, offset, Math.min(length, Buffer.byteLength(value)), "utf8");
}

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, "0") + "\0";
}

export function tarHeader(e: RawEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  field(h, 0, 100, e.name);
  field(h, 100, 8, octal(e.mode ?? (e.type === "5" ? 0o755 : 0o644), 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  field(h, 124, 12, octal(size, 12));
  field(h, 136, 12, octal(Math.floor(Date.now() / 1000), 12));
  field(h, 148, 8, "        ");
  field(h, 156, 1, e.type ?? "0");
  field(h, 157, 100, e.linkname ?? "");
  field(h, 257, 6, "ustar\0");
  field(h, 263, 2, "00");
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

/** The uncompressed tar of `entries`, with the two zero blocks that end an archive. */
export function rawTar(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? "");
    parts.push(tarHeader(e, e.size ?? body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const rawTarGz = (entries: RawEntry[]): Buffer => gzipSync(rawTar(entries));

/** A .tar.gz of plain files (and their directories, implied): `{ "index.ts": "…", "migrations/001.sql": "…" }`. */
export function filesTarGz(files: Record<string, string | Buffer>): Buffer {
  return rawTarGz(Object.entries(files).map(([name, body]) => ({ name, body })));
}
