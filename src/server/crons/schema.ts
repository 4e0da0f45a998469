import { z } from "zod";
import { appIdSchema } from "../apps/manifest.ts";
import { protoKeyMessage, protoKeyPath, strictBodyError } from "../jobs/json-body.ts";

export { appIdSchema };

/** An app holds at most this many schedules: each one is work the leader does forever. */
export const MAX_CRONS_PER_APP = 500;

/** Spec §6.2's rule for a cron's name. */
export const cronName = z.string({ error: "name must be a string" }).regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "name must be 1 to 64 letters, digits, _ or -" });
/** Parsed and checked against its time zone by the service (schedule.ts), which words the 400. */
export const cronSchedule = z.string({ error: "schedule must be a string" }).min(1, "schedule must not be empty").max(200, "schedule is at most 200 characters");
export const cronTimezone = z.string({ error: "timezone must be a string" }).min(1, "timezone must not be empty").max(64, "timezone is at most 64 characters");
export const overlapPolicy = z.enum(["skip", "queue"], { error: 'overlapPolicy must be "skip" or "queue"' });
/**
 * What every job of the cron receives (with cron_id and scheduled_at added); at most 64 KiB as JSON. A `__proto__`
 * key is refused before z.record, which would drop it without a word (as job payloads refuse it).
 */
export const cronPayload = z
  .unknown()
  .superRefine((v, ctx) => {
    const proto = protoKeyPath(v);
    if (proto) ctx.addIssue({ code: "custom", message: protoKeyMessage(proto) });
  })
  .pipe(z.record(z.string(), z.unknown(), { error: "payload must be a JSON object" }))
  .refine((p) => Buffer.byteLength(JSON.stringify(p)) <= 65_536, { error: "payload is at most 64 KiB of JSON" });
const runAs = z.guid({ error: "runAs must be a user id (UUID)" });

const CREATE_SHAPE = "{name, schedule, timezone?, payload?, overlapPolicy?, enabled?, runAs?}";
const UPDATE_SHAPE = "{schedule?, timezone?, payload?, overlapPolicy?, enabled?}";

export const createCronBody = z.object(
  {
    name: cronName,
    schedule: cronSchedule,
    timezone: cronTimezone.optional(),
    payload: cronPayload.optional(),
    overlapPolicy: overlapPolicy.optional(),
    enabled: z.boolean({ error: "enabled must be true or false" }).optional(),
    /** Beyond the original's owner-only runs: the user the jobs run as (an act-as delegation to the caller needed). */
    runAs: runAs.optional(),
  },
  { error: strictBodyError(`the body must be a JSON object ${CREATE_SHAPE}`, `a schedule takes ${CREATE_SHAPE}`) },
).strict();
export type CreateCronBody = z.infer<typeof createCronBody>;

export const updateCronBody = z.object(
  {
    schedule: cronSchedule.optional(),
    timezone: cronTimezone.optional(),
    payload: cronPayload.optional(),
    overlapPolicy: overlapPolicy.optional(),
    enabled: z.boolean({ error: "enabled must be true or false" }).optional(),
  },
  {
    error: strictBodyError(
      `the body must be a JSON object ${UPDATE_SHAPE}`,
      `PATCH takes ${UPDATE_SHAPE} (spec §2.9); a schedule's name and runAs are set when it is created: delete it and create it again to change them`,
    ),
  },
).strict();
export type UpdateCronBody = z.infer<typeof updateCronBody>;

export const cronIdSchema = z.guid({ error: "cronId must be a UUID" });
export const appParams = z.object({ appId: appIdSchema });
export const cronParams = z.object({ appId: appIdSchema, cronId: cronIdSchema });
export const runsQuery = z.object({
  limit: z.coerce.number({ error: "limit must be a number" }).int("limit must be a whole number").min(1, "limit must be between 1 and 500").max(500, "limit must be between 1 and 500").optional(),
});

export const previewInput = z.object({
  schedule: cronSchedule,
  timezone: cronTimezone.optional(),
  count: z.number().int().min(1, "count must be between 1 and 50").max(50, "count must be between 1 and 50").optional(),
});

/**
 * Spec §2.9's CronSchedule (camelCase). `pgJobId` is kept for clients that read it and is always null: no pg_cron
 * job exists. Ours beyond it: `runAs`, `source` (manifest|api) and `nextRunAt` (null while disabled).
 */
export const cronDto = z.object({
  id: z.string(),
  appId: z.string(),
  name: z.string(),
  schedule: z.string(),
  timezone: z.string(),
  payload: z.record(z.string(), z.unknown()),
  overlapPolicy: overlapPolicy,
  enabled: z.boolean(),
  pgJobId: z.null(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  runAs: z.string().nullable(),
  source: z.enum(["manifest", "api"]),
  nextRunAt: z.string().nullable(),
});
export type CronDto = z.infer<typeof cronDto>;

export const RUN_STATUSES = ["scheduled", "running", "succeeded", "failed", "skipped", "missed"] as const;

/**
 * Spec §2.9's run `{runid, jobPid, status, returnMessage, startTime, endTime}` (jobPid is always null: no database
 * backend runs the job), plus ours: the tick's instant, when it was fired, its job's msg_id and what caused it.
 */
export const cronRunDto = z.object({
  runid: z.number(),
  jobPid: z.null(),
  status: z.enum(RUN_STATUSES),
  returnMessage: z.string().nullable(),
  startTime: z.string().nullable(),
  endTime: z.string().nullable(),
  scheduledAt: z.string(),
  firedAt: z.string().nullable(),
  msgId: z.string().nullable(),
  trigger: z.enum(["schedule", "manual"]),
});
export type CronRunDto = z.infer<typeof cronRunDto>;

export const triggerDto = z.object({ msgId: z.string() });
export const messageDto = z.object({ message: z.string() });
export const previewDto = z.object({ next: z.array(z.string()) });
