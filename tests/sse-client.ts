import http from "node:http";
import net from "node:net";

export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Every byte of the body received so far, as text. */
  text(): string;
  /** The data of every event received so far, parsed as JSON. */
  events(): unknown[];
  /** Resolves once `count` events arrived (rejects after `timeoutMs`). */
  waitForEvents(count: number, timeoutMs?: number): Promise<unknown[]>;
  /** Every complete event with its name and id (realtime streams name `resync` and `end`, and give ids). */
  frames(): SseFrame[];
  /** Resolves once `count` frames arrived (rejects after `timeoutMs`). */
  waitForFrames(count: number, timeoutMs?: number): Promise<SseFrame[]>;
  /** Calls back once the server ends the stream. */
  onEnd(callback: () => void): void;
  close(): void;
}

/** The `data:` payloads of an SSE body, in order (comments and incomplete events left out). */
export function parseEvents(body: string): unknown[] {
  return body
    .split("\n\n")
    .slice(0, -1)
    .flatMap((block) => block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => JSON.parse(l.slice(6)) as unknown));
}

export interface SseFrame {
  event: string;
  id?: string;
  data: unknown;
}

/** The complete events of an SSE body with their `event:` name ("message" when unnamed) and `id:`. */
export function parseFrames(body: string): SseFrame[] {
  return body
    .split("\n\n")
    .slice(0, -1)
    .flatMap((block) => {
      const lines = block.split("\n");
      const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
      if (data.length === 0) return [];
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "message";
      const id = lines.find((l) => l.startsWith("id: "))?.slice(4);
      return [{ event, ...(id !== undefined ? { id } : {}), data: JSON.parse(data.join("\n")) as unknown }];
    });
}

/** Opens an SSE stream with node:http (no buffering between the socket and the test) and collects what arrives. */
export function openSse(baseUrl: string, path: string, token?: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(baseUrl + path, { agent: false, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      let body = "";
      const waiters = new Set<() => void>();
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
        for (const w of waiters) w();
      });
      res.on("error", () => undefined);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => body,
        events: () => parseEvents(body),
        waitForEvents(count, timeoutMs = 5_000) {
          return new Promise((ok, fail) => {
            const check = () => {
              const evs = parseEvents(body);
              if (evs.length < count) return;
              waiters.delete(check);
              clearTimeout(timer);
              ok(evs);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`expected ${count} events, got ${parseEvents(body).length}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        frames: () => parseFrames(body),
        waitForFrames(count, timeoutMs = 5_000) {
          return new Promise((ok, fail) => {
            const check = () => {
              const frames = parseFrames(body);
              if (frames.length < count) return;
              waiters.delete(check);
              clearTimeout(timer);
              ok(frames);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`expected ${count} frames, got ${JSON.stringify(parseFrames(body))}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        onEnd: (callback) => {
          if (res.complete) callback();
          else res.once("end", callback);
        },
        close: () => req.destroy(),
      });
    });
    req.on("error", reject);
  });
}

/**
 * A client that sends the request and then reads nothing until `read()`: the server's socket fills up, as with
 * a subscriber on a slow network. `read` resumes reading and resolves the body (the head cut off) once it holds `untilText`.
 */
export function openStalledSse(baseUrl: string, path: string, token: string): { read(untilText: string, timeoutMs?: number): Promise<string>; close(): void } {
  const url = new URL(baseUrl);
  const socket = net.connect(Number(url.port), url.hostname);
  socket.pause();
  // HTTP/1.0: the answer is not chunked, so what arrives is the SSE text itself after the head.
  socket.write(`GET ${path} HTTP/1.0\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  socket.on("error", () => undefined);
  return {
    read(untilText, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        let raw = "";
        const timer = setTimeout(() => reject(new Error(`"${untilText}" not received; got ${raw.length} chars`)), timeoutMs);
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => {
          raw += chunk;
          if (raw.includes(untilText)) {
            clearTimeout(timer);
            resolve(raw.slice(raw.indexOf("\r\n\r\n") + 4));
          }
        });
        socket.resume();
      });
    },
    close: () => socket.destroy(),
  };
}
