import { errorSentence } from "../components/api-error.ts";
import { toLogLine, type LogLine } from "./log-lines.ts";
import { errorFromBody, RestError } from "./rest.ts";
import { sseEvents } from "./sse-parser.ts";

export type StreamStatus =
  | { kind: "connecting" }
  | { kind: "live" }
  /** The stream ended or failed; the next attempt starts at `retryAt` (ms since the epoch). */
  | { kind: "waiting"; retryAt: number; reason: string }
  /** Refused for good (no permission, no such app): retrying would only repeat the refusal. */
  | { kind: "failed"; reason: string };

export interface LogStreamOptions {
  /** "" in the browser (same origin); a test passes its server's origin. */
  origin: string;
  appId: string;
  /** Asked before every connection: the access token is renewed while the page stays open. */
  headers: () => Record<string, string>;
  line: (line: Omit<LogLine, "seq">) => void;
  status: (status: StreamStatus) => void;
  signal: AbortSignal;
  /** Wait before attempt `n` (0-based) after a failure: 1 s, 2 s, 4 s … at most 30 s. */
  backoff?: (attempt: number) => number;
  /** A connection that lived this long (or delivered a line) was healthy: the next failure starts the backoff anew. */
  healthyMs?: number;
}

export const defaultBackoff = (attempt: number) => Math.min(30_000, 1000 * 2 ** attempt);
const FINAL_STATUSES = new Set([400, 403, 404]);
export const RECONNECTED_NOTE = "Reconnected. Lines logged while the stream was down are not shown.";

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}

/**
 * Reads one app's log stream until `signal` aborts: `fetch` with the caller's headers (EventSource cannot send
 * an Authorization header), the body read as a ReadableStream and parsed as SSE, reconnected with backoff when
 * it ends or fails. After the first connection it asks for no replay (those lines were shown) and notes the gap.
 */
export async function runLogStream(o: LogStreamOptions): Promise<void> {
  const backoff = o.backoff ?? defaultBackoff;
  const healthyMs = o.healthyMs ?? 10_000;
  const { signal } = o;
  let attempt = 0;
  let first = true;
  while (!signal.aborted) {
    o.status({ kind: "connecting" });
    const opened = Date.now();
    let delivered = false;
    let reason = "The log stream ended.";
    try {
      const res = await fetch(`${o.origin}/api/v1/apps/${encodeURIComponent(o.appId)}/logs${first ? "" : "?replay=0"}`, {
        headers: { ...o.headers(), accept: "text/event-stream" },
        cache: "no-store",
        signal,
      });
      if (!res.ok || !res.body) {
        const err = errorFromBody(res.status, await res.text());
        if (FINAL_STATUSES.has(res.status)) {
          o.status({ kind: "failed", reason: errorSentence(err) });
          return;
        }
        throw err;
      }
      if (!first) o.line({ level: "system", message: RECONNECTED_NOTE, dropped: false, local: true });
      first = false;
      o.status({ kind: "live" });
      for await (const ev of sseEvents(res.body)) {
        delivered = true;
        o.line(toLogLine(ev.data, 0));
      }
    } catch (err) {
      if (signal.aborted) return;
      reason = err instanceof RestError ? errorSentence(err) : "The connection to the Core was lost.";
    }
    if (signal.aborted) return;
    if (delivered || Date.now() - opened > healthyMs) attempt = 0;
    const delay = backoff(attempt++);
    o.status({ kind: "waiting", retryAt: Date.now() + delay, reason });
    await sleep(delay, signal);
  }
}
