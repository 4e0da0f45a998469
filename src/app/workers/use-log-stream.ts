"use client";
import { useCallback, useEffect, useRef, useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { appendBounded, BUFFER_LINES, toLogLine, type LogLine } from "./log-lines.ts";
import { authHeaders, errorFromBody, RestError } from "./rest.ts";
import { SseParser } from "./sse-parser.ts";

export type StreamStatus =
  | { kind: "connecting" }
  | { kind: "live" }
  /** The stream ended or failed; the next attempt starts at `retryAt` (ms since the epoch). */
  | { kind: "waiting"; retryAt: number; reason: string }
  /** Refused for good (no permission, no such app): retrying would only repeat the refusal. */
  | { kind: "failed"; reason: string };

/** Backoff between reconnects: 1 s, 2 s, 4 s … at most 30 s. */
const backoff = (attempt: number) => Math.min(30_000, 1000 * 2 ** attempt);
/** A connection that lived this long (or delivered a line) was healthy: the next failure starts the backoff anew. */
const HEALTHY_MS = 10_000;
/** Lines are handed to React in batches, so a burst of thousands renders a few times, not thousands of times. */
const FLUSH_MS = 100;
const FINAL_STATUSES = new Set([400, 403, 404]);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}

/**
 * The live log stream of one app: `fetch` with the bearer token (EventSource cannot send headers) read through a
 * ReadableStream, parsed as SSE, reconnected with backoff when it ends. Keeps the newest BUFFER_LINES lines.
 * While paused, arriving lines are held back (and counted) until `resume`.
 */
export function useLogStream(appId: string) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [status, setStatus] = useState<StreamStatus>({ kind: "connecting" });
  const [paused, setPaused] = useState(false);
  const [heldCount, setHeldCount] = useState(0);
  const incoming = useRef<LogLine[]>([]);
  const held = useRef<LogLine[]>([]);
  const pausedRef = useRef(false);
  const seq = useRef(0);

  useEffect(() => {
    const flush = setInterval(() => {
      if (incoming.current.length === 0) return;
      const batch = incoming.current;
      incoming.current = [];
      if (pausedRef.current) {
        held.current = appendBounded(held.current, batch);
        setHeldCount((n) => n + batch.length);
      } else setLines((prev) => appendBounded(prev, batch));
    }, FLUSH_MS);
    return () => clearInterval(flush);
  }, []);

  useEffect(() => {
    const ctrl = new AbortController();
    const { signal } = ctrl;
    const push = (line: Omit<LogLine, "seq">) => {
      incoming.current.push({ ...line, seq: ++seq.current });
      if (incoming.current.length > BUFFER_LINES) incoming.current.splice(0, incoming.current.length - BUFFER_LINES);
    };

    async function run(): Promise<void> {
      let attempt = 0;
      let first = true;
      while (!signal.aborted) {
        setStatus({ kind: "connecting" });
        const opened = Date.now();
        let delivered = false;
        let reason = "The log stream ended.";
        try {
          // After the first connection, the lines replayed to a new subscriber were already shown.
          const res = await fetch(`/api/v1/apps/${encodeURIComponent(appId)}/logs${first ? "" : "?replay=0"}`, {
            headers: { ...authHeaders(), accept: "text/event-stream" },
            cache: "no-store",
            signal,
          });
          if (!res.ok || !res.body) {
            const err = errorFromBody(res.status, await res.text());
            if (FINAL_STATUSES.has(res.status)) {
              setStatus({ kind: "failed", reason: errorSentence(err) });
              return;
            }
            throw err;
          }
          if (!first) push({ level: "system", message: "Reconnected. Lines logged while the stream was down are not shown.", dropped: false, local: true });
          first = false;
          setStatus({ kind: "live" });
          const reader = res.body.getReader();
          const decoder = new TextDecoder();
          const parser = new SseParser();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
              delivered = true;
              push(toLogLine(ev.data, 0));
            }
          }
        } catch (err) {
          if (signal.aborted) return;
          reason = err instanceof RestError ? errorSentence(err) : "The connection to the Core was lost.";
        }
        if (signal.aborted) return;
        if (delivered || Date.now() - opened > HEALTHY_MS) attempt = 0;
        const delay = backoff(attempt++);
        setStatus({ kind: "waiting", retryAt: Date.now() + delay, reason });
        await sleep(delay, signal);
      }
    }
    void run();
    return () => ctrl.abort();
  }, [appId]);

  const pause = useCallback(() => {
    pausedRef.current = true;
    setPaused(true);
  }, []);

  const resume = useCallback(() => {
    pausedRef.current = false;
    const batch = held.current.concat(incoming.current);
    held.current = [];
    incoming.current = [];
    setLines((prev) => appendBounded(prev, batch));
    setHeldCount(0);
    setPaused(false);
  }, []);

  const clear = useCallback(() => setLines([]), []);

  return { lines, status, paused, heldCount, pause, resume, clear };
}
