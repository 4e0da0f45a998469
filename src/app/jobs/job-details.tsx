"use client";
import { Badge } from "../components/badge.tsx";
import { formatDuration, formatWhen, prettyJson, STATE_HINT, STATE_TONE } from "./format.ts";
import type { JobView } from "./types.ts";

function ms(from: string | null, to: string | null): number | null {
  return from && to ? new Date(to).getTime() - new Date(from).getTime() : null;
}

/** Each failed attempt as the Core recorded it: `{attempt, at, error}` objects, or whatever else it stored. */
function errorEntries(errors: unknown): { attempt?: number; at?: string; error: string }[] {
  if (!Array.isArray(errors)) return [];
  return errors.map((e) => {
    if (typeof e === "object" && e !== null) {
      const r = e as Record<string, unknown>;
      return {
        attempt: typeof r.attempt === "number" ? r.attempt : undefined,
        at: typeof r.at === "string" ? r.at : undefined,
        error: typeof r.error === "string" ? r.error : typeof r.message === "string" ? r.message : prettyJson(e),
      };
    }
    return { error: String(e) };
  });
}

const ROW = "grid grid-cols-[8rem_1fr] gap-2";
const KEY = "text-slate-600 dark:text-slate-400";

/** Everything the Core knows about one job: timings, attempts and each attempt's error, and its payload. */
export function JobDetails({ job }: { job: JobView }) {
  const errors = errorEntries(job.errors);
  return (
    <div className="space-y-5 text-sm" data-testid="job-details">
      <dl className="space-y-1">
        <div className={ROW}>
          <dt className={KEY}>State</dt>
          <dd>
            <Badge tone={STATE_TONE[job.state]} data-testid="job-detail-state">
              {job.state}
            </Badge>{" "}
            <span className="text-slate-600 dark:text-slate-400">{STATE_HINT[job.state]}</span>
          </dd>
        </div>
        <div className={ROW}>
          <dt className={KEY}>Attempts</dt>
          <dd className="font-mono">{`${job.attempts} of ${job.maxAttempts}`}</dd>
        </div>
        <div className={ROW}>
          <dt className={KEY}>Source</dt>
          <dd className="font-mono break-all">{job.sourceId ? `${job.source} (${job.sourceId})` : job.source}</dd>
        </div>
        <div className={ROW}>
          <dt className={KEY}>Runs as</dt>
          <dd className="font-mono break-all">{job.userId ?? "the app's system worker"}</dd>
        </div>
        <div className={ROW}>
          <dt className={KEY}>Priority</dt>
          <dd className="font-mono">{job.priority}</dd>
        </div>
        {job.dedupKey && (
          <div className={ROW}>
            <dt className={KEY}>Dedup key</dt>
            <dd className="font-mono break-all">{job.dedupKey}</dd>
          </div>
        )}
        <div className={ROW}>
          <dt className={KEY}>Enqueued</dt>
          <dd>{formatWhen(job.enqueuedAt)}</dd>
        </div>
        <div className={ROW}>
          <dt className={KEY}>Due</dt>
          <dd>{formatWhen(job.runAt)}</dd>
        </div>
        <div className={ROW}>
          <dt className={KEY}>Started</dt>
          <dd>
            {formatWhen(job.startedAt)}
            {job.startedAt && <span className="text-slate-600 dark:text-slate-400"> (waited {formatDuration(ms(job.runAt, job.startedAt))})</span>}
          </dd>
        </div>
        <div className={ROW}>
          <dt className={KEY}>Finished</dt>
          <dd>
            {formatWhen(job.finishedAt)}
            {job.finishedAt && <span className="text-slate-600 dark:text-slate-400"> (ran {formatDuration(ms(job.startedAt, job.finishedAt))})</span>}
          </dd>
        </div>
      </dl>
      <section aria-labelledby="job-errors-title" className="space-y-2">
        <h3 id="job-errors-title" className="font-medium">
          Errors
        </h3>
        {errors.length === 0 ? (
          <p className="text-slate-600 dark:text-slate-400">{job.lastError ?? "No attempt has failed."}</p>
        ) : (
          <ol className="space-y-2" data-testid="job-errors">
            {errors.map((e, i) => (
              <li key={i} className="rounded-md border border-red-200 bg-red-50 p-2 dark:border-red-900 dark:bg-red-950">
                <div className="text-xs text-slate-700 dark:text-slate-300">
                  Attempt {e.attempt ?? i + 1}
                  {e.at ? `, ${formatWhen(e.at)}` : ""}
                </div>
                <pre className="mt-1 overflow-auto whitespace-pre-wrap break-words font-mono text-xs text-red-900 dark:text-red-200">{e.error}</pre>
              </li>
            ))}
          </ol>
        )}
      </section>
      <section aria-labelledby="job-payload-title" className="space-y-2">
        <h3 id="job-payload-title" className="font-medium">
          Payload
        </h3>
        <pre data-testid="job-payload" tabIndex={0} className="max-h-80 overflow-auto rounded-md bg-slate-100 p-3 font-mono text-xs text-slate-900 dark:bg-slate-800 dark:text-slate-100">
          {prettyJson(job.payload)}
        </pre>
      </section>
    </div>
  );
}
