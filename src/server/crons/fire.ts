import type pg from "pg";
import type { Logger } from "pino";
import { enqueueJob } from "../jobs/enqueue.ts";
import { planDue, type DueOptions } from "./due.ts";
import { parseSchedule } from "./schedule.ts";
import * as sql from "./scheduler-sql.ts";

/** What one visit fired: for each tick, how late it was (fire time − scheduled time), in ms. */
export interface VisitResult {
  lagsMs: number[];
}

const missedMessage = (catchUpMs: number) =>
  `missed: no Core fired this tick within ${Math.round(catchUpMs / 1000)} s of its time (none was running, or none led the scheduler); it is not replayed`;

/**
 * One due cron, in one transaction on the leader's connection: every owed tick up to `now` is recorded exactly once
 * (UNIQUE (cron_id, scheduled_at): a tick another leader already recorded is left alone), each one that fires
 * enqueues its job in the same transaction, and next_fire_at moves past `now`. Nothing is recorded if it rolls back.
 * With `failure`, the ticks are recorded as failed with that reason instead of enqueued: the scheduler's way past a
 * cron whose visit keeps throwing, so one broken cron neither stalls the others nor is retried in a tight loop.
 */
export async function visitCron(client: pg.ClientBase, log: Logger, id: string, now: Date, opts: DueOptions, failure?: string): Promise<VisitResult> {
  const lagsMs: number[] = [];
  await client.query("BEGIN");
  try {
    const cron = await sql.lockDue(client, id, now);
    if (!cron) {
      await client.query("COMMIT");
      return { lagsMs };
    }
    let plan;
    try {
      plan = planDue(parseSchedule(cron.schedule, cron.timezone), cron.next_fire_at, now, opts);
    } catch (err) {
      // Stored schedules were valid when written; one this runtime cannot read (time-zone data changed) stops
      // rather than being retried at every wake-up.
      log.error({ err, cronId: id, schedule: cron.schedule, timezone: cron.timezone }, "a stored schedule no longer parses; it will not fire until it is edited");
      await sql.advance(client, id, null);
      await client.query("COMMIT");
      return { lagsMs };
    }
    for (const at of plan.missed) await sql.insertTick(client, { cronId: id, at, status: "missed", message: missedMessage(opts.catchUpMs), firedAt: null });
    if (plan.summary) {
      const s = plan.summary;
      const message = `missed: ${s.atLeast ? "at least " : ""}${s.count} ticks from ${s.at.toISOString()} to ${s.last.toISOString()}${s.atLeast ? " and on" : ""} while no Core fired them; they are not replayed`;
      await sql.insertTick(client, { cronId: id, at: s.at, status: "missed", message, firedAt: null });
    }
    for (const at of plan.fire) {
      const firedAt = new Date();
      const runId = await sql.insertTick(client, { cronId: id, at, status: "scheduled", message: null, firedAt });
      if (!runId) continue;
      if (cron.refusal ?? failure) {
        await sql.settleTick(client, runId, "failed", (cron.refusal ?? failure)!);
        continue;
      }
      if (cron.overlap_policy === "skip") {
        const live = await sql.liveJob(client, cron.app_id, id);
        if (live) {
          await sql.settleTick(client, runId, "skipped", `skipped: job ${live} of an earlier run is still queued or running (overlap policy skip)`);
          continue;
        }
      }
      // The job carries the cron's id (spec §6.2) and, beyond the original, the tick's instant (an idempotency key).
      const { msgId } = await enqueueJob(client, {
        appId: cron.app_id,
        payload: { ...cron.payload, cron_id: id, scheduled_at: at.toISOString() },
        userId: cron.run_as,
        source: "cron",
        sourceId: id,
      });
      await client.query("UPDATE rootcx_system.cron_runs SET msg_id = $2 WHERE id = $1", [runId, msgId]);
      lagsMs.push(firedAt.getTime() - at.getTime());
    }
    await sql.advance(client, id, plan.next);
    await client.query("COMMIT");
    return { lagsMs };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}
