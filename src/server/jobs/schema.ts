import { z } from "zod";
import { appIdSchema } from "../apps/manifest.ts";
import { protoKeyMessage, protoKeyPath, strictBodyError } from "./json-body.ts";

export { appIdSchema };

export const JOB_STATES = ["queued", "running", "done", "failed", "dead", "cancelled"] as const;
export type JobState = (typeof JOB_STATES)[number];
/** The states of a job still in the queue (what the original's q_jobs holds): the REST list's default. */
export const LIVE_STATES: JobState[] = ["queued", "running", "failed"];

/** A job travels to its worker as one IPC line of at most 1 MiB (migration 0023 checks the same bound). */
export const MAX_PAYLOAD_BYTES = 1_000_000;
/** How far ahead run_at may be. */
const MAX_DELAY_MS = 366 * 24 * 3600 * 1000;

export const jobStateSchema = z.enum(JOB_STATES, { error: `state must be one of ${JOB_STATES.join(", ")}` });

/** A msg_id as it travels (a string of digits, within bigint). */
export const msgIdSchema = z
  .string({ error: "msgId must be a job's msg_id (a positive whole number)" })
  // One check (zod runs every refinement even after a failed one, and BigInt() throws on what the pattern refuses).
  .refine((v) => /^[1-9]\d{0,18}$/.test(v) && BigInt(v) <= 9223372036854775807n, "msgId must be a job's msg_id (a positive whole number)");

/** Any JSON value but null (spec `payload?={}`: leave it out for `{}`), without a `__proto__` key, at most 1 MB. */
const payloadSchema = z.unknown().superRefine((v, ctx) => {
  if (v === null) {
    ctx.addIssue({ code: "custom", message: "payload must not be null: leave it out for {}" });
    return;
  }
  const proto = protoKeyPath(v);
  if (proto) {
    ctx.addIssue({ code: "custom", message: protoKeyMessage(proto) });
    return;
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(v ?? {});
  } catch {
    ctx.addIssue({ code: "custom", message: "payload cannot be serialised as JSON" });
    return;
  }
  if (Buffer.byteLength(text ?? "") > MAX_PAYLOAD_BYTES) ctx.addIssue({ code: "custom", message: `payload must be at most ${MAX_PAYLOAD_BYTES} bytes of JSON` });
});

const ENQUEUE_SHAPE = "{payload?, user_id?, run_at?, priority?, dedup_key?, max_attempts?}";

/**
 * `POST /apps/{id}/jobs` (spec §2.8 `{payload?, user_id?}`, plus our scheduling options). An empty body is `{}`; a
 * `null` body is refused, as is any other non-object.
 */
export const enqueueBody = z.preprocess(
  (body) => (body === undefined ? {} : body),
  z.object(
    {
      payload: payloadSchema.optional(),
      user_id: z.guid({ message: "user_id must be a user's id (a UUID)" }).optional(),
      run_at: z.iso
        .datetime({ offset: true, message: "run_at must be an ISO 8601 date-time such as 2030-01-01T09:00:00Z" })
        .transform((s) => new Date(s))
        .refine((d) => d.getTime() - Date.now() <= MAX_DELAY_MS, "run_at must be at most a year ahead")
        .optional(),
      priority: z
        .number({ error: "priority must be a whole number (higher runs first)" })
        .int("priority must be a whole number (higher runs first)")
        .min(-1_000_000, "priority must be between -1000000 and 1000000")
        .max(1_000_000, "priority must be between -1000000 and 1000000")
        .optional(),
      dedup_key: z
        .string({ error: "dedup_key must be a string" })
        .min(1, "dedup_key must be 1 to 256 characters")
        .max(256, "dedup_key must be 1 to 256 characters")
        .optional(),
      max_attempts: z
        .number({ error: "max_attempts must be a whole number between 1 and 100" })
        .int("max_attempts must be a whole number between 1 and 100")
        .min(1, "max_attempts must be a whole number between 1 and 100")
        .max(100, "max_attempts must be a whole number between 1 and 100")
        .optional(),
    },
    { error: strictBodyError(`the body must be a JSON object ${ENQUEUE_SHAPE}`, `the body takes ${ENQUEUE_SHAPE}`) },
  ).strict(),
);
export type EnqueueBody = z.output<typeof enqueueBody>;

/** What the service takes to enqueue (REST and tRPC spell it their way). */
export interface EnqueueRequest {
  payload?: unknown;
  userId?: string;
  runAt?: Date;
  priority?: number;
  dedupKey?: string;
  maxAttempts?: number;
}

export const appParams = z.object({ appId: appIdSchema });
export const jobParams = z.object({ appId: appIdSchema, msgId: msgIdSchema });

const limitSchema = z
  .string()
  .regex(/^\d{1,4}$/, "limit must be a whole number between 1 and 1000")
  .transform(Number)
  .refine((n) => n >= 1 && n <= 1000, "limit must be a whole number between 1 and 1000");

/** `GET /apps/{id}/jobs?state=&limit=100(≤1000)&archived=&before=` */
export const listQuery = z.object({
  state: jobStateSchema.optional(),
  limit: limitSchema.optional(),
  archived: z.enum(["true", "false"], { error: "archived must be true or false" }).optional(),
  /** Paging: jobs with a smaller msg_id than this one (the last of the previous page). */
  before: msgIdSchema.optional(),
});

/** One job, as the services return it (tRPC answers this; REST answers the spec's snake_case shape, jobRestDto). */
export const jobView = z.object({
  msgId: z.string(),
  appId: z.string(),
  payload: z.unknown(),
  userId: z.string().nullable(),
  state: jobStateSchema,
  priority: z.number(),
  runAt: z.string(),
  attempts: z.number(),
  maxAttempts: z.number(),
  dedupKey: z.string().nullable(),
  source: z.string(),
  sourceId: z.string().nullable(),
  lastError: z.string().nullable(),
  errors: z.array(z.object({ attempt: z.number(), at: z.string(), error: z.string() })),
  enqueuedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  cancelRequested: z.boolean(),
});
export type JobView = z.infer<typeof jobView>;

/** Spec §2.8's list item `{msg_id, app_id, payload, user_id, read_ct, enqueued_at}` (+ `archived_at`), with our fields. */
export const jobRestDto = z.object({
  msg_id: z.string(),
  app_id: z.string(),
  payload: z.unknown(),
  user_id: z.string().nullable(),
  read_ct: z.number().describe("attempts so far (pgmq's read count)"),
  enqueued_at: z.string(),
  archived_at: z.string().nullable().describe("when it finished, for done and cancelled jobs"),
  state: jobStateSchema,
  priority: z.number(),
  run_at: z.string(),
  attempts: z.number(),
  max_attempts: z.number(),
  dedup_key: z.string().nullable(),
  source: z.string(),
  source_id: z.string().nullable(),
  last_error: z.string().nullable(),
  errors: z.array(z.object({ attempt: z.number(), at: z.string(), error: z.string() })),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  cancel_requested: z.boolean(),
});
export type JobRestDto = z.infer<typeof jobRestDto>;

export function toRestDto(j: JobView): JobRestDto {
  return {
    msg_id: j.msgId,
    app_id: j.appId,
    payload: j.payload,
    user_id: j.userId,
    read_ct: j.attempts,
    enqueued_at: j.enqueuedAt,
    archived_at: j.state === "done" || j.state === "cancelled" ? j.finishedAt : null,
    state: j.state,
    priority: j.priority,
    run_at: j.runAt,
    attempts: j.attempts,
    max_attempts: j.maxAttempts,
    dedup_key: j.dedupKey,
    source: j.source,
    source_id: j.sourceId,
    last_error: j.lastError,
    errors: j.errors,
    started_at: j.startedAt,
    finished_at: j.finishedAt,
    cancel_requested: j.cancelRequested,
  };
}

export const enqueuedDto = z.object({ msg_id: z.string(), deduplicated: z.boolean().describe("true: a live job with this dedup_key was answered instead (200)") });
export const replayedDto = z.object({ replayed: z.number(), msg_ids: z.array(z.string()) });

const percentiles = z.object({ p50: z.number().nullable(), p99: z.number().nullable() });
export const statsView = z.object({
  counts: z.record(z.string(), z.number()),
  series: z.array(z.object({ at: z.string(), enqueued: z.number(), done: z.number(), failed: z.number(), dead: z.number() })),
  waitMs: percentiles,
  runMs: percentiles,
});
export type StatsView = z.infer<typeof statsView>;

export const listPage = z.object({ items: z.array(jobView), nextCursor: z.string().nullable() });
export type ListPage = z.infer<typeof listPage>;
