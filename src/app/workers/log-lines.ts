import { LOG_LEVELS, type WorkerLogLevel } from "../../server/workers/contracts.ts";

export { LOG_LEVELS };
export type { WorkerLogLevel };

/** One line of the logs panel; `seq` orders lines and keys them (the stream carries no ids). */
export interface LogLine {
  seq: number;
  level: WorkerLogLevel;
  message: string;
  /** The Core's "N messages dropped" notice: this subscriber fell behind and lost lines. */
  dropped: boolean;
  /** Written by the page itself (a reconnect), not by the Core. */
  local?: boolean;
}

/** The page keeps at most this many lines; older ones go first. */
export const BUFFER_LINES = 5000;

const DROPPED = /\b\d+ messages? dropped\b/i;

function isLevel(v: unknown): v is WorkerLogLevel {
  return typeof v === "string" && (LOG_LEVELS as readonly string[]).includes(v);
}

/**
 * An event's data as a log line. The stream is the Core's, but a frame that is not `{level, message}` still
 * shows (as raw stdout) rather than vanishing: a person reading logs wants to see everything that arrived.
 */
export function toLogLine(data: string, seq: number): LogLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return { seq, level: "stdout", message: data, dropped: false };
  }
  if (typeof parsed !== "object" || parsed === null) return { seq, level: "stdout", message: data, dropped: false };
  const { level, message } = parsed as { level?: unknown; message?: unknown };
  const text = typeof message === "string" ? message : JSON.stringify(message ?? null);
  const lvl = isLevel(level) ? level : "info";
  return { seq, level: lvl, message: text, dropped: lvl === "system" && DROPPED.test(text) };
}

/** Appends and keeps the newest `cap` lines, returning a new array (React state is never mutated). */
export function appendBounded(lines: readonly LogLine[], more: readonly LogLine[], cap = BUFFER_LINES): LogLine[] {
  if (more.length === 0) return lines as LogLine[];
  const all = lines.concat(more);
  return all.length > cap ? all.slice(all.length - cap) : all;
}

/**
 * Lines whose level is selected and whose message contains the search (case-insensitive). Drop notices and the
 * page's own notes always show: they say that what is on screen is incomplete, whatever the filter.
 */
export function filterLines(lines: readonly LogLine[], levels: ReadonlySet<WorkerLogLevel>, search: string): LogLine[] {
  const needle = search.trim().toLowerCase();
  return lines.filter((l) => l.local || l.dropped || (levels.has(l.level) && (!needle || l.message.toLowerCase().includes(needle))));
}
