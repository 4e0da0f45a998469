import type { BadgeTone } from "../components/badge.tsx";
import type { WorkerLogLevel, WorkerState } from "../../server/workers/contracts.ts";

/** 1536 → "1.5 KiB"; memory and archive sizes as people read them. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  const units = ["B", "KiB", "MiB", "GiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** 93_000 → "1 min 33 s"; the two largest units are enough to tell a fresh worker from an old one. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "—";
  const s = Math.floor(ms / 1000);
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), "d"],
    [Math.floor((s % 86_400) / 3600), "h"],
    [Math.floor((s % 3600) / 60), "min"],
    [s % 60, "s"],
  ];
  const first = parts.findIndex(([v]) => v > 0);
  if (first === -1) return "0 s";
  return parts
    .slice(first, first + 2)
    .filter(([v]) => v > 0)
    .map(([v, unit]) => `${v} ${unit}`)
    .join(" ");
}

export const STATE_TONE: Record<WorkerState, BadgeTone> = {
  running: "success",
  starting: "info",
  stopping: "warning",
  stopped: "neutral",
  crashed: "danger",
};

export const LEVEL_TONE: Record<WorkerLogLevel, BadgeTone> = {
  info: "info",
  warn: "warning",
  error: "danger",
  debug: "neutral",
  system: "accent",
  stdout: "neutral",
  stderr: "danger",
  event: "success",
};
