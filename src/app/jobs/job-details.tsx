"use client";
import { Badge } from "../components/badge.tsx";
import { formatDuration, formatWhen, prettyJson, STATE_HINT, STATE_TONE } from "./format.ts";
import type { JobView } from "./types.ts";

function ms(from: string | null, to: string | null): number | null {
  return from && to ? new Date(to).getTime() - new Date(from).getTime() : null;
}

const ROW = "grid grid-cols-[8rem_1fr] gap-2";
const KEY = "text-slate-600 dark:text-slate-400";

/** Everything the Core knows about one job: timings, attempts and each attempt's error, and its payload. */
export function JobDetails({ job }: { job: JobView }) {
  // Newest first: the last attempt's error is the one that decided the job's state.
  const errors = [...job.errors].reverse();
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
            {job.cancelRequested && job.state === "running" && <span className="text-slate-600 dark:text-slate-400"> (cancel requested: it ends cancelled when its worker answers)</span>}
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
            {errors.map((e) => (
              <li key={`${e.attempt}-${e.at}`} className="rounded-md border border-red-200 bg-red-50 p-2 dark:border-red-900 dark:bg-red-950">
                <div className="text-xs text-slate-700 dark:text-slate-300">
                  Attempt {e.attempt}, {formatWhen(e.at)}
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
