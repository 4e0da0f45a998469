import type { CronDto, CronRunDto } from "./schema.ts";
import type { CronRow, RunRow } from "./sql.ts";

/** A row as spec §2.9's CronSchedule (camelCase), pgJobId kept as null. */
export function toCronDto(r: CronRow): CronDto {
  return {
    id: r.id,
    appId: r.app_id,
    name: r.name,
    schedule: r.schedule,
    timezone: r.timezone,
    payload: r.payload,
    overlapPolicy: r.overlap_policy,
    enabled: r.enabled,
    pgJobId: null,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    runAs: r.run_as,
    source: r.source,
    nextRunAt: r.next_fire_at?.toISOString() ?? null,
  };
}

/** A run as spec §2.9's `{runid, jobPid, status, returnMessage, startTime, endTime}` plus ours. */
export function toRunDto(r: RunRow): CronRunDto {
  return {
    runid: Number(r.id),
    jobPid: null,
    status: r.status,
    returnMessage: r.message,
    startTime: r.started_at?.toISOString() ?? null,
    endTime: r.finished_at?.toISOString() ?? null,
    scheduledAt: r.scheduled_at.toISOString(),
    firedAt: r.fired_at?.toISOString() ?? null,
    msgId: r.msg_id,
    trigger: r.trigger,
  };
}
