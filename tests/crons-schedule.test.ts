import { describe, expect, it } from "vitest";
import { CoreError } from "../src/server/errors.ts";
import { planDue, type DueOptions } from "../src/server/crons/due.ts";
import { nextInstants, parseSchedule, type Schedule } from "../src/server/crons/schedule.ts";

// Pure tests of the schedule parser and the due planner, with an injected clock: no database, no timers.

const iso = (d: Date) => d.toISOString();
const OPTS: DueOptions = { catchUpMs: 10_000, maxListed: 10, maxCounted: 1_000 };

/**
 * Runs the scheduler's decisions over [from, until) as the leader does: sleep to the owed instant, wake `lagMs`
 * later, fire what planDue says, owe its `next`. Returns every fired instant.
 */
function simulate(s: Schedule, from: Date, until: Date, lagMs = 40): string[] {
  const fired: string[] = [];
  let owed = s.nextAfter(from);
  while (owed && owed < until) {
    const plan = planDue(s, owed, new Date(owed.getTime() + lagMs), OPTS);
    expect(plan.missed).toEqual([]);
    fired.push(...plan.fire.map(iso));
    owed = plan.next;
  }
  return fired;
}

function refusal(schedule: string, timezone = "UTC"): string {
  try {
    parseSchedule(schedule, timezone);
  } catch (err) {
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).status).toBe(400);
    return (err as Error).message;
  }
  throw new Error(`${schedule} was accepted`);
}

describe("a 5-field cron in America/New_York across both daylight-saving changes (2026: 8 March, 1 November)", () => {
  const tz = "America/New_York";

  it("a daily 09:00 fires at 09:00 local: 14:00Z before spring-forward, 13:00Z after, 14:00Z again after fall-back", () => {
    const s = parseSchedule("0 9 * * *", tz);
    expect(simulate(s, new Date("2026-03-06T12:00:00Z"), new Date("2026-03-10T00:00:00Z"))).toEqual([
      "2026-03-06T14:00:00.000Z",
      "2026-03-07T14:00:00.000Z",
      "2026-03-08T13:00:00.000Z",
      "2026-03-09T13:00:00.000Z",
    ]);
    expect(simulate(s, new Date("2026-10-30T12:00:00Z"), new Date("2026-11-03T00:00:00Z"))).toEqual([
      "2026-10-30T13:00:00.000Z",
      "2026-10-31T13:00:00.000Z",
      "2026-11-01T14:00:00.000Z",
      "2026-11-02T14:00:00.000Z",
    ]);
  });

  it("02:30, which does not exist on 8 March, fires once at 03:00 EDT that day (the first valid time after the gap)", () => {
    const s = parseSchedule("30 2 * * *", tz);
    expect(simulate(s, new Date("2026-03-06T12:00:00Z"), new Date("2026-03-10T00:00:00Z"))).toEqual([
      "2026-03-07T07:30:00.000Z",
      "2026-03-08T07:00:00.000Z",
      "2026-03-09T06:30:00.000Z",
    ]);
  });

  it("01:30, which happens twice on 1 November, fires once (the first, EDT)", () => {
    const s = parseSchedule("30 1 * * *", tz);
    expect(simulate(s, new Date("2026-10-30T12:00:00Z"), new Date("2026-11-03T00:00:00Z"))).toEqual([
      "2026-10-31T05:30:00.000Z",
      "2026-11-01T05:30:00.000Z",
      "2026-11-02T06:30:00.000Z",
    ]);
  });

  it("an interval schedule (every 30 minutes in the 1 o'clock hour) fires in both 1 o'clock hours of 1 November", () => {
    const s = parseSchedule("*/30 1 * * *", tz);
    expect(simulate(s, new Date("2026-11-01T04:00:00Z"), new Date("2026-11-01T08:00:00Z"))).toEqual([
      "2026-11-01T05:00:00.000Z",
      "2026-11-01T05:30:00.000Z",
      "2026-11-01T06:00:00.000Z",
      "2026-11-01T06:30:00.000Z",
    ]);
  });

  it("a daily local midnight is 23 h after the one before spring-forward and 25 h after the one before fall-back", () => {
    const s = parseSchedule("0 0 * * *", tz);
    const gaps = (from: string, until: string) => {
      const at = simulate(s, new Date(from), new Date(until)).map((d) => new Date(d).getTime());
      return at.slice(1).map((t, i) => (t - at[i]!) / 3_600_000);
    };
    expect(gaps("2026-03-06T12:00:00Z", "2026-03-10T12:00:00Z")).toEqual([24, 23, 24]);
    expect(gaps("2026-10-30T12:00:00Z", "2026-11-03T12:00:00Z")).toEqual([24, 25, 24]);
  });
});

describe("schedule forms beyond the original", () => {
  it("@daily and @hourly (nicknames, case-insensitive) in the cron's time zone", () => {
    expect(nextInstants(parseSchedule("@daily", "UTC"), new Date("2026-03-07T12:00:00Z"), 2).map(iso)).toEqual(["2026-03-08T00:00:00.000Z", "2026-03-09T00:00:00.000Z"]);
    expect(nextInstants(parseSchedule("@Daily", "Europe/Paris"), new Date("2026-03-07T12:00:00Z"), 1).map(iso)).toEqual(["2026-03-07T23:00:00.000Z"]);
    expect(nextInstants(parseSchedule("@hourly", "UTC"), new Date("2026-03-07T12:10:00Z"), 1).map(iso)).toEqual(["2026-03-07T13:00:00.000Z"]);
  });

  it("day and month names: 0 9 * * MON and 0 0 1 JAN,JUL *", () => {
    expect(nextInstants(parseSchedule("0 9 * * MON", "Europe/Paris"), new Date("2026-03-04T00:00:00Z"), 2).map(iso)).toEqual(["2026-03-09T08:00:00.000Z", "2026-03-16T08:00:00.000Z"]);
    expect(nextInstants(parseSchedule("0 0 1 JAN,JUL *", "UTC"), new Date("2026-03-04T00:00:00Z"), 2).map(iso)).toEqual(["2026-07-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"]);
  });

  it("N seconds: every N seconds at the instants whose Unix time is a multiple of N (the same on every Core)", () => {
    const s = parseSchedule("2 seconds", "UTC");
    expect(nextInstants(s, new Date("2026-03-07T12:00:00.500Z"), 3).map(iso)).toEqual(["2026-03-07T12:00:02.000Z", "2026-03-07T12:00:04.000Z", "2026-03-07T12:00:06.000Z"]);
    expect(nextInstants(parseSchedule("59 seconds", "UTC"), new Date(0), 1).map((d) => d.getTime())).toEqual([59_000]);
    expect(nextInstants(parseSchedule("1 second", "UTC"), new Date(1500), 1).map((d) => d.getTime())).toEqual([2000]);
  });
});

describe("invalid schedules are refused with a 400 that says why and what is accepted", () => {
  it.each([
    ["61 * * * *", /schedule "61 \* \* \* \*" is not valid: Invalid value for minute: 61; use 5 fields/],
    ["* * * *", /it has 4 fields, a cron expression has 5/],
    ["0 0 * * * *", /it has 6 fields, a cron expression has 5/],
    ["2026-01-01T00:00:00", /it has 1 field, a cron expression has 5/],
    ["0 0 31 2 *", /it never fires \(no date matches it\)/],
    ["60 seconds", /the seconds form takes 1 to 59 seconds/],
    ["0 seconds", /the seconds form takes 1 to 59 seconds/],
    ["@reboot", /@reboot is not a known nickname/],
    ["* * * * FUNDAY", /is not valid: configuration entry 5 \(FUNDAY\) contains illegal characters; use/],
    ["every day", /it has 2 fields/],
  ])("%s", (schedule, message) => {
    const text = refusal(schedule);
    expect(text).toMatch(message);
    expect(text).toContain('"N seconds" with N from 1 to 59');
  });

  it("an unknown time zone", () => {
    expect(refusal("0 9 * * *", "Mars/Olympus_Mons")).toBe('timezone "Mars/Olympus_Mons" is not an IANA time zone (such as UTC, Europe/Paris or America/New_York)');
  });
});

describe("planDue: every owed instant is fired or missed exactly once", () => {
  const s = parseSchedule("2 seconds", "UTC");
  const T = new Date("2026-03-07T12:00:00.000Z").getTime();

  it("on time: the owed tick fires, the next one is owed", () => {
    const plan = planDue(s, new Date(T), new Date(T + 15), OPTS);
    expect(plan.fire.map(iso)).toEqual([iso(new Date(T))]);
    expect(plan.missed).toEqual([]);
    expect(plan.next).toEqual(new Date(T + 2000));
  });

  it("not yet due: nothing happens", () => {
    expect(planDue(s, new Date(T), new Date(T - 1), OPTS)).toEqual({ fire: [], missed: [], next: new Date(T) });
  });

  it("late within the catch-up window (a takeover): every late tick still fires", () => {
    const plan = planDue(s, new Date(T), new Date(T + 7_000), OPTS);
    expect(plan.fire.map((d) => d.getTime() - T)).toEqual([0, 2000, 4000, 6000]);
    expect(plan.missed).toEqual([]);
    expect(plan.next).toEqual(new Date(T + 8000));
  });

  it("a long outage: the first ticks listed as missed, the rest in one summary, the window's ticks fired, none replayed", () => {
    const plan = planDue(s, new Date(T), new Date(T + 60_000), OPTS);
    expect(plan.missed.map((d) => d.getTime() - T)).toEqual([0, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 18000]);
    expect(plan.summary).toEqual({ at: new Date(T + 20_000), count: 15, atLeast: false, last: new Date(T + 48_000) });
    expect(plan.fire.map((d) => d.getTime() - T)).toEqual([50_000, 52_000, 54_000, 56_000, 58_000, 60_000]);
    expect(plan.next).toEqual(new Date(T + 62_000));
    expect(10 + plan.summary!.count + plan.fire.length).toBe(31); // every instant from T to T+60 s, once
  });

  it("an outage too long to count says 'at least' and jumps straight to the window", () => {
    const plan = planDue(s, new Date(T), new Date(T + 86_400_000), { catchUpMs: 3_000, maxListed: 2, maxCounted: 5 });
    expect(plan.missed).toHaveLength(2);
    expect(plan.summary).toMatchObject({ at: new Date(T + 4000), count: 5, atLeast: true });
    expect(plan.fire.map((d) => d.getTime() - T)).toEqual([86_398_000, 86_400_000]);
  });

  it("catch-up 0 fires only the tick that is due now, not an older one", () => {
    const plan = planDue(s, new Date(T), new Date(T + 2000), { ...OPTS, catchUpMs: 0 });
    expect(plan.missed.map((d) => d.getTime() - T)).toEqual([0]);
    expect(plan.fire.map((d) => d.getTime() - T)).toEqual([2000]);
  });
});
