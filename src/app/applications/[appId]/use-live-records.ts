"use client";
import { useIsFetching } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { defaultBackoff } from "../../workers/log-stream.ts";
import { authHeaders, errorFromBody } from "../../workers/rest.ts";
import { sseEvents } from "../../workers/sse-parser.ts";

export type LiveStatus = "connecting" | "live" | "reconnecting" | "off";
export type RecentChange = "insert" | "update";

/** How long a row that changed elsewhere stays marked. */
const HIGHLIGHT_MS = 4_000;
/** Changes in a burst are applied by one refetch of the page, not one per change. */
const REFRESH_MS = 250;
/**
 * The stream opens once the page's own queries have been quiet this long: its first requests go first, and a page
 * that holds a stream from its first instant never looks settled to tooling that waits for the network to go quiet
 * (the Studio sweep). Nothing is lost: a connection without a Last-Event-ID refetches the page once it is live.
 */
const QUIET_MS = 1_000;
/** Refusals that retrying would only repeat (a bad filter, no such entity); a 401 is retried with a renewed token. */
const FINAL = new Set([400, 403, 404]);

interface ChangeData {
  op: "insert" | "update" | "delete";
  id: string;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}

/**
 * The entity's change stream (GET …/collections/{entity}/changes) for the data browser: every change the
 * signed-in person may see refetches the page they are on (so paging, order and filter stay the server's), and
 * rows inserted or updated elsewhere are marked for a few seconds. Read with fetch, not EventSource, because
 * EventSource cannot send the Authorization header (as the log stream does); it resumes with Last-Event-ID and
 * starts over (refetching) after a resync.
 */
export function useLiveRecords(appId: string, entity: string, where: Record<string, unknown> | undefined, refresh: () => unknown) {
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const [recent, setRecent] = useState<ReadonlyMap<string, RecentChange>>(new Map());
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;
  const whereText = where === undefined ? "" : JSON.stringify(where);
  const fetching = useIsFetching();
  const [settled, setSettled] = useState(false);

  useEffect(() => {
    if (settled || fetching > 0) return;
    const t = setTimeout(() => setSettled(true), QUIET_MS);
    return () => clearTimeout(t);
  }, [fetching, settled]);

  useEffect(() => {
    if (!settled) return;
    const ctrl = new AbortController();
    const { signal } = ctrl;
    const timers = new Set<ReturnType<typeof setTimeout>>();
    let pending: ReturnType<typeof setTimeout> | undefined;
    const scheduleRefresh = () => {
      pending ??= setTimeout(() => {
        pending = undefined;
        void refreshRef.current();
      }, REFRESH_MS);
    };
    const mark = (id: string, change: RecentChange | undefined) => {
      setRecent((prev) => {
        const next = new Map(prev);
        if (change) next.set(id, change);
        else next.delete(id);
        return next;
      });
      if (!change) return;
      const t = setTimeout(() => {
        timers.delete(t);
        setRecent((prev) => {
          if (prev.get(id) !== change) return prev;
          const next = new Map(prev);
          next.delete(id);
          return next;
        });
      }, HIGHLIGHT_MS);
      timers.add(t);
    };

    void (async () => {
      let lastEventId: string | undefined;
      let attempt = 0;
      const query = whereText ? `?where=${encodeURIComponent(whereText)}` : "";
      while (!signal.aborted) {
        try {
          const res = await fetch(`/api/v1/apps/${encodeURIComponent(appId)}/collections/${encodeURIComponent(entity)}/changes${query}`, {
            headers: { ...authHeaders(), accept: "text/event-stream", ...(lastEventId ? { "last-event-id": lastEventId } : {}) },
            cache: "no-store",
            signal,
          });
          if (!res.ok || !res.body) {
            const err = errorFromBody(res.status, await res.text());
            if (FINAL.has(res.status)) {
              setStatus("off");
              return;
            }
            throw err;
          }
          setStatus("live");
          attempt = 0;
          // Changes made before this stream was live (since the page loaded, or during a resync) are in no event.
          if (!lastEventId) scheduleRefresh();
          for await (const ev of sseEvents(res.body)) {
            if (ev.event === "resync") lastEventId = undefined;
            if (ev.event !== "message") {
              scheduleRefresh();
              continue;
            }
            if (ev.id) lastEventId = ev.id;
            const change = JSON.parse(ev.data) as ChangeData;
            mark(change.id, change.op === "delete" ? undefined : change.op);
            scheduleRefresh();
          }
        } catch {
          if (signal.aborted) return;
        }
        setStatus("reconnecting");
        await sleep(defaultBackoff(attempt++), signal);
      }
    })();

    return () => {
      ctrl.abort();
      clearTimeout(pending);
      for (const t of timers) clearTimeout(t);
    };
  }, [appId, entity, whereText, settled]);

  return { status, recent };
}
