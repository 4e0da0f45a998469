"use client";
import { inZone } from "./format.ts";

/** The next fire times the Core computed, each read in the schedule's own zone (and the reader's, if different). */
export function FirePreview({ next, timezone, pending }: { next: string[] | undefined; timezone: string; pending: boolean }) {
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <div className="rounded-md border border-slate-200 p-3 text-sm dark:border-slate-700" aria-live="polite" aria-busy={pending}>
      <h3 className="mb-1 font-medium text-slate-700 dark:text-slate-200">Next five fire times ({timezone})</h3>
      {next === undefined ? (
        <p className="text-slate-600 dark:text-slate-400">{pending ? "Computing…" : "Type a schedule to see when it fires."}</p>
      ) : next.length === 0 ? (
        <p className="text-slate-600 dark:text-slate-400">This schedule never fires.</p>
      ) : (
        <ol className="space-y-0.5 font-mono text-xs" data-testid="next-fires">
          {next.map((at) => (
            <li key={at}>
              {inZone(at, timezone)}
              {local !== timezone && <span className="text-slate-600 dark:text-slate-400"> · {inZone(at, local)} here</span>}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
