"use client";
import { useLayoutEffect, useRef, useState } from "react";
import { Badge } from "../../../components/badge.tsx";
import { Button } from "../../../components/button.tsx";
import { LEVEL_TONE } from "../../format.ts";
import type { LogLine } from "../../log-lines.ts";

/** Within this many pixels of the end counts as "at the bottom" (sub-pixel rounding, a last half line). */
const BOTTOM_SLACK = 16;

/**
 * The lines, monospace, newest at the bottom. It follows new lines only while the reader is at the bottom;
 * scrolled up, it stays put and offers "Jump to latest".
 */
export function LogView({ appId, lines }: { appId: string; lines: readonly LogLine[] }) {
  const box = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const [atBottom, setAtBottom] = useState(true);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK;
    following.current = bottom;
    setAtBottom(bottom);
  };

  const jump = () => {
    const el = box.current;
    if (!el) return;
    following.current = true;
    setAtBottom(true);
    el.scrollTop = el.scrollHeight;
  };

  return (
    <div className="relative min-w-0">
      <div
        ref={box}
        onScroll={onScroll}
        role="log"
        aria-live="off"
        aria-label={`Log lines of ${appId}`}
        tabIndex={0}
        data-testid="log-lines"
        className="h-[60vh] min-h-64 overflow-auto rounded-lg border border-slate-200 bg-white p-2 font-mono text-xs shadow-sm dark:border-slate-700 dark:bg-slate-900"
      >
        {lines.length === 0 && <p className="p-2 text-slate-600 dark:text-slate-400">No lines yet. Lines appear here as the app's workers write them.</p>}
        {lines.map((l) => (l.dropped || l.local ? <Notice key={l.seq} line={l} /> : <Line key={l.seq} line={l} />))}
      </div>
      {!atBottom && (
        <div className="absolute right-4 bottom-4">
          <Button type="button" onClick={jump}>
            Jump to latest
          </Button>
        </div>
      )}
    </div>
  );
}

function Line({ line }: { line: LogLine }) {
  return (
    <div data-testid="log-line" data-level={line.level} className="flex min-w-0 items-start gap-2 py-0.5">
      <span className="w-14 shrink-0">
        <Badge tone={LEVEL_TONE[line.level]}>{line.level}</Badge>
      </span>
      <span className="min-w-0 break-words whitespace-pre-wrap text-slate-900 dark:text-slate-100">{line.message}</span>
    </div>
  );
}

/** Lost lines (the Core's drop notice) and the page's own notes stand apart from what the app wrote. */
function Notice({ line }: { line: LogLine }) {
  return (
    <div role="note" data-testid={line.dropped ? "log-dropped" : "log-note"} className="my-1 flex items-start gap-2 border-y border-amber-300 py-1 dark:border-amber-700">
      <Badge tone="warning">{line.dropped ? "dropped" : "note"}</Badge>
      <span className="min-w-0 font-semibold break-words whitespace-pre-wrap text-amber-900 dark:text-amber-200">{line.message}</span>
    </div>
  );
}
