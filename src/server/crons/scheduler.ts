import type pg from "pg";
import type { Core } from "../core.ts";
import { DUE_DEFAULTS, type DueOptions } from "./due.ts";
import { fireDue } from "./fire.ts";
import { Leadership } from "./leader.ts";
import * as sql from "./scheduler-sql.ts";

/** The longest the leader sleeps without looking: a bound, not the clock it ticks by (that is next_fire_at). */
const MAX_SLEEP_MS = 30_000;
/** Due crons handled per pass; more are taken at once in the next pass. */
const BATCH = 100;
const PRUNE_EVERY_MS = 3_600_000;
const KEEP_RUNS_PER_CRON = 10_000;
const RECHECK_MS = 5;
const ERROR_BACKOFF_MS = 1_000;

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
      const due = await sql.dueCrons(client, now, BATCH);
      if (lost.aborted) return;
      try {
        for (const lag of await fireDue(client, core.log, due, now, opts)) core.metrics.cronLag(lag / 1000);
      } catch (err) {
        if (lost.aborted) return;
        // Not a tick's failure (cron_fire records those): the statement itself failed. Look again shortly.
        core.log.error({ err }, "firing the due schedules failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, ERROR_BACKOFF_MS));
        continue;
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
