/** Spec §4: one JSON object per line, at most 1 MiB a line, both directions. */
export const MAX_LINE_BYTES = 1024 * 1024;

export interface LineSink {
  line(text: string): void;
  /** A line longer than the limit: its bytes were dropped as they arrived, only its size is reported. */
  oversized(bytes: number): void;
}

/**
 * Splits a byte stream into lines without ever holding more than `maxBytes` of one line: past the limit the
 * rest of the line is counted and discarded up to its newline, so a runaway writer cannot grow the Core's memory.
 * Chunks are kept as a list until the newline arrives (no quadratic re-concatenation of a long line).
 */
export class LineReader {
  #parts: Buffer[] = [];
  #held = 0;
  /** Bytes of the current line seen while discarding; undefined while the line is still within the limit. */
  #discarded: number | undefined;

  constructor(private readonly sink: LineSink, private readonly maxBytes = MAX_LINE_BYTES) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      this.#take(chunk.subarray(start, end));
      if (nl === -1) return;
      this.#finishLine();
      start = nl + 1;
    }
  }

  /** The stream ended: a last line without its newline still counts. */
  end(): void {
    if (this.#held > 0 || this.#discarded !== undefined) this.#finishLine();
  }

  #take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.#discarded !== undefined) {
      this.#discarded += piece.length;
      return;
    }
    if (this.#held + piece.length > this.maxBytes) {
      this.#discarded = this.#held + piece.length;
      this.#parts = [];
      this.#held = 0;
      return;
    }
    // Copied: the stream may reuse the chunk's memory once this callback returns.
    this.#parts.push(Buffer.from(piece));
    this.#held += piece.length;
  }

  #finishLine(): void {
    if (this.#discarded !== undefined) {
      const size = this.#discarded;
      this.#discarded = undefined;
      this.sink.oversized(size);
      return;
    }
    const text = Buffer.concat(this.#parts, this.#held).toString("utf8");
    this.#parts = [];
    this.#held = 0;
    const trimmed = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (trimmed.trim() !== "") this.sink.line(trimmed);
  }
}

/** A parsed protocol message: a JSON object with a string `type`; anything else is not one (logged as stdout). */
export function parseMessage(line: string): ({ type: string } & Record<string, unknown>) | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const type = (value as { type?: unknown }).type;
  return typeof type === "string" ? (value as { type: string } & Record<string, unknown>) : undefined;
}
