"use client";
import { Badge } from "../components/badge.tsx";
import { TimeSeriesChart, type ChartSeries } from "../components/time-series-chart.tsx";
import { formatDuration, JOB_STATES, STATE_HINT, STATE_TONE, type JobState } from "./format.ts";
import type { JobStatsView } from "./types.ts";

const SERIES: ChartSeries[] = [
  { key: "enqueued", label: "Enqueued", tone: "info" },
  { key: "done", label: "Done", tone: "success" },
  { key: "failed", label: "Failed", tone: "warning" },
  { key: "dead", label: "Dead", tone: "danger" },
];

const CARD = "rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-slate-900";

/**
 * The queue at a glance: how many jobs are in each state (a state's count is a button that filters the list),
 * jobs per minute over the window, and how long jobs wait for a worker and then run.
 */
export function JobStats({ stats, windowMinutes, selected, onSelect }: { stats: JobStatsView | undefined; windowMinutes: number; selected: JobState | undefined; onSelect: (s: JobState | undefined) => void }) {
  return (
    <div className="grid min-w-0 gap-4 lg:grid-cols-3">
      <div className={`${CARD} min-w-0 lg:col-span-2`}>
        {stats ? (
          <TimeSeriesChart
            title={`Jobs per minute, last ${windowMinutes} minutes`}
            unit="jobs"
            series={SERIES}
            points={stats.series.map((p) => ({ at: p.at, values: { enqueued: p.enqueued, done: p.done, failed: p.failed, dead: p.dead } }))}
          />
        ) : (
          <div className="h-48 animate-pulse rounded bg-slate-100 dark:bg-slate-800" aria-hidden="true" />
        )}
      </div>
      <div className="min-w-0 space-y-4">
        <section className={CARD} aria-labelledby="job-counts-title">
          <h2 id="job-counts-title" className="mb-2 text-sm font-medium text-slate-700 dark:text-slate-200">
            Jobs by state
          </h2>
          <ul className="grid grid-cols-2 gap-2 text-sm" data-testid="job-counts">
            {JOB_STATES.map((s) => (
              <li key={s}>
                <button
                  type="button"
                  aria-pressed={selected === s}
                  title={`Show ${s} jobs (${STATE_HINT[s]})`}
                  onClick={() => onSelect(selected === s ? undefined : s)}
                  className={`flex w-full items-center justify-between gap-2 rounded-md px-2 py-1 text-left hover:bg-slate-100 dark:hover:bg-slate-800 ${selected === s ? "ring-2 ring-brand-500" : ""}`}
                >
                  <Badge tone={STATE_TONE[s]}>{s}</Badge>
                  <span className="font-mono font-semibold text-slate-900 dark:text-slate-100" data-testid={`job-count-${s}`}>
                    {stats ? (stats.counts[s] ?? 0) : "…"}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
        <section className={CARD} aria-labelledby="job-times-title">
          <h2 id="job-times-title" className="mb-2 text-sm font-medium text-slate-700 dark:text-slate-200">
            Times, last {windowMinutes} minutes
          </h2>
          <table className="w-full text-left text-sm text-slate-700 dark:text-slate-300">
            <thead>
              <tr className="text-xs text-slate-600 dark:text-slate-400">
                <td />
                <th scope="col" className="font-medium">
                  p50
                </th>
                <th scope="col" className="font-medium">
                  p99
                </th>
              </tr>
            </thead>
            <tbody className="font-mono">
              <tr title="From enqueue (or the time it was due) to a worker taking it">
                <th scope="row" className="font-sans font-normal">
                  Wait
                </th>
                <td data-testid="wait-p50">{formatDuration(stats?.waitMs.p50)}</td>
                <td data-testid="wait-p99">{formatDuration(stats?.waitMs.p99)}</td>
              </tr>
              <tr title="From a worker taking it to its result">
                <th scope="row" className="font-sans font-normal">
                  Run
                </th>
                <td data-testid="run-p50">{formatDuration(stats?.runMs.p50)}</td>
                <td data-testid="run-p99">{formatDuration(stats?.runMs.p99)}</td>
              </tr>
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}
