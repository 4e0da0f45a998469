import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createTestDatabase, signUpAndIn, startTestCore, type TestCore, type TestDatabase } from "./harness.ts";
import { manifest, waitFor } from "./workers-helpers.ts";

// Ticks owed while no Core ran are recorded as missed, never replayed (issue 15); a long outage collapses into ten
// rows and one summary. Two Cores one after the other on one database, with a 1 s catch-up window.

const APP = "missed";
let db: TestDatabase;
let pool: pg.Pool;
const env = { ROOTCX_MASTER_KEY: randomBytes(32).toString("hex"), ROOTCX_JWT_SECRET: randomBytes(32).toString("hex"), ROOTCX_CRON_CATCH_UP_SECONDS: "1" };
const cores: TestCore[] = [];

interface RunRow {
  scheduled_at: Date;
  status: string;
  message: string | null;
  msg_id: string | null;
  fired_at: Date | null;
}
const runsOf = async (cronId: string) =>
  (await pool.query<RunRow>("SELECT scheduled_at, status, message, msg_id::text, fired_at FROM rootcx_system.cron_runs WHERE cron_id = $1 ORDER BY scheduled_at", [cronId])).rows;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});

afterAll(async () => {
  for (const c of cores) await c.dispose().catch(() => undefined);
  await pool?.end();
  await db?.drop();
});

describe("missed ticks", () => {
  it("while no Core ran: recorded as missed with the reason, no job for them; the schedule resumes on time", async () => {
    const first = await startTestCore({ database: db, env });
    cores.push(first);
    const admin = await signUpAndIn(first, "admin@missed.test");
    expect((await api(first, "POST", "/api/v1/apps", manifest(APP), admin.accessToken)).status).toBe(200);
    const cron = (await api(first, "POST", `/api/v1/apps/${APP}/crons`, { name: "two", schedule: "2 seconds", overlapPolicy: "queue" }, admin.accessToken)).body;
    await waitFor("a first tick", async () => (await runsOf(cron.id)).some((r) => r.msg_id), 10_000);
    await first.stop();
    const downAt = Date.now();
    // A second cron owed since an hour ago stands for a long outage (written while no Core runs).
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO rootcx_system.crons (app_id, name, schedule, run_as, created_by, overlap_policy, next_fire_at)
       VALUES ($1, 'long', '1 seconds', $2, $2, 'queue', date_trunc('second', now()) - interval '1 hour') RETURNING id`,
      [APP, admin.userId],
    );
    const long = rows[0]!.id;
    await sleep(7_000);

    const second = await startTestCore({ database: db, env });
    cores.push(second);
    const upAt = Date.now();
    await waitFor("a tick after the restart", async () => (await runsOf(cron.id)).some((r) => r.msg_id && r.scheduled_at.getTime() > upAt), 10_000);

    const all = await runsOf(cron.id);
    // Every instant from the first tick on is there exactly once, 2 s apart: fired or missed.
    for (let i = 1; i < all.length; i++) expect(all[i]!.scheduled_at.getTime() - all[i - 1]!.scheduled_at.getTime()).toBe(2000);
    const missed = all.filter((r) => r.status === "missed");
    // Down ~7 s with a 1 s window: at least two instants missed, each older than a second when the Core came back.
    expect(missed.length).toBeGreaterThanOrEqual(2);
    for (const m of missed) {
      expect(m.scheduled_at.getTime()).toBeGreaterThan(downAt - 2000);
      expect(m.scheduled_at.getTime()).toBeLessThan(upAt);
      expect(m).toMatchObject({ msg_id: null, fired_at: null, message: "missed: no Core fired this tick within 1 s of its time (none was running, or none led the scheduler); it is not replayed" });
    }
    // No job for a missed tick: one job per fired run.
    const { rows: jobs } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM rootcx_system.jobs WHERE source_id = $1", [cron.id]);
    expect(jobs[0]!.n).toBe(all.filter((r) => r.msg_id).length);

    // The hour-long outage: ten ticks listed, then one summary row; only the catch-up window's ticks fired.
    const longRuns = await waitFor("the long cron's visit", async () => {
      const r = await runsOf(long);
      return r.some((x) => x.msg_id) ? r : undefined;
    });
    const longMissed = longRuns.filter((r) => r.status === "missed");
    expect(longMissed).toHaveLength(11);
    expect(longMissed[10]!.message).toMatch(/^missed: at least 1000 ticks from \S+ to \S+ and on while no Core fired them; they are not replayed$/);
    expect(longRuns.length).toBeLessThan(11 + 20);
    await second.stop();
  });
});
