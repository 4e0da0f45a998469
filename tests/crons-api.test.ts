import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { installJobsApp, runs as fixtureRuns } from "./jobs-helpers.ts";
import { waitFor } from "./workers-helpers.ts";

// Schedules on one Core (spec §2.9): ticks fire on time into the job queue and their runs follow the jobs; the
// refusals of ownership, manage_others, cron.trigger and act-as, with their reasons.

const APP = "sched";
let core: TestCore;
let pool: pg.Pool;
let admin: Session;

interface Run {
  runid: number;
  jobPid: null;
  status: string;
  returnMessage: string | null;
  startTime: string | null;
  endTime: string | null;
  scheduledAt: string;
  firedAt: string | null;
  msgId: string | null;
  trigger: string;
}

const call = (method: string, path: string, body?: unknown, token = admin.accessToken) => api(core, method, `/api/v1${path}`, body, token);

async function create(body: Record<string, unknown>, token = admin.accessToken): Promise<{ id: string; name: string; runAs: string | null; nextRunAt: string | null }> {
  const res = await call("POST", `/apps/${APP}/crons`, body, token);
  if (res.status !== 201) throw new Error(`create ${JSON.stringify(body)}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function runsOf(cronId: string, token = admin.accessToken): Promise<Run[]> {
  const res = await call("GET", `/apps/${APP}/crons/${cronId}/runs?limit=500`, undefined, token);
  expect(res.status).toBe(200);
  return (res.body as Run[]).slice().reverse();
}

const disable = async (cronId: string) => expect((await call("PATCH", `/apps/${APP}/crons/${cronId}`, { enabled: false })).status).toBe(200);
const ms = (iso: string | null) => new Date(iso!).getTime();

beforeAll(async () => {
  core = await startTestCore({ env: { ROOTCX_JOB_POLL_MS: "200", ROOTCX_JOB_VISIBILITY_MS: "5000" } });
  pool = new pg.Pool({ connectionString: core.database.url, max: 2 });
  admin = await signUpAndIn(core, "admin@sched.test");
  await installJobsApp(core, admin, APP, [core.dataDir]);
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await core?.dispose();
});

describe("firing", () => {
  it("a `2 seconds` cron fires on time: runs 2 s apart at multiples of 2 s, each job run once as the creator, runs follow the jobs", async () => {
    const before = Date.now();
    const cron = await create({ name: "every2", schedule: "2 seconds", payload: { key: "every2" }, overlapPolicy: "queue" });
    expect(cron).toMatchObject({ appId: APP, name: "every2", schedule: "2 seconds", timezone: "UTC", payload: { key: "every2" }, overlapPolicy: "queue", enabled: true, pgJobId: null, createdBy: admin.userId, runAs: admin.userId, source: "api" });
    expect(ms(cron.nextRunAt) % 2000).toBe(0);
    expect(ms(cron.nextRunAt)).toBeGreaterThan(before);
    await waitFor("four ticks", async () => (await runsOf(cron.id)).length >= 4, 15_000);
    await disable(cron.id);
    const ticks = (await runsOf(cron.id)).filter((r) => r.trigger === "schedule");
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    for (const [i, r] of ticks.entries()) {
      expect(ms(r.scheduledAt) % 2000).toBe(0);
      if (i > 0) expect(ms(r.scheduledAt) - ms(ticks[i - 1]!.scheduledAt)).toBe(2000);
      // On time: fired within 250 ms after its instant, never before it.
      expect(ms(r.firedAt) - ms(r.scheduledAt)).toBeGreaterThanOrEqual(0);
      expect(ms(r.firedAt) - ms(r.scheduledAt)).toBeLessThan(250);
      expect(r.jobPid).toBeNull();
    }
    // The runs follow their jobs to the end (the trigger on rootcx_system.jobs).
    const done = await waitFor("every run succeeded", async () => {
      const all = (await runsOf(cron.id)).filter((r) => r.trigger === "schedule");
      return all.every((r) => r.status === "succeeded" && r.startTime && r.endTime) ? all : undefined;
    }, 20_000);
    expect(done.length).toBe(ticks.length);
    const { rows: jobs } = await pool.query<{ msg_id: string; payload: { cron_id: string; scheduled_at: string; key: string }; user_id: string; source: string; source_id: string; state: string }>(
      "SELECT msg_id::text, payload, user_id, source, source_id, state FROM rootcx_system.jobs WHERE source_id = $1 ORDER BY msg_id",
      [cron.id],
    );
    expect(jobs.map((j) => j.msg_id)).toEqual(done.map((r) => r.msgId));
    for (const [i, j] of jobs.entries()) {
      expect(j).toMatchObject({ source: "cron", source_id: cron.id, user_id: admin.userId, state: "done", payload: { key: "every2", cron_id: cron.id, scheduled_at: done[i]!.scheduledAt } });
    }
    // The worker ran each once.
    expect((await fixtureRuns(pool, APP, "every2")).filter((r) => r.phase === "end")).toHaveLength(done.length);
    const metrics = (await core.core.metrics.render()).body;
    expect(Number(/^rootcx_cron_lag_seconds_count (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(done.length);
  });

  it("overlap skip: no new job while the previous one is queued or running; the skipped ticks are recorded with the reason", async () => {
    const cron = await create({ name: "slow", schedule: "1 seconds", payload: { key: "slow", sleepMs: 2500 }, overlapPolicy: "skip" });
    await waitFor("a skipped tick after a second job", async () => {
      const r = await runsOf(cron.id);
      return r.filter((x) => x.msgId).length >= 2 && r.at(-1)!.status === "skipped";
    }, 20_000);
    await disable(cron.id);
    const all = await runsOf(cron.id);
    const skipped = all.filter((r) => r.status === "skipped");
    const enqueued = await waitFor("enqueued runs to end", async () => {
      const e = (await runsOf(cron.id)).filter((r) => r.msgId);
      return e.every((r) => r.endTime) ? e : undefined;
    }, 20_000);
    expect(skipped.length).toBeGreaterThanOrEqual(2);
    for (const s of skipped) {
      expect(s.returnMessage).toMatch(/^skipped: job \d+ of an earlier run is still queued or running \(overlap policy skip\)$/);
      expect(s.msgId).toBeNull();
    }
    // Never two jobs at once: each job was enqueued after the previous one ended.
    for (let i = 1; i < enqueued.length; i++) expect(ms(enqueued[i]!.firedAt)).toBeGreaterThanOrEqual(ms(enqueued[i - 1]!.endTime));
    // Every tick from the first to the last is there once, enqueued or skipped.
    for (let i = 1; i < all.length; i++) expect(ms(all[i]!.scheduledAt) - ms(all[i - 1]!.scheduledAt)).toBe(1000);
  });
});

describe("schedules and their validation", () => {
  const hourMinute = (iso: string, timeZone: string) =>
    new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23", weekday: "short" }).format(new Date(iso));

  it("accepts @daily and day names (MON) in a time zone, beyond the original", async () => {
    const daily = await create({ name: "daily", schedule: "@daily", timezone: "Europe/Paris" });
    expect(hourMinute(daily.nextRunAt!, "Europe/Paris")).toMatch(/ 00:00$/);
    expect(ms(daily.nextRunAt) - Date.now()).toBeLessThanOrEqual(86_400_000);
    const monday = await create({ name: "monday", schedule: "0 9 * * MON", timezone: "America/New_York" });
    expect(hourMinute(monday.nextRunAt!, "America/New_York")).toBe("Mon 09:00");
  });

  it("refuses invalid expressions, zones, names and bodies with a 400 that says why", async () => {
    const refusals: [Record<string, unknown>, string][] = [
      [{ name: "bad1", schedule: "61 * * * *" }, 'schedule "61 * * * *" is not valid: Invalid value for minute: 61; use 5 fields (minute hour day-of-month month day-of-week, names like MON allowed), a nickname (@hourly, @daily, @weekly, @monthly, @yearly) or "N seconds" with N from 1 to 59'],
      [{ name: "bad2", schedule: "60 seconds" }, 'schedule "60 seconds" is not valid: the seconds form takes 1 to 59 seconds; use 5 fields (minute hour day-of-month month day-of-week, names like MON allowed), a nickname (@hourly, @daily, @weekly, @monthly, @yearly) or "N seconds" with N from 1 to 59'],
      [{ name: "bad3", schedule: "0 0 31 2 *" }, 'schedule "0 0 31 2 *" is not valid: it never fires (no date matches it); use 5 fields (minute hour day-of-month month day-of-week, names like MON allowed), a nickname (@hourly, @daily, @weekly, @monthly, @yearly) or "N seconds" with N from 1 to 59'],
      [{ name: "bad4", schedule: "@reboot" }, 'schedule "@reboot" is not valid: @reboot is not a known nickname; use 5 fields (minute hour day-of-month month day-of-week, names like MON allowed), a nickname (@hourly, @daily, @weekly, @monthly, @yearly) or "N seconds" with N from 1 to 59'],
      [{ name: "bad5", schedule: "0 9 * * *", timezone: "Mars/Olympus_Mons" }, 'timezone "Mars/Olympus_Mons" is not an IANA time zone (such as UTC, Europe/Paris or America/New_York)'],
      [{ name: "bad name!", schedule: "@daily" }, "name: name must be 1 to 64 letters, digits, _ or -"],
      [{ name: "bad6", schedule: "@daily", overlapPolicy: "sometimes" }, 'overlapPolicy: overlapPolicy must be "skip" or "queue"'],
      [{ name: "bad7", schedule: "@daily", payload: [1] }, "payload: payload must be a JSON object"],
      [{ name: "bad8", schedule: 5 }, "schedule: schedule must be a string"],
      [{ name: "bad9", schedule: "@daily", runAs: "alice" }, "runAs: runAs must be a user id (UUID)"],
    ];
    for (const [body, error] of refusals) expect(await call("POST", `/apps/${APP}/crons`, body)).toMatchObject({ status: 400, body: { error } });
    expect(await call("POST", `/apps/${APP}/crons`, { name: "daily", schedule: "@hourly" })).toMatchObject({ status: 409, body: { error: `app ${APP} already has a schedule named daily` } });
    expect((await call("POST", `/apps/${APP}/crons`, "{not json")).status).toBe(400);

    const daily = (await call("GET", `/apps/${APP}/crons`)).body.find((c: { name: string }) => c.name === "daily");
    expect(await call("PATCH", `/apps/${APP}/crons/${daily.id}`, { schedule: "* * *" })).toMatchObject({ status: 400, body: { error: expect.stringContaining("it has 3 fields, a cron expression has 5") } });
    expect((await call("GET", `/apps/${APP}/crons`)).body.find((c: { name: string }) => c.name === "daily").schedule).toBe("@daily");
    expect(await call("PATCH", `/apps/${APP}/crons/not-a-uuid`, { enabled: false })).toMatchObject({ status: 400, body: { error: "cronId must be a UUID" } });
    expect(await call("DELETE", `/apps/${APP}/crons/00000000-0000-4000-8000-000000000000`)).toMatchObject({ status: 404, body: { error: `schedule 00000000-0000-4000-8000-000000000000 of app ${APP} not found` } });
  });

  it("concurrent creates: one name is taken once (409 for the rest); the 500-per-app cap holds under a race", async () => {
    const same = await Promise.all(Array.from({ length: 8 }, () => call("POST", `/apps/${APP}/crons`, { name: "racy", schedule: "@yearly" })));
    expect(same.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of same.filter((x) => x.status !== 201)) expect(r).toMatchObject({ status: 409, body: { error: `app ${APP} already has a schedule named racy` } });
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM rootcx_system.crons WHERE app_id = $1", [APP]);
    // Filled to one below the cap directly (disabled, so the leader owes them nothing), then two creates race for the last place.
    await pool.query(
      `INSERT INTO rootcx_system.crons (app_id, name, schedule, run_as, created_by, enabled)
       SELECT $1, 'filler' || g, '@yearly', $2, $2, false FROM generate_series(1, $3::int) g`,
      [APP, admin.userId, 499 - rows[0]!.n],
    );
    const last = await Promise.all(["last-a", "last-b"].map((name) => call("POST", `/apps/${APP}/crons`, { name, schedule: "@yearly" })));
    expect(last.map((r) => r.status).sort()).toEqual([201, 400]);
    expect(last.find((r) => r.status === 400)!.body).toEqual({ error: `app ${APP} already has 500 schedules, the most one app may have` });
    await pool.query("DELETE FROM rootcx_system.crons WHERE app_id = $1 AND (name LIKE 'filler%' OR name LIKE 'last-%' OR name = 'racy')", [APP]);
  });

  it("previews the next fire instants through tRPC, or explains the expression", async () => {
    const trpc = createCoreClient(core.url, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    const preview = await trpc.crons.preview.query({ schedule: "0 9 * * MON", timezone: "America/New_York", count: 5 });
    expect(preview.next).toHaveLength(5);
    for (const at of preview.next) expect(hourMinute(at, "America/New_York")).toBe("Mon 09:00");
    await expect(trpc.crons.preview.query({ schedule: "0 25 * * *", timezone: "UTC" })).rejects.toThrow(/Invalid value for hour: 25/);
  });

  it("an edit takes effect at once: the leader is woken (no 30 s wait), disabling stops owing ticks, enabling owes the next instant from now", async () => {
    const cron = await create({ name: "toggled", schedule: "@yearly", overlapPolicy: "queue" });
    const edited = await call("PATCH", `/apps/${APP}/crons/${cron.id}`, { schedule: "1 seconds" });
    expect(edited.body).toMatchObject({ schedule: "1 seconds" });
    const editedAt = Date.now();
    await waitFor("a tick of the edited schedule", async () => (await runsOf(cron.id)).length > 0, 3_000);
    expect(Date.now() - editedAt).toBeLessThan(3_000);
    const off = await call("PATCH", `/apps/${APP}/crons/${cron.id}`, { enabled: false });
    expect(off.body).toMatchObject({ enabled: false, nextRunAt: null });
    const count = (await runsOf(cron.id)).length;
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await runsOf(cron.id)).length).toBe(count);
    const on = await call("PATCH", `/apps/${APP}/crons/${cron.id}`, { enabled: true });
    expect(on.body).toMatchObject({ enabled: true, schedule: "1 seconds" });
    expect(ms(on.body.nextRunAt) - Date.now()).toBeLessThanOrEqual(1000);
    // The ticks while it was disabled were not owed: once it fires again, none is recorded as missed.
    await waitFor("a tick after re-enabling", async () => (await runsOf(cron.id)).length > count, 3_000);
    expect((await runsOf(cron.id)).filter((r) => r.status === "missed")).toEqual([]);
    expect(await call("DELETE", `/apps/${APP}/crons/${cron.id}`)).toMatchObject({ status: 200, body: { message: "schedule toggled deleted" } });
    expect((await pool.query("SELECT count(*)::int AS n FROM rootcx_system.cron_runs WHERE cron_id = $1", [cron.id])).rows[0].n).toBe(0);
  });
});

describe("who may do what (spec §2.9 ownership and manage_others)", () => {
  let bob: Session;
  let carol: Session;
  let dave: Session;
  let eve: Session;
  let bobs: { id: string };

  beforeAll(async () => {
    const role = async (name: string, permissions: string[]) => expect((await call("POST", "/roles", { name, permissions })).status).toBe(200);
    await role("sched_writer", [`app:${APP}:cron.read`, `app:${APP}:cron.write`]);
    await role("sched_trigger", [`app:${APP}:cron.read`, `app:${APP}:cron.write`, `app:${APP}:cron.trigger`]);
    await role("sched_boss", [`app:${APP}:cron.read`, `app:${APP}:cron.write`, `app:${APP}:cron.trigger`, `app:${APP}:cron.manage_others`]);
    const people = await Promise.all(["bob", "carol", "dave", "eve"].map((n) => signUpAndIn(core, `${n}@sched.test`)));
    [bob, carol, dave, eve] = people as [Session, Session, Session, Session];
    for (const [who, r] of [[bob, "sched_writer"], [carol, "sched_trigger"], [dave, "sched_boss"]] as const) {
      expect((await call("POST", "/roles/assign", { userId: who.userId, role: r })).status).toBe(200);
    }
    bobs = await create({ name: "bobs", schedule: "@yearly" }, bob.accessToken);
    await create({ name: "carols", schedule: "@yearly" }, carol.accessToken);
  });

  it("without cron.read or cron.write: 403 naming the key", async () => {
    expect(await call("GET", `/apps/${APP}/crons`, undefined, eve.accessToken)).toMatchObject({ status: 403, body: { error: `permission required: app:${APP}:cron.read` } });
    expect(await call("POST", `/apps/${APP}/crons`, { name: "eves", schedule: "@daily" }, eve.accessToken)).toMatchObject({ status: 403, body: { error: `permission required: app:${APP}:cron.write` } });
    expect(await call("GET", "/crons", undefined, eve.accessToken)).toMatchObject({ status: 200, body: [] });
  });

  it("a writer sees and changes only its own; someone else's is refused with the reason", async () => {
    const carolsView = await call("GET", `/apps/${APP}/crons`, undefined, carol.accessToken);
    expect(carolsView.body.map((c: { name: string }) => c.name)).toEqual(["carols"]);
    const refuse = (verb: string) => ({ status: 403, body: { error: `only the creator of schedule bobs or a holder of app:${APP}:cron.manage_others may ${verb} it` } });
    expect(await call("PATCH", `/apps/${APP}/crons/${bobs.id}`, { enabled: false }, carol.accessToken)).toMatchObject(refuse("change"));
    expect(await call("DELETE", `/apps/${APP}/crons/${bobs.id}`, undefined, carol.accessToken)).toMatchObject(refuse("delete"));
    expect(await call("GET", `/apps/${APP}/crons/${bobs.id}/runs`, undefined, carol.accessToken)).toMatchObject(refuse("see the runs of"));
    expect(await call("POST", `/apps/${APP}/crons/${bobs.id}/trigger`, undefined, carol.accessToken)).toMatchObject(refuse("trigger"));
    expect((await call("GET", "/crons", undefined, bob.accessToken)).body.map((c: { name: string }) => c.name)).toEqual(["bobs"]);
  });

  it("triggering needs cron.trigger, even for one's own", async () => {
    expect(await call("POST", `/apps/${APP}/crons/${bobs.id}/trigger`, undefined, bob.accessToken)).toMatchObject({ status: 403, body: { error: `permission required: app:${APP}:cron.trigger` } });
  });

  it("manage_others sees, changes and triggers everyone's; a trigger is a manual run, as the cron's run_as", async () => {
    const names = (await call("GET", `/apps/${APP}/crons`, undefined, dave.accessToken)).body.map((c: { name: string }) => c.name);
    expect(names).toEqual(expect.arrayContaining(["bobs", "carols", "daily"]));
    expect((await call("GET", "/crons", undefined, dave.accessToken)).body.map((c: { name: string }) => c.name)).toEqual(names);
    expect(await call("PATCH", `/apps/${APP}/crons/${bobs.id}`, { payload: { note: "from dave" } }, dave.accessToken)).toMatchObject({ status: 200, body: { payload: { note: "from dave" }, createdBy: bob.userId } });
    const trig = await call("POST", `/apps/${APP}/crons/${bobs.id}/trigger`, undefined, dave.accessToken);
    expect(trig).toMatchObject({ status: 200, body: { msgId: expect.stringMatching(/^\d+$/) } });
    const [run] = await runsOf(bobs.id, dave.accessToken);
    expect(run).toMatchObject({ trigger: "manual", msgId: trig.body.msgId, returnMessage: "triggered by dave@sched.test" });
    const { rows } = await pool.query("SELECT user_id, payload, source, source_id FROM rootcx_system.jobs WHERE msg_id = $1", [trig.body.msgId]);
    // The original enqueues the payload as it is (no cron_id) for a manual trigger.
    expect(rows[0]).toEqual({ user_id: bob.userId, payload: { note: "from dave" }, source: "cron", source_id: bobs.id });
    const { rows: audit } = await pool.query("SELECT operation FROM rootcx_system.audit_log WHERE record_id = $1 ORDER BY id", [bobs.id]);
    expect(audit.map((a) => a.operation)).toEqual(["cron.create", "cron.update", "cron.trigger"]);
  });

  it("runAs another user: refused for a person, and for a service account without that person's act-as delegation", async () => {
    const alice = await signUpAndIn(core, "alice@sched.test");
    expect(await call("POST", `/apps/${APP}/crons`, { name: "as-alice", schedule: "@daily", runAs: alice.userId }, bob.accessToken)).toMatchObject({
      status: 403,
      body: { error: `cron may not run as user ${alice.userId}: a person may not act as another person` },
    });
    const sa = await call("POST", "/service-accounts", { slug: "sched-bot" });
    expect(sa.status).toBe(201);
    expect((await call("POST", "/roles/assign", { userId: sa.body.id, role: "sched_boss" })).status).toBe(200);
    const key = (await call("POST", `/service-accounts/${sa.body.id}/credentials`, { name: "k" })).body.key as string;
    expect(await call("POST", `/apps/${APP}/crons`, { name: "as-alice", schedule: "1 seconds", runAs: alice.userId }, key)).toMatchObject({
      status: 403,
      body: { error: `cron may not run as user ${alice.userId}: no standing act-as delegation from that user to ${sa.body.id}` },
    });
    // Alice's jobs record their runs in the fixture's table as her: she needs that, and the account must cover it.
    expect((await call("POST", "/roles", { name: "sched_runner", permissions: [`app:${APP}:run.create`, `app:${APP}:run.read`] })).status).toBe(200);
    for (const id of [alice.userId, sa.body.id]) expect((await call("POST", "/roles/assign", { userId: id, role: "sched_runner" })).status).toBe(200);
    expect((await call("POST", `/service-accounts/${sa.body.id}/act-as`, { userId: alice.userId })).status).toBe(201);
    const asAlice = await create({ name: "as-alice", schedule: "1 seconds", runAs: alice.userId, overlapPolicy: "queue", payload: { key: "as-alice" } }, key);
    expect(asAlice).toMatchObject({ runAs: alice.userId, createdBy: sa.body.id });
    await waitFor("a run as alice", async () => (await fixtureRuns(pool, APP, "as-alice")).find((r) => r.phase === "end"), 15_000);
    expect((await fixtureRuns(pool, APP, "as-alice"))[0]!.who).toBe("alice@sched.test");

    // Consent withdrawn: the ticks are refused with the reason, and so is a trigger.
    expect((await call("DELETE", `/service-accounts/${sa.body.id}/act-as`, { userId: alice.userId })).status).toBe(200);
    const refused = await waitFor("a refused tick", async () => (await runsOf(asAlice.id, key)).find((r) => r.status === "failed"), 10_000);
    expect(refused.returnMessage).toBe("the act-as delegation from the user this schedule runs as to its creator no longer stands; it was not run");
    expect(refused.msgId).toBeNull();
    expect(await call("POST", `/apps/${APP}/crons/${asAlice.id}/trigger`, undefined, key)).toMatchObject({
      status: 409,
      body: { error: "schedule as-alice cannot run: the act-as delegation from the user this schedule runs as to its creator no longer stands" },
    });
    await disable(asAlice.id);
  });
});

describe("prober findings F5, F6, F10", () => {
  it("refuses unknown keys on create and PATCH with a 400 naming them, and a __proto__ payload key (F5, F6)", async () => {
    const createShape = "{name, schedule, timezone?, payload?, overlapPolicy?, enabled?, runAs?}";
    expect(await call("POST", `/apps/${APP}/crons`, { name: "strict1", schedule: "@daily", run_as: admin.userId })).toMatchObject({
      status: 400,
      body: { error: `unknown key "run_as": a schedule takes ${createShape}` },
    });
    const proto = await call("POST", `/apps/${APP}/crons`, '{"name": "strict2", "schedule": "@daily", "payload": {"__proto__": {"x": 1}}}');
    expect(proto).toMatchObject({ status: 400, body: { error: 'payload: payload cannot have the key "__proto__"' } });
    const made = await create({ name: "strict3", schedule: "@yearly", payload: { a: 1 } });
    const patchHint = "PATCH takes {schedule?, timezone?, payload?, overlapPolicy?, enabled?} (spec §2.9); a schedule's name and runAs are set when it is created: delete it and create it again to change them";
    for (const body of [{ runAs: admin.userId }, { name: "renamed", enabled: false }]) {
      const key = Object.keys(body)[0]!;
      expect(await call("PATCH", `/apps/${APP}/crons/${made.id}`, body)).toMatchObject({ status: 400, body: { error: `unknown key "${key}": ${patchHint}` } });
    }
    expect(await call("PATCH", `/apps/${APP}/crons/${made.id}`, '{"payload": {"b": {"__proto__": 1}}}')).toMatchObject({ status: 400, body: { error: 'payload: payload.b cannot have the key "__proto__"' } });
    // Nothing changed, and timezone is one of PATCH's keys.
    expect(await call("PATCH", `/apps/${APP}/crons/${made.id}`, { timezone: "Europe/Paris" })).toMatchObject({ status: 200, body: { name: "strict3", enabled: true, payload: { a: 1 }, timezone: "Europe/Paris" } });
    expect((await call("DELETE", `/apps/${APP}/crons/${made.id}`)).status).toBe(200);
  });

  it("disables a cron whose run_as user is gone at its first refused tick, and says why in that run (F10)", async () => {
    const orphan = await create({ name: "orphan", schedule: "1 seconds", payload: { key: "orphan" } });
    // What deleting the user does to the row (ON DELETE SET NULL), without deleting the test's admin.
    await pool.query("UPDATE rootcx_system.crons SET run_as = NULL WHERE id = $1", [orphan.id]);
    await waitFor("the cron to be disabled", async () => (await call("GET", `/apps/${APP}/crons`)).body.find((c: { id: string; enabled: boolean }) => c.id === orphan.id && !c.enabled), 10_000);
    const cron = (await call("GET", `/apps/${APP}/crons`)).body.find((c: { id: string }) => c.id === orphan.id);
    expect(cron).toMatchObject({ enabled: false, nextRunAt: null, runAs: null });
    // Give it ticks it would have fired: none is recorded after the refused one.
    await new Promise((r) => setTimeout(r, 2_500));
    const all = await runsOf(orphan.id);
    const failed = all.filter((r) => r.status === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.returnMessage).toBe(
      "the user this schedule runs as no longer exists; it was not run; the schedule was disabled: the user it runs as was deleted, so no tick can run until it is deleted and created again",
    );
    expect(all.filter((r) => r.msgId !== null)).toEqual([]);
    expect((await call("DELETE", `/apps/${APP}/crons/${orphan.id}`)).status).toBe(200);
  });
});
