import type { Schedule } from "./schedule.ts";

/** What the scheduler does with a cron whose owed instant has come, decided from the clock it is given. */
export interface DuePlan {
  /** Ticks to fire now: due, and late by at most the catch-up window. */
  fire: Date[];
  /** Ticks older than the window, recorded one by one as missed (at most `maxListed`). */
  missed: Date[];
  /**
   * The rest of a long outage, recorded as one missed row at `at` (its first tick): `count` ticks up to `last`, or at
   * least `count` when `atLeast` (counting stopped there; `last` is then the last one counted).
   */
  summary?: { at: Date; count: number; atLeast: boolean; last: Date };
  /** The next instant owed after this visit, or null if the schedule never fires again. */
  next: Date | null;
}

export interface DueOptions {
  /** A tick reached within this many ms of its instant still fires (late); an older one is missed, never replayed. */
  catchUpMs: number;
  /** Missed ticks recorded one by one before the rest collapse into one summary row. */
  maxListed: number;
  /** Missed ticks counted for the summary before it says "at least" (croner takes ~0.1 ms per instant). */
  maxCounted: number;
}

export const DUE_DEFAULTS: DueOptions = { catchUpMs: 10_000, maxListed: 10, maxCounted: 1_000 };
/** Fired in one visit at most, whatever the window: the schedule's own catch-up cannot turn into a flood. */
const MAX_FIRED = 100;

/**
 * Pure: `owed` is the cron's next_fire_at (an instant of the schedule), `now` the injected clock. Every instant from
 * `owed` to `now` is either fired or missed exactly once, and `next` is the first instant after `now`, so the next
 * visit starts where this one ended.
 */
export function planDue(s: Schedule, owed: Date, now: Date, opts: DueOptions = DUE_DEFAULTS): DuePlan {
  const plan: DuePlan = { fire: [], missed: [], next: owed };
  if (owed > now) return plan;
  const cut = new Date(now.getTime() - opts.catchUpMs);
  let t: Date | null = owed;
  let counted = 0;
  while (t !== null && t < cut) {
    if (plan.missed.length < opts.maxListed) plan.missed.push(t);
    else if (!plan.summary) plan.summary = { at: t, count: 1, atLeast: false, last: t };
    else {
      plan.summary.count++;
      plan.summary.last = t;
    }
    if (++counted >= opts.maxListed + opts.maxCounted) {
      plan.summary!.atLeast = true;
      // Jump to the window without visiting the rest of the outage.
      t = s.nextAfter(new Date(cut.getTime() - 1));
      break;
    }
    t = s.nextAfter(t);
  }
  while (t !== null && t <= now) {
    if (plan.fire.length < MAX_FIRED) plan.fire.push(t);
    else plan.missed.push(t);
    t = s.nextAfter(t);
  }
  plan.next = t;
  return plan;
}
