import type { Logger } from "pino";
import type { Queryable } from "../db/queryable.ts";
import { planDue, type DueOptions } from "./due.ts";
import { parseSchedule } from "./schedule.ts";
import { disableOrphaned, ORPHAN_DISABLED, type DueCron } from "./scheduler-sql.ts";

const missedMessage = (catchUpMs: number) =>
  `missed: no Core fired this tick within ${Math.round(catchUpMs / 1000)} s of its time (none was running, or none led the scheduler); it is not replayed`;

/** One cron's part of rootcx_system.cron_fire's input (migration 0024). */
interface FirePlan {
  id: string;
  owed: string;
  fire: string[];
  missed: string[];
  missedMessage: string;
  summaryAt?: string;
  summaryMessage?: string;
  next: string | null;
}

/** Plans the owed instants of a due cron at `now` (pure, due.ts); a schedule this runtime cannot read owes nothing more. */
export function planCron(c: DueCron, now: Date, opts: DueOptions, log: Logger): FirePlan {
  const base = { id: c.id, owed: c.next_fire_at.toISOString(), missedMessage: missedMessage(opts.catchUpMs) };
  let plan;
  try {
    plan = planDue(parseSchedule(c.schedule, c.timezone), c.next_fire_at, now, opts);
  } catch (err) {
    // Stored schedules were valid when written; one the runtime no longer reads (time-zone data changed) stops
    // rather than being retried at every wake-up.
    log.error({ err, cronId: c.id, schedule: c.schedule, timezone: c.timezone }, "a stored schedule no longer parses; it will not fire until it is edited");
    return { ...base, fire: [], missed: [], next: null };
  }
  const out: FirePlan = { ...base, fire: plan.fire.map((d) => d.toISOString()), missed: plan.missed.map((d) => d.toISOString()), next: plan.next?.toISOString() ?? null };
  if (plan.summary) {
    const s = plan.summary;
    out.summaryAt = s.at.toISOString();
    out.summaryMessage = `missed: ${s.atLeast ? "at least " : ""}${s.count} ticks from ${s.at.toISOString()} to ${s.last.toISOString()}${s.atLeast ? " and on" : ""} while no Core fired them; they are not replayed`;
  }
  return out;
}

/**
 * Fires every due cron in one statement (rootcx_system.cron_fire: one round trip and one transaction, however many
 * crons are due at that instant): every owed instant up to `now` is recorded exactly once, fired ones enqueue their
 * job in the same transaction. Answers how late each enqueued tick was (fire time − scheduled time), in ms.
 */
export async function fireDue(db: Queryable, log: Logger, due: DueCron[], now: Date, opts: DueOptions): Promise<number[]> {
  if (due.length === 0) return [];
  const plans = due.map((c) => planCron(c, now, opts, log));
  const { rows } = await db.query<{ lag_ms: number }>("SELECT lag_ms FROM rootcx_system.cron_fire($1::jsonb)", [JSON.stringify(plans)]);
  const orphaned = due.filter((c) => c.orphaned).map((c) => c.id);
  if (orphaned.length > 0) {
    for (const c of await disableOrphaned(db, orphaned)) log.warn({ cronId: c.id, appId: c.app_id, name: c.name }, ORPHAN_DISABLED);
  }
  return rows.map((r) => Number(r.lag_ms));
}
