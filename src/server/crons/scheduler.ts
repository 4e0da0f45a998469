import type pg from "pg";
import type { Core } from "../core.ts";
import { DUE_DEFAULTS, type DueOptions } from "./due.ts";
import { visitCron } from "./fire.ts";
import { Leadership } from "./leader.ts";
import * as sql from "./scheduler-sql.ts";

/** The longest the leader sleeps without looking: a bound, not the clock it ticks by (that is next_fire_at). */
const MAX_SLEEP_MS = 30_000;
/** Due crons handled per pass; more are taken at once in the next pass. */
const BATCH = 100;
const PRUNE_EVERY_MS = 3_600_000;
const KEEP_RUNS_PER_CRON = 10_000;
const RECHECK_MS = 5;

export interface CronScheduler {
  /** Whether this Core process leads (fires the ticks) right now. */
  readonly leading: boolean;
  stop(): Promise<void>;
}

/**
 * The scheduler of every Core: a standby until it holds the leader lock (leader.ts), then it fires. It ticks at the
 * due instants themselves: it sleeps until the earliest next_fire_at of all enabled crons and wakes early on NOTIFY
 * rootcx_crons, which every create, edit, delete and install sends at commit, so a change takes effect at once
 * whichever Core made it. `clock` is injectable for tests.
 */
export function startCronScheduler(core: Core, clock: () => number = Date.now): CronScheduler {
  const opts: DueOptions = { ...DUE_DEFAULTS, catchUpMs: core.config.crons.catchUpMs };
  const leadership = new Leadership({
    databaseUrl: core.db.url,
    log: core.log,
    lockSql: sql.LEADER_LOCK_SQL,
    cancelBackend: async (pid) => void (await core.db.pool.query("SELECT pg_cancel_backend($1)", [pid])),
    lead: (client, lost) => lead(core, client, lost, opts, clock),
  });
  leadership.start();
  return {
    get leading() {
      return leadership.leading;
    },
    stop: () => leadership.stop(),
  };
}

async function lead(core: Core, client: pg.Client, lost: AbortSignal, opts: DueOptions, clock: () => number): Promise<void> {
  let woken = false;
  let wake: (() => void) | undefined;
  const onNotify = (n: pg.Notification) => {
    if (n.channel !== "rootcx_crons") return;
    woken = true;
    wake?.();
  };
  client.on("notification", onNotify);
  lost.addEventListener("abort", () => wake?.(), { once: true });
  await client.query("LISTEN rootcx_crons");
  let lastPrune = 0;
  try {
    while (!lost.aborted) {
      woken = false;
      const now = new Date(clock());
      const due = await sql.dueCronIds(client, now, BATCH);
      for (const id of due) {
        if (lost.aborted) return;
        await visit(core, client, id, now, opts);
      }
      if (due.length === BATCH) continue;
      if (clock() - lastPrune > PRUNE_EVERY_MS) {
        lastPrune = clock();
        const pruned = await sql.pruneRuns(client, core.config.crons.runRetentionDays, KEEP_RUNS_PER_CRON);
        if (pruned > 0) core.log.info({ pruned }, "pruned old schedule runs");
      }
      const owed = await sql.earliestOwed(client);
      if (woken || lost.aborted) continue;
      // A cron still owed in the past was locked by an edit in flight (its commit NOTIFYs): look again shortly.
      const delay = Math.min(MAX_SLEEP_MS, owed ? Math.max(RECHECK_MS, owed.getTime() - clock()) : MAX_SLEEP_MS);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delay);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    }
  } finally {
    client.off("notification", onNotify);
  }
}

/** One cron's visit; a visit that throws records the due ticks as failed instead, so the cron moves on. */
async function visit(core: Core, client: pg.Client, id: string, now: Date, opts: DueOptions): Promise<void> {
  try {
    const { lagsMs } = await visitCron(client, core.log, id, now, opts);
    for (const lag of lagsMs) core.metrics.cronLag(lag / 1000);
  } catch (err) {
    core.log.error({ err, cronId: id }, "firing a schedule failed; its due ticks are recorded as failed");
    await visitCron(client, core.log, id, now, opts, `the tick could not be enqueued: ${(err as Error).message}`);
  }
}
