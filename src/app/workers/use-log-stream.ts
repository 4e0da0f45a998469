"use client";
import { useCallback, useEffect, useRef, useState } from "react";
import { appendBounded, BUFFER_LINES, type LogLine } from "./log-lines.ts";
import { runLogStream, type StreamStatus } from "./log-stream.ts";
import { authHeaders } from "./rest.ts";

export type { StreamStatus };

/** Lines are handed to React in batches, so a burst of thousands renders a few times, not thousands of times. */
const FLUSH_MS = 100;

/**
 * The live log stream of one app (runLogStream) as React state: the newest BUFFER_LINES lines; while paused,
 * arriving lines are held back (and counted) until `resume`.
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
    void runLogStream({
      origin: "",
      appId,
      headers: authHeaders,
      signal: ctrl.signal,
      status: setStatus,
      line: (line) => {
        incoming.current.push({ ...line, seq: ++seq.current });
        if (incoming.current.length > BUFFER_LINES) incoming.current.splice(0, incoming.current.length - BUFFER_LINES);
      },
    });
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
