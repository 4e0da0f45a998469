import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry, x as extract } from "tar";
import { CoreError } from "../errors.ts";

/** Bounds an uploaded archive may expand to. The 50 MiB upload cap bounds the compressed side. */
export interface ArchiveLimits {
  maxEntries: number;
  /** Bytes of file content, counted while reading, never taken from the headers. */
  maxBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = { maxEntries: 20_000, maxBytes: 500 * 1024 * 1024 };

/** Entry types an app's code or frontend can hold; anything else (devices, FIFOs, unknown) refuses the archive. */
const ACCEPTED_TYPES = new Set(["File", "OldFile", "ContiguousFile", "Directory", "SymbolicLink", "Link"]);

/** What may follow the two zero blocks that end a tar: record padding, not a payload. */
const MAX_TRAILING_BYTES = 64 * 1024;

const refuse = (reason: string) => new CoreError("BAD_REQUEST", `archive refused: ${reason}`);

/** `p` as a path below the archive root, or a reason it is not one (absolute, `..`, NUL). */
function badPath(p: string): string | undefined {
  if (p.includes("\0")) return "contains a NUL byte";
  if (p.startsWith("/") || /^[a-zA-Z]:/.test(p) || p.startsWith("\\")) return "is an absolute path";
  if (p.split(/[/\\]/).includes("..")) return "contains a '..' component";
  return undefined;
}

/** Why `entry` may not be extracted below the staging root, or undefined when it may. */
function entryProblem(entry: ReadEntry): string | undefined {
  const name = JSON.stringify(entry.path);
  if (!ACCEPTED_TYPES.has(entry.type)) return `entry ${name} is a ${entry.type} entry; only files, directories and links are accepted`;
  const pathProblem = badPath(entry.path);
  if (pathProblem) return `entry ${name} ${pathProblem}`;
  if (entry.type === "SymbolicLink" || entry.type === "Link") {
    const target = entry.linkpath ?? "";
    const kind = entry.type === "Link" ? "hard link" : "symlink";
    if (!target || target.includes("\0") || target.startsWith("/") || /^[a-zA-Z]:/.test(target)) {
      return `${kind} ${name} points outside the archive (${JSON.stringify(target)})`;
    }
    // A symlink's target is relative to its own directory; a hard link's to the archive root.
    const base = entry.type === "Link" ? "" : path.posix.dirname(entry.path);
    const resolved = path.posix.normalize(path.posix.join(base, target));
    if (resolved === ".." || resolved.startsWith("../")) return `${kind} ${name} points outside the archive (${JSON.stringify(target)})`;
  }
  return undefined;
}

async function assertGzip(file: string): Promise<void> {
  const fh = await open(file, "r");
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(2), 0, 2, 0);
    if (bytesRead < 2 || buffer[0] !== 0x1f || buffer[1] !== 0x8b) throw refuse("not a gzip-compressed tar (.tar.gz) file");
  } finally {
    await fh.close();
  }
}

/**
 * Reads the whole archive once without writing anything: every entry is checked, and the content is counted as it
 * is decompressed. Any problem refuses the whole archive, so extraction never starts on a hostile one.
 */
async function inspect(file: string, limits: ArchiveLimits): Promise<{ entries: number; bytes: number }> {
  let entries = 0;
  let bytes = 0;
  let problem: CoreError | undefined;
  // Headers and padding take at most ~1.5 KiB per entry; beyond that, decompressed bytes are a bomb.
  const decompressedCap = limits.maxBytes + (limits.maxEntries + 16) * 2048;
  let decompressed = 0;
  const source = createReadStream(file);
  const gunzip = createGunzip();
  const parser = new Parser({ strict: true });
  const stop = (err: CoreError) => {
    problem ??= err;
    source.destroy();
    gunzip.destroy();
  };
  let ended = false;
  let trailing = 0;
  parser.on("eof", () => {
    ended = true;
  });
  parser.on("entry", (entry: ReadEntry) => {
    entries += 1;
    if (entries > limits.maxEntries) stop(refuse(`more than ${limits.maxEntries} entries`));
    const why = entryProblem(entry);
    if (why) stop(refuse(why));
    entry.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) stop(refuse(`expands to more than ${Math.round(limits.maxBytes / 1024 / 1024)} MiB`));
    });
    entry.resume();
  });
  await new Promise<void>((resolve) => {
    const fail = (reason: string) => {
      stop(refuse(reason));
      resolve();
    };
    parser.on("error", (err: Error) => fail(`not a valid tar archive (${err.message})`));
    source.on("error", () => resolve());
    gunzip.on("error", (err: Error) => fail(`not a valid gzip stream (${err.message})`));
    gunzip.on("data", (chunk: Buffer) => {
      decompressed += chunk.length;
      if (decompressed > decompressedCap) {
        fail(`expands to more than ${Math.round(limits.maxBytes / 1024 / 1024)} MiB`);
        return;
      }
      if (ended) {
        // node-tar buffers whatever follows the end of the archive by concatenation (quadratic): a little
        // padding is normal (tar pads to 10 KiB records), more is refused before extraction ever reads it.
        trailing += chunk.length;
        if (trailing > MAX_TRAILING_BYTES) fail("it holds data after the end of the tar archive");
        return;
      }
      // No backpressure: the parser consumes each chunk synchronously (every entry is resumed), and past the end of
      // the archive it reports a queue it never drains, which would stall the stream forever.
      parser.write(chunk);
    });
    gunzip.on("end", () => {
      parser.end();
    });
    gunzip.on("close", () => {
      if (problem) resolve();
    });
    parser.on("end", () => resolve());
    source.pipe(gunzip);
  });
  if (problem) throw problem;
  if (entries === 0) throw refuse("the archive holds no entries");
  return { entries, bytes };
}

/** Files keep only their owner-execute bit as a+x; nothing setuid, nothing writable by group or others. */
function saneMode(entry: ReadEntry): number {
  if (entry.type === "Directory") return 0o755;
  return (entry.mode ?? 0o644) & 0o100 ? 0o755 : 0o644;
}

/**
 * Extracts the .tar.gz `file` into `dest` (an empty staging directory) after inspecting all of it: absolute
 * paths, `..`, links resolving outside, devices and FIFOs, too many entries or too many bytes refuse the whole
 * archive with the entry named. node-tar would strip `..` and leading `/` silently; we refuse instead.
 */
export async function extractArchive(file: string, dest: string, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<{ entries: number; bytes: number }> {
  await assertGzip(file);
  const counted = await inspect(file, limits);
  let late: string | undefined;
  try {
    await extract({
      file,
      cwd: dest,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      processUmask: 0o022,
      filter: (_p, entry) => {
        const e = entry as ReadEntry;
        // Checked again: the same parser read the same file, but this is the last gate before the disk.
        const why = entryProblem(e);
        if (why) {
          late ??= why;
          return false;
        }
        e.mode = saneMode(e);
        return true;
      },
    });
  } catch (err) {
    const where = (err as { path?: unknown }).path;
    throw refuse(typeof where === "string" ? `${(err as Error).message} (${path.relative(dest, where) || where})` : (err as Error).message);
  }
  if (late) throw refuse(late);
  return counted;
}
