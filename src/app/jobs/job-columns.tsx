"use client";
import { Badge } from "../components/badge.tsx";
import type { Column } from "../components/data-table.tsx";
import { formatWhen, STATE_HINT, STATE_TONE } from "./format.ts";
import type { JobView } from "./types.ts";

/** The columns of both job tables (all jobs and the dead letters); the id opens the job's details. */
export function jobColumns(onOpen: (job: JobView) => void): Column<JobView>[] {
  return [
    {
      key: "id",
      header: "Job",
      hideable: false,
      cell: (j) => (
        <button type="button" className="font-mono text-brand-600 hover:underline dark:text-indigo-300" onClick={() => onOpen(j)} aria-label={`Details of job ${j.msgId}`}>
          #{j.msgId}
        </button>
      ),
    },
    {
      key: "state",
      header: "State",
      cell: (j) => (
        <span title={STATE_HINT[j.state]}>
          <Badge tone={STATE_TONE[j.state]} data-testid="job-state">
            {j.state}
          </Badge>
        </span>
      ),
    },
    { key: "source", header: "Source", cell: (j) => <span className="font-mono text-xs">{j.sourceId ? `${j.source} ${j.sourceId.slice(0, 8)}` : j.source}</span> },
    { key: "attempts", header: "Attempts", cell: (j) => <span className="font-mono" data-testid="job-attempts">{`${j.attempts} / ${j.maxAttempts}`}</span> },
    { key: "enqueued", header: "Enqueued", cell: (j) => <span className="text-slate-600 dark:text-slate-400">{formatWhen(j.enqueuedAt)}</span> },
    { key: "finished", header: "Finished", cell: (j) => <span className="text-slate-600 dark:text-slate-400">{formatWhen(j.finishedAt)}</span> },
    {
      key: "error",
      header: "Last error",
      width: 260,
      cell: (j) => (
        <span className="line-clamp-2 break-words text-xs text-red-800 dark:text-red-300" title={j.lastError ?? undefined}>
          {j.lastError ?? ""}
        </span>
      ),
    },
  ];
}
