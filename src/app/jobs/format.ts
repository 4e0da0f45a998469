import type { BadgeTone } from "../components/badge.tsx";

export const JOB_STATES = ["queued", "running", "done", "failed", "dead", "cancelled"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** `failed` means "errored, a retry is scheduled"; `dead` means the attempts ran out. */
export const STATE_TONE: Record<JobState, BadgeTone> = {
  queued: "info",
  running: "accent",
  done: "success",
  failed: "warning",
  dead: "danger",
  cancelled: "neutral",
};

export const STATE_HINT: Record<JobState, string> = {
  queued: "waiting to run",
  running: "on a worker now",
  done: "finished",
  failed: "errored, will retry",
  dead: "attempts used up",
  cancelled: "cancelled",
};

export function isJobState(v: string | null | undefined): v is JobState {
  return (JOB_STATES as readonly string[]).includes(v ?? "");
}

/** Milliseconds as the shortest readable unit: 850 ms, 3.2 s, 4 min 10 s. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${min} min ${s} s` : `${min} min`;
}

export function formatWhen(iso: string | null | undefined, none = "—"): string {
  return iso ? new Date(iso).toLocaleString() : none;
}

/** A JSON value pretty-printed for reading (payloads, error lists). */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? "null";
}
