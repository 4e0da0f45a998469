import { writeSync } from "node:fs";
import { toJson } from "./serialize.ts";

/**
 * The worker's half of the JSON-lines transport (spec §4): one JSON object per line on stdout, at most 1 MiB a
 * line. Every byte that reaches stdout (protocol messages and the app's own stray writes) goes through one
 * synchronous writer, so nothing is reordered, nothing is lost when the process exits right after writing
 * (Bun's process.stdout.write to a pipe is asynchronous and drops buffered bytes at process.exit), and a
 * protocol message always starts on a line of its own.
 */

export const MAX_LINE_BYTES = 1024 * 1024;

/** An outgoing message that would exceed the line limit; it was not written. */
export class MessageTooLargeError extends Error {
  override name = "MessageTooLargeError";
  constructor(readonly bytes: number) {
    super(`message too large (${bytes} bytes, 1 MiB at most)`);
  }
}

const STDOUT = 1;
const NEWLINE = 0x0a;
/** True while the app's last write to stdout did not end its line. */
let midLine = false;
const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAll(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(STDOUT, bytes, offset, bytes.length - offset);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A non-blocking pipe that is full: wait a moment for the Core to read, then go on.
      if (code === "EAGAIN") Atomics.wait(pause, 0, 0, 1);
      // The Core closed its end: nobody is left to serve.
      else if (code === "EPIPE") process.exit(0);
      else throw err;
    }
  }
}

/** Writes one protocol message as one line. Throws MessageTooLargeError (nothing written) or the JSON error of a cycle. */
export function send(message: { type: string } & Record<string, unknown>): void {
  const line = Buffer.from(`${toJson(message)}\n`, "utf8");
  if (line.length > MAX_LINE_BYTES) throw new MessageTooLargeError(line.length - 1);
  if (midLine) {
    // The app left a line open: end it so that the message is a line of its own (the Core logs the fragment as stdout).
    writeAll(Buffer.from("\n"));
    midLine = false;
  }
  writeAll(line);
}

type WriteCallback = (err?: Error | null) => void;

/** The app's process.stdout.write: same bytes, through the same writer, and remembered whether a line is left open. */
function appWrite(chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean {
  const done = (typeof encodingOrCallback === "function" ? encodingOrCallback : callback) as WriteCallback | undefined;
  const encoding = typeof encodingOrCallback === "string" ? (encodingOrCallback as BufferEncoding) : "utf8";
  const bytes = typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk instanceof Uint8Array ? chunk : Buffer.from(String(chunk));
  if (bytes.length > 0) {
    writeAll(bytes);
    midLine = bytes[bytes.length - 1] !== NEWLINE;
  }
  if (done) process.nextTick(done, null);
  return true;
}

/** Routes the app's writes to process.stdout through the framing-aware writer. */
export function guardStdout(): void {
  Object.defineProperty(process.stdout, "write", { value: appWrite, writable: true, configurable: true });
}

/**
 * Splits a byte stream into lines and hands each non-blank one to `onLine`. A line longer than the limit is
 * dropped (reported to `onOverlong` with its size so far) instead of being buffered without bound.
 */
export function lineReader(onLine: (line: string) => void, onOverlong: (bytes: number) => void): (chunk: Buffer | string) => void {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  return (chunk) => {
    let data = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    let nl = data.indexOf(NEWLINE);
    while (nl !== -1) {
      if (!skipping && size + nl > MAX_LINE_BYTES) onOverlong(size + nl);
      else if (!skipping) {
        parts.push(data.subarray(0, nl));
        const line = (parts.length === 1 ? parts[0]! : Buffer.concat(parts)).toString("utf8").trim();
        if (line) onLine(line);
      }
      parts = [];
      size = 0;
      skipping = false;
      data = data.subarray(nl + 1);
      nl = data.indexOf(NEWLINE);
    }
    if (data.length === 0 || skipping) return;
    size += data.length;
    if (size > MAX_LINE_BYTES) {
      onOverlong(size);
      parts = [];
      size = 0;
      skipping = true;
      return;
    }
    // Copy: the stream may reuse the chunk's memory.
    parts.push(Buffer.from(data));
  };
}
