import type { Queryable } from "../db/queryable.ts";

/** Where a job came from (the `source` column): the REST/tRPC API, a schedule, an entity hook, an inbound webhook, a replay. */
export type JobSource = "api" | "cron" | "hook" | "webhook" | "replay";

export interface EnqueueInput {
  appId: string;
  payload: unknown;
  /** Who the job runs as; null runs it on the app's lifecycle worker without a caller. */
  userId: string | null;
  /** Not claimable before this instant. */
  runAt?: Date;
  /** Higher runs first. */
  priority?: number;
  /** While a job with an equal key is queued, running or awaiting a retry, enqueueing answers that job instead. */
  dedupKey?: string;
  maxAttempts?: number;
  source?: JobSource;
  sourceId?: string;
}

/**
 * Enqueues one job through rootcx_system.enqueue_job_row (migration 0023), in the caller's transaction when `db` is
 * a client in one: the row and the dispatchers' wake-up (NOTIFY rootcx_jobs) both take effect at its commit. No
 * permission is checked here; callers authorize (service.ts, the cron and webhook services). Msg ids travel as strings.
 */
export async function enqueueJob(db: Queryable, input: EnqueueInput): Promise<{ msgId: string; deduplicated: boolean }> {
  const opts: Record<string, string | number> = {};
  if (input.runAt) opts.runAt = input.runAt.toISOString();
  if (input.priority !== undefined) opts.priority = input.priority;
  if (input.dedupKey !== undefined) opts.dedupKey = input.dedupKey;
  if (input.maxAttempts !== undefined) opts.maxAttempts = input.maxAttempts;
  if (input.source) opts.source = input.source;
  if (input.sourceId !== undefined) opts.sourceId = input.sourceId;
  const { rows } = await db.query<{ msg_id: string; deduplicated: boolean }>(
    "SELECT msg_id::text AS msg_id, deduplicated FROM rootcx_system.enqueue_job_row($1, $2::jsonb, $3::uuid, $4::jsonb)",
    [input.appId, JSON.stringify(input.payload ?? {}), input.userId, JSON.stringify(opts)],
  );
  const row = rows[0]!;
  return { msgId: row.msg_id, deduplicated: row.deduplicated };
}
