import { Cron } from "croner";
import { CoreError } from "../errors.ts";

/**
 * A parsed schedule: the instants it fires at, as a function from "after" to the next one. Two forms, as the
 * original accepts (spec §6.2), parsed with croner beyond what the original does:
 * - a 5-field cron expression (minute hour day-of-month month day-of-week), with names (MON, JAN), ranges, steps,
 *   `L`, and the nicknames @yearly @annually @monthly @weekly @daily @midnight @hourly, in an IANA time zone;
 * - `N seconds` (N from 1 to 59): every N seconds, at the instants whose Unix time is a multiple of N, so every
 *   Core computes the same instants (the unique (cron, instant) record then stops a double fire).
 */
export interface Schedule {
  /** The first instant strictly after `after`, or null if there is none (29 February of a year that never comes). */
  nextAfter(after: Date): Date | null;
}

const SECONDS_FORM = /^([1-9]|[1-5][0-9]) seconds?$/i;
const NICKNAMES = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);
const HELP = 'use 5 fields (minute hour day-of-month month day-of-week, names like MON allowed), a nickname (@hourly, @daily, @weekly, @monthly, @yearly) or "N seconds" with N from 1 to 59';

export const DEFAULT_TIMEZONE = "UTC";

/** 400 unless `tz` is an IANA time zone this runtime knows (ICU data): "Europe/Paris", "UTC". */
export function assertTimezone(tz: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    throw new CoreError("BAD_REQUEST", `timezone ${JSON.stringify(tz)} is not an IANA time zone (such as UTC, Europe/Paris or America/New_York)`);
  }
}

class EverySeconds implements Schedule {
  readonly #periodMs: number;
  constructor(seconds: number) {
    this.#periodMs = seconds * 1000;
  }
  nextAfter(after: Date): Date {
    return new Date((Math.floor(after.getTime() / this.#periodMs) + 1) * this.#periodMs);
  }
}

class CronExpression implements Schedule {
  readonly #cron: Cron;
  constructor(cron: Cron) {
    this.#cron = cron;
  }
  nextAfter(after: Date): Date | null {
    return this.#cron.nextRun(after);
  }
}

/**
 * Parses a schedule, or throws a 400 that says what is wrong and what is accepted. A schedule that can never fire
 * in its time zone (`0 0 31 2 *`) is refused too: it would sit enabled and silent forever.
 */
export function parseSchedule(schedule: string, timezone: string): Schedule {
  assertTimezone(timezone);
  const text = schedule.trim();
  const seconds = SECONDS_FORM.exec(text);
  if (seconds) return new EverySeconds(Number(seconds[1]));
  const invalid = (why: string) => new CoreError("BAD_REQUEST", `schedule ${JSON.stringify(schedule)} is not valid: ${why}; ${HELP}`);
  if (/^\d+ seconds?$/i.test(text)) throw invalid("the seconds form takes 1 to 59 seconds");
  if (text.startsWith("@")) {
    if (!NICKNAMES.has(text.toLowerCase())) throw invalid(`${text} is not a known nickname`);
  } else {
    // croner also reads 6- and 7-field patterns and ISO dates (a one-off run): a schedule here is 5 fields.
    const fields = text.split(/\s+/).filter(Boolean).length;
    if (fields !== 5) throw invalid(`it has ${fields} field${fields === 1 ? "" : "s"}, a cron expression has 5`);
  }
  let cron: Cron;
  try {
    cron = new Cron(text.startsWith("@") ? text.toLowerCase() : text, { timezone, mode: "5-part", paused: true });
  } catch (err) {
    throw invalid((err instanceof Error ? err.message : String(err)).replace(/^Cron(Pattern|Date)?:\s*/, "").replace(/\.$/, ""));
  }
  const parsed = new CronExpression(cron);
  if (parsed.nextAfter(new Date()) === null) throw invalid("it never fires (no date matches it)");
  return parsed;
}

/** The next `count` instants after `from`, for a preview (the Studio shows five). */
export function nextInstants(s: Schedule, from: Date, count: number): Date[] {
  const out: Date[] = [];
  let at: Date | null = from;
  while (out.length < count && (at = s.nextAfter(at)) !== null) out.push(at);
  return out;
}
