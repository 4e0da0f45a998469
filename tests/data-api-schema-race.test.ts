import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../src/server/auth/principal.ts";
import { entityOf, getRecord, listRecords, queryRecords } from "../src/server/data/service.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

/**
 * A Data API request resolves its entity before its statement runs; an uninstall or re-install that commits
 * in between must answer as the schema change it is (404 / 409), never as a 500.
 */

let core: TestCore;
let admin: Session;
let principal: Principal;

const manifest = (fields: { name: string; type: string }[]) => ({ appId: "race", name: "Race", version: "1.0.0", dataContract: [{ entityName: "t", fields }] });
const BOTH = [{ name: "title", type: "text" }, { name: "n", type: "number" }];

async function install(fields = BOTH, query = "") {
  const r = await api(core, "POST", `/api/v1/apps${query}`, manifest(fields), admin.accessToken);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@race.test");
  principal = { userId: admin.userId, email: admin.email, sessionId: undefined, displayName: null, createdAt: new Date() };
});

afterAll(async () => {
  await core?.dispose();
});

describe("a request that races a schema change", () => {
  it("answers 404 naming the entity when the app was uninstalled after the entity was resolved", async () => {
    await install();
    const created = await api(core, "POST", "/api/v1/apps/race/collections/t", { title: "a", n: 1 }, admin.accessToken);
    expect(created.status).toBe(201);
    const stale = await entityOf(core.core, "race", "t");
    expect((await api(core, "DELETE", "/api/v1/apps/race", undefined, admin.accessToken)).status).toBe(200);

    await expect(listRecords(core.core, principal, stale, { filters: {} })).rejects.toMatchObject({ code: "NOT_FOUND", message: "entity t not found in app race" });
    await expect(getRecord(core.core, principal, stale, created.body.id)).rejects.toMatchObject({ code: "NOT_FOUND", message: "entity t not found in app race" });
  });

  it("answers 409 when a column the request names was dropped by a re-install in between", async () => {
    await install();
    const stale = await entityOf(core.core, "race", "t");
    await install([{ name: "title", type: "text" }], "?allowDataLoss=true");

    await expect(queryRecords(core.core, principal, stale, { where: { n: { $gt: 0 } }, limit: 10, offset: 0 } as never)).rejects.toMatchObject({
      code: "CONFLICT",
      message: "the schema of race.t changed during the request; retry it",
    });
  });

  it("an install or uninstall that would wait on a table a long console query holds gives up with 409, and the table keeps serving", async () => {
    await install();
    const holder = api(core, "POST", "/api/v1/db/query", { sql: "SELECT count(*), pg_sleep(12) FROM race.t" }, admin.accessToken);
    // The console statement has taken its lock once it shows in pg_locks.
    let held = false;
    for (let i = 0; i < 100 && !held; i++) {
      const locks = await api(core, "POST", "/api/v1/db/query", { sql: "SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 't' AND l.granted" }, admin.accessToken);
      held = locks.body.rows?.[0]?.[0] > 0;
      if (!held) await new Promise((r) => setTimeout(r, 50));
    }
    expect(held).toBe(true);
    const started = Date.now();
    const changed = await api(core, "POST", "/api/v1/apps?allowDataLoss=true", manifest([{ name: "title", type: "text" }]), admin.accessToken);
    expect(changed).toMatchObject({ status: 409, body: { error: "the tables of app race are in use by another statement (waited 5s); retry" } });
    const dropped = await api(core, "DELETE", "/api/v1/apps/race", undefined, admin.accessToken);
    expect(dropped).toMatchObject({ status: 409, body: { error: "the tables of app race are in use by another statement (waited 5s); retry" } });
    // Gave up before the console statement ended, so nothing queued behind it for its whole run.
    expect(Date.now() - started).toBeLessThan(12_000);
    expect((await api(core, "GET", "/api/v1/apps/race/collections/t", undefined, admin.accessToken)).status).toBe(200);
    expect((await holder).status).toBe(200);
    // Once the holder is done, the same change applies.
    await install([{ name: "title", type: "text" }], "?allowDataLoss=true");
  }, 40_000);

  it("never answers 5xx to reads and writes that run while the app is uninstalled and re-installed", async () => {
    await install();
    const statuses = new Set<number>();
    const traffic = Array.from({ length: 120 }, (_, i) =>
      (i % 2 === 0
        ? api(core, "GET", "/api/v1/apps/race/collections/t?limit=5", undefined, admin.accessToken)
        : api(core, "POST", "/api/v1/apps/race/collections/t", { title: `r${i}`, n: i }, admin.accessToken)
      ).then((r) => statuses.add(r.status)),
    );
    const churn = (async () => {
      for (let k = 0; k < 3; k++) {
        expect((await api(core, "DELETE", "/api/v1/apps/race", undefined, admin.accessToken)).status).toBe(200);
        await install();
      }
    })();
    await Promise.all([...traffic, churn]);
    expect(statuses.size).toBeGreaterThan(0);
    expect([...statuses].filter((s) => s >= 500)).toEqual([]);
  });
});
