import { holdsPermission } from "../governance/permissions.ts";
import type { JobView } from "./schema.ts";

/**
 * An entity hook's job (source `hook`, migration 0025) carries the changed row (`record`, `old_record`) as the
 * trigger saw it, past row-level security. A reader of the queue (`app:{id}:job.read`) sees those rows only when it
 * may read the entity itself, judged by the key the Data API checks (`app:{app}:{entity}.read`); otherwise each
 * record present is replaced by a marker naming the key it lacks. The rest of the payload (hook id, entity,
 * operation, record_id, action) stays: it says what happened, not what the row holds.
 */

const RECORD_KEYS = ["record", "old_record"] as const;

export const entityReadKey = (appId: string, entity: string) => `app:${appId}:${entity}.read`;

export const hiddenMarker = (key: string) => `[hidden: requires ${key}]`;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The job as `held` may see it. */
export function visibleJob(job: JobView, held: readonly string[]): JobView {
  if (job.source !== "hook" || !isObject(job.payload)) return job;
  const payload = job.payload;
  const hasRecord = RECORD_KEYS.some((k) => payload[k] !== undefined && payload[k] !== null);
  if (!hasRecord) return job;
  // A hook payload always names its entity; one that does not (hand-made) shows its records to nobody but admins.
  const key = typeof payload.entity === "string" ? entityReadKey(job.appId, payload.entity) : "*";
  if (holdsPermission(held, key)) return job;
  const masked: Record<string, unknown> = { ...payload };
  for (const k of RECORD_KEYS) if (masked[k] !== undefined && masked[k] !== null) masked[k] = hiddenMarker(key);
  return { ...job, payload: masked };
}
