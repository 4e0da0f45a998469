import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreError } from "../src/server/errors.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { openSse } from "./sse-client.ts";
import { collectLogs, details, FIXTURES, manifest, placeFixture, waitFor } from "./workers-helpers.ts";

// An administrator's stop that holds (on every Core process, across a restart), the onStart bypass closing when
// onStart ends, and the answers a beginner's mistakes get: params the wire cannot carry, no serve(), an exit before
// the handshake, an unknown method.
let core: TestCore;
let admin: Session;
const rpc = (on: TestCore, token: string, appId: string, method: string, params: unknown = {}) => api(on, "POST", `/api/v1/apps/${appId}/rpc`, { method, params }, token);
const status = async (on: TestCore, token: string, appId: string) => (await api(on, "GET", `/api/v1/apps/${appId}/worker/status`, undefined, token)).body.status as string | undefined;

beforeAll(async () => {
  core = await startTestCore({ env: { ROOTCX_RPC_TIMEOUT_MS: "3000" } });
  admin = await signUpAndIn(core, "admin@example.com");
  for (const id of ["kit", "late", "noserve", "early"]) expect((await api(core, "POST", "/api/v1/apps", manifest(id), admin.accessToken)).status).toBe(200);
  placeFixture(core, "kit", "kit");
}, 60_000);

afterAll(async () => {
  await core?.dispose();
});

describe("an administrator's stop holds", () => {
  it("refuses RPCs with 503, is not undone by a log reader, another Core or a restart, and ends with start", async () => {
    const token = admin.accessToken;
    expect((await api(core, "POST", "/api/v1/apps/kit/worker/start", undefined, token)).status).toBe(200);
    expect((await api(core, "POST", "/api/v1/apps/kit/worker/stop", undefined, token)).body).toEqual({ message: "worker for app kit stopped" });
    const refused = await rpc(core, token, "kit", "echo");
    expect(refused).toMatchObject({ status: 503, body: { error: "app kit's workers are stopped by an administrator" } });

    // A log reader gets its stream, without starting the app.
    const reader = await openSse(core.url, "/api/v1/apps/kit/logs?replay=0", token);
    await sleep(500);
    expect(await status(core, token, "kit")).toBe("stopped");
    expect(reader.events()).toEqual([]);
    reader.close();

    // Another Core process on the same database, booting with the app deployed (a restart is the same boot),
    // neither starts it nor serves it.
    const otherDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-test-data-"));
    cpSync(path.join(FIXTURES, "kit"), path.join(otherDir, "apps", "kit"), { recursive: true });
    const other = await startTestCore({ database: core.database, env: { ROOTCX_DATA_DIR: otherDir, ROOTCX_MASTER_KEY: core.core.config.masterKey.toString("hex") } });
    try {
      const otherAdmin = await signUpAndIn(other, admin.email);
      await sleep(300);
      expect(await details(other, otherAdmin.accessToken, "kit")).toMatchObject([{ identity: "system", state: "stopped", pid: null }]);
      expect(await rpc(other, otherAdmin.accessToken, "kit", "echo")).toMatchObject({ status: 503, body: { error: "app kit's workers are stopped by an administrator" } });
      expect(await status(other, otherAdmin.accessToken, "kit")).toBe("stopped");

      // Start (on the first Core) lifts it everywhere; the other Core sees it within its one-second cache.
      expect((await api(core, "POST", "/api/v1/apps/kit/worker/start", undefined, token)).status).toBe(200);
      expect((await rpc(core, token, "kit", "echo", { n: 1 })).status).toBe(200);
      await waitFor("the other Core serving again", async () => (await rpc(other, otherAdmin.accessToken, "kit", "echo")).status === 200, 5000, 200);

      // A stop on the other Core is seen by this one at its next call after the cache, and stops its workers too.
      expect((await api(other, "POST", "/api/v1/apps/kit/worker/stop", undefined, otherAdmin.accessToken)).status).toBe(200);
      await waitFor("the stop seen here", async () => (await rpc(core, token, "kit", "echo")).status === 503, 5000, 200);
      await waitFor("this Core's workers stopped", async () => (await status(core, token, "kit")) === "stopped", 5000, 100);
    } finally {
      await other.stop();
      rmSync(otherDir, { recursive: true, force: true });
    }
    // A restart (as deploy and rollback do) ends the stop too.
    expect((await api(core, "POST", "/api/v1/apps/kit/worker/restart", undefined, token)).status).toBe(200);
    expect((await rpc(core, token, "kit", "echo")).status).toBe(200);
  }, 60_000);
});

describe("the onStart bypass", () => {
  it("closes when onStart ends: a timer onStart left reads nothing and writes nothing a second later", async () => {
    placeFixture(core, "late-read", "late");
    const logs = collectLogs(core, "late");
    expect((await api(core, "POST", "/api/v1/apps/late/worker/start", undefined, admin.accessToken)).status).toBe(200);
    await waitFor("the late write", () => logs.entries.some((e) => /^late write:/.test(e.message)), 10_000);
    expect(logs.entries.map((e) => e.message)).toContain("late read: 0 rows");
    expect(logs.entries.find((e) => /^late write:/.test(e.message))?.message).toMatch(/^late write: refused \(.*row-level security/);
    // What onStart wrote itself (the bypass open) is there; nothing after it.
    const rows = (await core.core.db.pool.query<{ title: string }>("SELECT title FROM late.note")).rows;
    expect(rows).toEqual([{ title: "seeded in onStart" }]);
    logs.stop();
  });
});

describe("answers to a beginner's mistakes", () => {
  it("params the wire cannot carry are a 400 with a sentence, never a 500 (callers inside the Core included)", async () => {
    let deep: unknown = {};
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    const call = (params: unknown) => core.core.workers.rpc("kit", { kind: "system" }, "echo", params, null);
    const err = await call(deep).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CoreError);
    expect(err).toMatchObject({ code: "BAD_REQUEST", message: "the rpc params cannot be sent to the worker: it is nested too deeply" });
    await expect(call({ n: 10n })).rejects.toMatchObject({ code: "BAD_REQUEST", message: "the rpc params cannot be sent to the worker: Do not know how to serialize a BigInt" });
    // The worker is untouched and answers the next call.
    expect(await call({ ok: true })).toMatchObject({ params: { ok: true } });
  });

  it("an unknown method is a 404 naming the methods the backend serves, without reaching the worker", async () => {
    const res = await rpc(core, admin.accessToken, "late", "nope");
    expect(res).toMatchObject({ status: 404, body: { error: "unknown method: nope (the backend serves: ping)" } });
    expect((await rpc(core, admin.accessToken, "late", "ping")).body).toBe("pong");
  });

  it("a backend that exits before its handshake is reported with its last output and the serve() hint", async () => {
    placeFixture(core, "exit-early", "early");
    const logs = collectLogs(core, "early");
    const res = await api(core, "POST", "/api/v1/apps/early/worker/start", undefined, admin.accessToken);
    const expected =
      "worker failed to start: worker exited with code 0 before its handshake (did the entry point call serve()?); its last output:\n" +
      "exit-early fixture: configuration loaded\nexit-early fixture: nothing else to do";
    expect(res).toMatchObject({ status: 502, body: { error: expected } });
    await waitFor("the system line", () => logs.entries.some((e) => e.level === "system" && e.message === expected));
    logs.stop();
    // An RPC caller (who may not read the app's logs) is told where the output is, not given it.
    expect(await rpc(core, admin.accessToken, "early", "anything")).toMatchObject({
      status: 502,
      body: { error: "worker failed to start: worker exited with code 0 before its handshake (did the entry point call serve()?); its last output is in the app's logs" },
    });
    await api(core, "POST", "/api/v1/apps/early/worker/stop", undefined, admin.accessToken);
  });

  it("a backend that never calls serve() gets a system line at 10 s, and its RPCs time out with the hint", async () => {
    placeFixture(core, "no-serve", "noserve");
    const logs = collectLogs(core, "noserve");
    const started = Date.now();
    expect((await api(core, "POST", "/api/v1/apps/noserve/worker/start", undefined, admin.accessToken)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_500);
    expect(logs.entries.filter((e) => e.level === "system").map((e) => e.message)).toContain(
      "the worker has not called serve() after 10 s: treating it as a v1 (legacy) worker, which handles stdin itself; if this is a v2 app, call serve({ rpc: { … } })",
    );
    logs.stop();
    const res = await rpc(core, admin.accessToken, "noserve", "anything");
    expect(res.status).toBe(504);
    expect(res.body.error).toMatch(/^rpc timeout \(3s\): the worker never called serve\(\), so it runs as a v1 \(legacy\) worker that answers on stdin itself, and it did not; if this is a v2 app, call serve/);
  }, 40_000);
});
