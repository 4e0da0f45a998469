/** One dispatched Server-Sent Event (the WHATWG "event stream" interpretation). */
export interface SseEvent {
  /** The `event:` field; "message" when the frame names none. */
  event: string;
  /** Every `data:` line of the frame joined with "\n". */
  data: string;
  id?: string;
}

/**
 * Turns the decoded text of an event stream, in chunks cut anywhere (inside a line, between "\r" and "\n"), into
 * events: a blank line dispatches the frame, lines starting with ":" are comments (keep-alives), a field's value
 * loses one leading space. Only complete lines are interpreted; the rest waits for the next chunk. Events are
 * dispatched as soon as their blank line arrives, so a live stream never lags by a chunk.
 */
export class SseParser {
  private pending = "";
  private data: string[] = [];
  private event = "";
  private id: string | undefined;
  private sawData = false;
  private afterCR = false;

  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    let text = chunk;
    // The previous chunk ended in "\r", already taken as a line end: a "\n" opening this one completes that "\r\n".
    if (this.afterCR && text.startsWith("\n")) text = text.slice(1);
    this.afterCR = false;
    this.pending += text;
    let start = 0;
    for (let i = 0; i < this.pending.length; i++) {
      const c = this.pending[i];
      if (c !== "\n" && c !== "\r") continue;
      this.line(this.pending.slice(start, i), out);
      if (c === "\r") {
        if (i === this.pending.length - 1) this.afterCR = true;
        else if (this.pending[i + 1] === "\n") i++;
      }
      start = i + 1;
    }
    this.pending = this.pending.slice(start);
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === "") {
      if (this.sawData) out.push({ event: this.event || "message", data: this.data.join("\n"), ...(this.id !== undefined ? { id: this.id } : {}) });
      this.data = [];
      this.event = "";
      this.sawData = false;
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      this.data.push(value);
      this.sawData = true;
    } else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
  }
}

/** The events of a streamed response body, as they arrive; ends when the stream does (or throws when it fails). */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    reader.releaseLock();
  }
}
