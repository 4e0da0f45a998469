import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { manifest } from "./workers-helpers.ts";

// Spec §3: manifest `crons` are reconciled on every install; crons made through the API are left alone.

const APP = "mcron";
let core: TestCore;
let pool: pg.Pool;
let admin: Session;

const install = (crons: unknown, version = "0.1.0") => api(core, "POST", "/api/v1/apps", manifest(APP, { crons, version }), admin.accessToken);
const list = async () => ((await api(core, "GET", `/api/v1/apps/${APP}/crons`, undefined, admin.accessToken)).body as { id: string; name: string; schedule: string; timezone: string; payload: object; overlapPolicy: string; source: string; enabled: boolean; createdBy: string }[]).sort((a, b) => a.name.localeCompare(b.name));

beforeAll(async () => {
  core = await startTestCore();
  pool = new pg.Pool({ connectionString: core.database.url, max: 2 });
  admin = await signUpAndIn(core, "admin@mcron.test");
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await core?.dispose();
});

describe("manifest crons", () => {
  it("are created on install (method merged into payload.method), updated and removed on re-install; API crons stay", async () => {
    expect((await install([
      { name: "nightly", schedule: "0 2 * * *", method: "close_stale", overlapPolicy: "skip" },
      { name: "often", schedule: "30 seconds", timezone: "Europe/Paris", payload: { a: 1 }, overlapPolicy: "queue" },
    ])).status).toBe(200);
    const first = await list();
    expect(first).toMatchObject([
      { name: "nightly", schedule: "0 2 * * *", timezone: "UTC", payload: { method: "close_stale" }, overlapPolicy: "skip", source: "manifest", enabled: true, createdBy: admin.userId },
      { name: "often", schedule: "30 seconds", timezone: "Europe/Paris", payload: { a: 1 }, overlapPolicy: "queue", source: "manifest" },
    ]);
    const mine = await api(core, "POST", `/api/v1/apps/${APP}/crons`, { name: "mine", schedule: "@weekly" }, admin.accessToken);
    expect(mine.status).toBe(201);
    // An administrator's disable survives re-installs.
    expect((await api(core, "PATCH", `/api/v1/apps/${APP}/crons/${first[0]!.id}`, { enabled: false }, admin.accessToken)).status).toBe(200);

    expect((await install([{ name: "nightly", schedule: "0 3 * * *", method: "close_stale" }, { name: "weekly", schedule: "@weekly" }], "0.2.0")).status).toBe(200);
    const second = await list();
    expect(second.map((c) => c.name)).toEqual(["mine", "nightly", "weekly"]);
    expect(second[1]).toMatchObject({ id: first[0]!.id, schedule: "0 3 * * *", enabled: false, source: "manifest" });
    expect(second[0]).toMatchObject({ id: mine.body.id, source: "api", schedule: "@weekly" });
    expect(second[2]).toMatchObject({ source: "manifest", enabled: true });
  });

  it("a manifest cron named like an API cron is a 409, and the install changes nothing", async () => {
    const before = await list();
    expect(await install([{ name: "mine", schedule: "@daily" }], "0.3.0")).toMatchObject({
      status: 409,
      body: { error: `crons: the manifest declares a schedule named mine, but app ${APP} already has one made through the API; rename one of them or delete the API one` },
    });
    expect(await list()).toEqual(before);
    expect((await pool.query("SELECT version FROM rootcx_system.apps WHERE id = $1", [APP])).rows[0].version).toBe("0.2.0");
  });

  it("invalid manifest crons are refused with the path of the problem", async () => {
    const refusals: [unknown, string][] = [
      [[{ name: "x", schedule: "61 * * * *" }], 'crons[0]: schedule "61 * * * *" is not valid: Invalid value for minute: 61; use 5 fields (minute hour day-of-month month day-of-week, names like MON allowed), a nickname (@hourly, @daily, @weekly, @monthly, @yearly) or "N seconds" with N from 1 to 59'],
      [[{ name: "ok", schedule: "@daily" }, { name: "bad name", schedule: "@daily" }], "crons[1].name: name must be 1 to 64 letters, digits, _ or -"],
      [[{ name: "twice", schedule: "@daily" }, { name: "twice", schedule: "@hourly" }], "crons[1].name: twice is declared twice"],
      [["nightly"], "crons[0]: a cron is an object {name, schedule, timezone?, method?, payload?, overlapPolicy?}"],
      [[{ name: "tz", schedule: "@daily", timezone: "Nowhere/Land" }], 'crons[0]: timezone "Nowhere/Land" is not an IANA time zone (such as UTC, Europe/Paris or America/New_York)'],
    ];
    for (const [crons, error] of refusals) expect(await install(crons, "0.4.0")).toMatchObject({ status: 400, body: { error } });
  });

  it("a manifest without crons removes the manifest ones; uninstalling removes the rest", async () => {
    expect((await install(undefined, "0.5.0")).status).toBe(200);
    expect((await list()).map((c) => c.name)).toEqual(["mine"]);
    expect((await api(core, "DELETE", `/api/v1/apps/${APP}`, undefined, admin.accessToken)).status).toBe(200);
    expect((await pool.query("SELECT count(*)::int AS n FROM rootcx_system.crons WHERE app_id = $1", [APP])).rows[0].n).toBe(0);
  });
});
