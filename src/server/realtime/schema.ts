import { z } from "zod";
import { CoreError } from "../errors.ts";

/** One change as a subscriber receives it: `record` is the row as the subscriber may read it now, `old` the row before. */
export interface RealtimeEvent {
  op: "insert" | "update" | "delete";
  id: string;
  record?: Record<string, unknown>;
  old?: Record<string, unknown>;
  /** When the change committed (ISO 8601). */
  at: string;
}

/** What a stream carries: a change (its seq is the event id), a resync order, or the reason it ended. */
export type RealtimeFrame =
  | { kind: "change"; seq: string; event: RealtimeEvent }
  | { kind: "resync"; reason: string }
  | { kind: "end"; reason: string };

export interface RealtimeLimits {
  /** How long committed changes are kept for Last-Event-ID resumption. */
  windowMs: number;
  /** A comment line this often on an idle stream. */
  keepAliveMs: number;
  /**
   * Bytes a subscriber may leave unread for long: above it for `drainMs` in a row, it is told to resync and dropped.
   * A burst written at once (a bulk of large rows) may pass it as long as the client drains it in time.
   */
  maxBufferedBytes: number;
  /** How long a subscriber may stay above `maxBufferedBytes` before it is cut off. */
  drainMs: number;
  /** Unread bytes past which a subscriber is cut off at once, however recently it read: its memory bound. */
  maxBurstBytes: number;
  /** Open change streams per Core process. */
  maxSubscribers: number;
  /** Open change streams per principal (user or service account) on one Core process. */
  maxSubscribersPerPrincipal: number;
  /** Distinct where filters evaluated in one statement (per permission set, per table, per batch). */
  wheresPerStatement: number;
  /** Changes read from the log per round. */
  batchSize: number;
  /** How often an idle stream's principal is checked again (sign-out, disable, key revoked). */
  accessRecheckMs: number;
  /** How often the log is pruned, and read even without a NOTIFY (a listener that reconnects misses some). */
  pruneEveryMs: number;
  pollMs: number;
}

export const DEFAULT_REALTIME_LIMITS: RealtimeLimits = {
  windowMs: 5 * 60_000,
  keepAliveMs: 15_000,
  maxBufferedBytes: 1024 * 1024,
  drainMs: 10_000,
  maxBurstBytes: 8 * 1024 * 1024,
  maxSubscribers: 10_000,
  maxSubscribersPerPrincipal: 32,
  wheresPerStatement: 64,
  batchSize: 500,
  accessRecheckMs: 5_000,
  pruneEveryMs: 30_000,
  pollMs: 1_000,
};

/** An event id: a seq, as the Core wrote it. */
export const lastEventIdSchema = z.string().regex(/^\d{1,18}$/, { error: "Last-Event-ID must be the id of an event this stream sent (digits)" });

/** `?where=` is the `/query` body's where object as JSON text; the entity's columns are checked when it is compiled. */
export const whereParamSchema = z.string().max(64 * 1024).transform((text, ctx): Record<string, unknown> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: "custom", message: "where must be JSON text (the where object of /query)" });
    return z.NEVER;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    ctx.addIssue({ code: "custom", message: "where must be a JSON object" });
    return z.NEVER;
  }
  return parsed as Record<string, unknown>;
});

/** A Last-Event-ID as a number the log can be compared with (seqs stay far below 2^53). */
export function parseLastEventId(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const r = lastEventIdSchema.safeParse(raw);
  if (!r.success) throw new CoreError("BAD_REQUEST", r.error.issues[0]!.message);
  return Number(r.data);
}
