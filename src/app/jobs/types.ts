import type { JobState } from "./format.ts";

/** One job as the console shows it (tRPC `jobs.list` / `jobs.get`, contract item 5 of issue 15). */
export interface JobView {
  msgId: string;
  appId: string;
  payload: unknown;
  userId: string | null;
  state: JobState;
  priority: number;
  runAt: string;
  attempts: number;
  maxAttempts: number;
  dedupKey: string | null;
  source: string;
  sourceId: string | null;
  lastError: string | null;
  errors: unknown;
  enqueuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Percentiles {
  p50: number | null;
  p99: number | null;
}

/** tRPC `jobs.stats`: counts now, one point per minute of the window, wait (enqueue→start) and run times. */
export interface JobStatsView {
  counts: Record<string, number>;
  series: { at: string; enqueued: number; done: number; failed: number; dead: number }[];
  waitMs: Percentiles;
  runMs: Percentiles;
}
