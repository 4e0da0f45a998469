import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { collectLogs, countLines, details, isAlive, lifecyclePid, manifest, placeFixture, waitFor } from "./workers-helpers.ts";

// The supervisor against real Bun processes: one Core, a short RPC timeout and a short idle period.
let core: TestCore;
let admin: Session;
const rpc = (appId: string, method: string, params: unknown = {}, token = admin.accessToken) => api(core, "POST", `/api/v1/apps/${appId}/rpc`, { method, params }, token);

beforeAll(async () => {
  core = await startTestCore({ env: { ROOTCX_RPC_TIMEOUT_MS: "3000", ROOTCX_WORKER_IDLE_SECONDS: "2" } });
  admin = await signUpAndIn(core, "admin@example.com");
  placeFixture(core, "kit", "kit");
}, 60_000);

afterAll(async () => {
  await core?.dispose();
});

describe("spawn, handshake and RPC", () => {
  it("runs an RPC on the caller's own worker and hands it the caller", async () => {
    const res = await rpc("kit", "echo", { hello: "world" });
    expect(res.status).toBe(200);
    expect(res.body.params).toEqual({ hello: "world" });
    expect(res.body.caller).toEqual({ userId: admin.userId, email: admin.email, effectivePerms: ["*"] });
    const procs = await details(core, admin.accessToken, "kit");
    expect(procs.map((p) => p.identity)).toContain(`user:${admin.email}`);
  });

  it("runs onStart once, on the lifecycle worker only", async () => {
    placeFixture(core, "kit", "kit_start");
    const logs = collectLogs(core, "kit_start");
    const start = await api(core, "POST", "/api/v1/apps/kit_start/worker/start", undefined, admin.accessToken);
    expect(start.body).toEqual({ message: "worker for app kit_start started" });
    await waitFor("onStart log", () => countLines(logs.entries, /^onStart ran$/) === 1);
    // The user's worker has its own process, which never ran onStart.
    expect((await rpc("kit_start", "onStartCount")).body).toBe(0);
    await sleep(300);
    expect(countLines(logs.entries, /onStart ran/)).toBe(1);
    expect(countLines(logs.entries, /^worker started \(system, pid \d+\)$/)).toBe(1);
    logs.stop();
  });

  it("answers a worker error with 502 and the worker's sentence, and keeps the worker", async () => {
    const res = await rpc("kit", "fail", { message: "boom" });
    expect(res.status).toBe(502);
    expect(res.body).toEqual({ error: "worker error: boom" });
    // A method the worker did not list in its discover answer is refused by the Core, with the list.
    const unknown = await rpc("kit", "unknownThing");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/^unknown method: unknownThing \(the backend serves: echo, env, readFile, /);
    expect((await rpc("kit", "echo")).status).toBe(200);
  });
});

describe("crashes", () => {
  it("restarts a killed lifecycle worker with the backoff: at once, then after 2 s", async () => {
    placeFixture(core, "kit", "kit_crash");
    const logs = collectLogs(core, "kit_crash");
    await api(core, "POST", "/api/v1/apps/kit_crash/worker/start", undefined, admin.accessToken);
    const first = await waitFor("lifecycle pid", () => lifecyclePid(core, admin.accessToken, "kit_crash"));
    let killedAt = Date.now();
    process.kill(first, "SIGKILL");
    const second = await waitFor("first restart", async () => {
      const pid = await lifecyclePid(core, admin.accessToken, "kit_crash");
      return pid !== first && pid;
    });
    expect(Date.now() - killedAt).toBeLessThan(1800);
    killedAt = Date.now();
    process.kill(second, "SIGKILL");
    const third = await waitFor("second restart", async () => {
      const pid = await lifecyclePid(core, admin.accessToken, "kit_crash");
      return pid !== second && pid;
    });
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(2000);
    expect(third).not.toBe(first);
    expect(countLines(logs.entries, /^worker crashed \(signal SIGKILL\)$/)).toBe(2);
    expect(countLines(logs.entries, /^restarting worker \(attempt 1\)$/)).toBe(1);
    expect(countLines(logs.entries, /^restarting worker \(attempt 2, in 2s\)$/)).toBe(1);
    const sys = (await details(core, admin.accessToken, "kit_crash")).find((d) => d.identity === "system");
    expect(sys?.restarts).toBe(2);
    logs.stop();
  }, 20_000);

  it("stops restarting after 5 crashes within 60 s and stays crashed", async () => {
    placeFixture(core, "boot-crash", "crasher");
    const logs = collectLogs(core, "crasher");
    const start = await api(core, "POST", "/api/v1/apps/crasher/worker/start", undefined, admin.accessToken);
    expect(start.status).toBe(502);
    expect(start.body.error).toMatch(/^worker failed to start: worker exited with code 1 before its handshake; its last output:\n[^]*boot-crash fixture: failing at import time on purpose/);
    await waitFor("crash loop", () => countLines(logs.entries, /^crash loop: 5 crashes within 60s/) === 1, 40_000, 200);
    expect(countLines(logs.entries, /^worker crashed \(exit code 1\)$/)).toBe(5);
    expect(logs.entries.some((e) => e.level === "stderr" && /boot-crash fixture: failing at import time on purpose/.test(e.message))).toBe(true);
    // Backoff 0, 2, 4, 8 s between the five: at least 14 s from the first crash to the last.
    const crashTimes = logs.entries.map((e, i) => (/^worker crashed/.test(e.message) ? logs.at[i]! : -1)).filter((t) => t >= 0);
    expect(crashTimes[1]! - crashTimes[0]!).toBeLessThan(1500);
    expect(crashTimes[2]! - crashTimes[1]!).toBeGreaterThanOrEqual(2000);
    expect(crashTimes[4]! - crashTimes[3]!).toBeGreaterThanOrEqual(8000);
    const status = await api(core, "GET", "/api/v1/apps/crasher/worker/status", undefined, admin.accessToken);
    expect(status.body).toEqual({ app_id: "crasher", status: "crashed" });
    await sleep(2500);
    expect(countLines(logs.entries, /^worker started/)).toBe(5);
    expect((await api(core, "GET", "/api/v1/apps/crasher/worker/status", undefined, admin.accessToken)).body.status).toBe("crashed");
    logs.stop();
  }, 60_000);

  it("fails the pending calls of a crashing worker at once, well under the timeout", async () => {
    const started = Date.now();
    const pending = rpc("kit", "never");
    await sleep(200);
    const crash = await rpc("kit", "crash", { code: 3 });
    const never = await pending;
    expect(crash.status).toBe(502);
    expect(crash.body).toEqual({ error: "worker crashed" });
    expect(never.status).toBe(502);
    expect(never.body).toEqual({ error: "worker crashed" });
    expect(Date.now() - started).toBeLessThan(2000);
    // The next call respawns the user's worker.
    expect((await rpc("kit", "echo")).status).toBe(200);
  });
});

describe("output", () => {
  it("logs a raw stdout line at stdout, an event at event, and a worker log at its level", async () => {
    placeFixture(core, "kit", "kit_out");
    const logs = collectLogs(core, "kit_out");
    await rpc("kit_out", "bigLine", { bytes: 12 });
    await rpc("kit_out", "emit", { name: "order.created", data: { id: 7 } });
    const logged = await rpc("kit_out", "log", { message: "careful", level: "warn" });
    const label = `[user:${admin.email}]`;
    // A line the worker logs while serving a request names that request (docs/WORKERS.md "Request ids across the boundary").
    const requestId = logged.headers.get("x-request-id");
    await waitFor("three lines", () => logs.entries.length >= 3);
    expect(logs.entries).toEqual(expect.arrayContaining([
      { level: "stdout", message: `${label} ${"z".repeat(12)}` },
      { level: "event", message: `${label} order.created {"id":7}` },
      { level: "warn", message: `${label} [request_id=${requestId}] careful` },
    ]));
    logs.stop();
  });
});

describe("a flooding worker", () => {
  it("does not stall the Core while it writes 50 000 log lines", async () => {
    placeFixture(core, "kit", "kit_flood");
    expect((await rpc("kit_flood", "echo")).status).toBe(200);
    const flood = rpc("kit_flood", "logMany", { n: 50_000 });
    let worst = 0;
    let done = false;
    void flood.then(() => (done = true));
    while (!done) {
      const started = Date.now();
      expect((await fetch(`${core.url}/health`)).status).toBe(200);
      worst = Math.max(worst, Date.now() - started);
      await sleep(20);
    }
    expect((await flood).body).toBe(50_000);
    expect(worst).toBeLessThan(250);
  }, 60_000);
});

describe("timeouts and misbehaving workers", () => {
  it("times out an RPC that never answers with 504", async () => {
    const started = Date.now();
    const res = await rpc("kit", "never");
    expect(res.status).toBe(504);
    expect(res.body).toEqual({ error: "rpc timeout (3s)" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("survives a 2 MiB stdout line: it is discarded and reported, the worker keeps answering", async () => {
    const logs = collectLogs(core, "kit");
    const res = await rpc("kit", "bigLine", { bytes: 2 * 1024 * 1024 });
    expect(res.status).toBe(200);
    expect(res.body).toBe("ok");
    await waitFor("oversized notice", () => logs.entries.some((e) => e.level === "system" && /discarded a stdout line of 2097152 bytes \(over the 1 MiB line limit\)$/.test(e.message)));
    expect((await rpc("kit", "echo", { after: true })).body.params).toEqual({ after: true });
    logs.stop();
  });

});

describe("a worker that stops reading", () => {
  // The RPC timeout must outlast the 5 s write timeout here, so this Core has the default one.
  let slow: TestCore;
  beforeAll(async () => {
    slow = await startTestCore({});
  }, 60_000);
  afterAll(async () => {
    await slow?.dispose();
  });

  it("is reported unresponsive, its calls fail, and the Core stays responsive", async () => {
    const owner = await signUpAndIn(slow, "owner@example.com");
    const call = (method: string, params: unknown) => api(slow, "POST", "/api/v1/apps/kit_hang/rpc", { method, params }, owner.accessToken);
    placeFixture(slow, "kit", "kit_hang");
    const logs = collectLogs(slow, "kit_hang");
    expect((await call("echo", {})).status).toBe(200);
    const started = Date.now();
    const hang = call("hang", { ms: 20_000 });
    await sleep(300);
    // Large calls fill the pipe the worker no longer reads; the write waits for drain, never the event loop.
    const blob = "y".repeat(400 * 1024);
    const stuck = Array.from({ length: 4 }, () => call("echo", { blob }));
    await sleep(1000);
    const healthStarted = Date.now();
    const health = await fetch(`${slow.url}/health`);
    expect(health.status).toBe(200);
    expect(Date.now() - healthStarted).toBeLessThan(500);
    const results = await Promise.all([hang, ...stuck]);
    for (const r of results) expect(r).toMatchObject({ status: 502, body: { error: "worker unresponsive" } });
    // Reported by the write timeout (5 s), not by the RPC timeout (30 s).
    expect(Date.now() - started).toBeLessThan(9000);
    expect(countLines(logs.entries, /worker unresponsive: its stdin did not drain within 5s; killing it$/)).toBe(1);
    expect((await call("echo", { again: 1 })).body.params).toEqual({ again: 1 });
    logs.stop();
  }, 20_000);
});

describe("restarts without downtime", () => {
  it("loses no RPC while the app restarts twice under a stream of calls", async () => {
    placeFixture(core, "kit", "kit_zero");
    await api(core, "POST", "/api/v1/apps/kit_zero/worker/start", undefined, admin.accessToken);
    const before = await waitFor("lifecycle", () => lifecyclePid(core, admin.accessToken, "kit_zero"));
    let running = true;
    const statuses: number[] = [];
    const loops = Array.from({ length: 4 }, async () => {
      while (running) {
        const r = await rpc("kit_zero", "sleep", { ms: 150 });
        statuses.push(r.status);
        if (r.status !== 200) throw new Error(`lost a call: ${r.status} ${JSON.stringify(r.body)}`);
      }
    });
    await sleep(500);
    expect((await api(core, "POST", "/api/v1/apps/kit_zero/worker/restart", undefined, admin.accessToken)).body).toEqual({ message: "worker for app kit_zero restarted" });
    await sleep(500);
    expect((await api(core, "POST", "/api/v1/apps/kit_zero/worker/restart", undefined, admin.accessToken)).status).toBe(200);
    await sleep(500);
    running = false;
    await Promise.all(loops);
    expect(statuses.length).toBeGreaterThan(8);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const after = await lifecyclePid(core, admin.accessToken, "kit_zero");
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  }, 30_000);

  it("keeps the old worker when the new one fails its handshake", async () => {
    const dir = placeFixture(core, "kit", "kit_bad");
    await api(core, "POST", "/api/v1/apps/kit_bad/worker/start", undefined, admin.accessToken);
    const before = await waitFor("lifecycle", () => lifecyclePid(core, admin.accessToken, "kit_bad"));
    const logs = collectLogs(core, "kit_bad");
    writeFileSync(path.join(dir, "index.ts"), `throw new Error("broken deploy");\n`);
    const res = await api(core, "POST", "/api/v1/apps/kit_bad/worker/restart", undefined, admin.accessToken);
    expect(res.status).toBe(502);
    expect(res.body.error).toMatch(/^worker failed to start: worker exited with code 1 before its handshake; its last output:\n[^]*broken deploy/);
    expect(countLines(logs.entries, /^restart failed: the new worker did not complete its handshake [^]*; the previous worker keeps running$/)).toBe(1);
    expect(await lifecyclePid(core, admin.accessToken, "kit_bad")).toBe(before);
    expect((await api(core, "GET", "/api/v1/apps/kit_bad/worker/status", undefined, admin.accessToken)).body.status).toBe("running");
    logs.stop();
  }, 20_000);
});

describe("listing, status, stop and idle", () => {
  it("lists each app's state, with per-process detail on request, for admins only", async () => {
    const plain = await api(core, "GET", "/api/v1/workers", undefined, admin.accessToken);
    expect(plain.status).toBe(200);
    expect(plain.body.details).toBeUndefined();
    expect(plain.body.workers.kit_start).toBe("running");
    expect(plain.body.workers.crasher).toBe("crashed");
    const full = await api(core, "GET", "/api/v1/workers?detail=true", undefined, admin.accessToken);
    const sys = full.body.details.kit_start.find((d: { identity: string }) => d.identity === "system");
    expect(sys).toMatchObject({ state: "running", restarts: 0 });
    expect(sys.pid).toBeGreaterThan(0);
    expect(sys.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(typeof sys.cpuPercent).toBe("number");
    expect(sys.uptimeMs).toBeGreaterThan(0);
    expect(Date.parse(sys.startedAt)).toBeLessThanOrEqual(Date.now());
    expect((await api(core, "GET", "/api/v1/workers?detail=yes", undefined, admin.accessToken)).body).toEqual({ error: 'detail must be "true" or "false"' });
    const other = await signUpAndIn(core, "plain@example.com");
    expect((await api(core, "GET", "/api/v1/workers", undefined, other.accessToken)).body).toEqual({ error: "admin role required" });
    expect((await api(core, "POST", "/api/v1/apps/kit/worker/stop", undefined, other.accessToken)).status).toBe(403);
    // Status is for any signed-in user.
    expect((await api(core, "GET", "/api/v1/apps/kit_start/worker/status", undefined, other.accessToken)).body).toEqual({ app_id: "kit_start", status: "running" });
  });

  it("answers 404 for the status of an app without worker, and for starting one without backend", async () => {
    expect(await api(core, "GET", "/api/v1/apps/nothing_here/worker/status", undefined, admin.accessToken)).toMatchObject({ status: 404, body: { error: "no worker for app nothing_here" } });
    expect(await api(core, "POST", "/api/v1/apps/nothing_here/worker/start", undefined, admin.accessToken)).toMatchObject({ status: 404, body: { error: "app nothing_here not found" } });
    placeFixture(core, "kit", "no_backend");
    rmSync(path.join(core.dataDir, "apps", "no_backend", "index.ts"));
    expect(await api(core, "POST", "/api/v1/apps/no_backend/worker/start", undefined, admin.accessToken)).toMatchObject({ status: 404, body: { error: "app no_backend has no backend" } });
  });

  it("stops every identity's worker of an app", async () => {
    placeFixture(core, "kit", "kit_stop");
    await api(core, "POST", "/api/v1/apps/kit_stop/worker/start", undefined, admin.accessToken);
    expect((await rpc("kit_stop", "echo")).status).toBe(200);
    const pids = (await details(core, admin.accessToken, "kit_stop")).map((d) => d.pid!);
    expect(pids).toHaveLength(2);
    expect((await api(core, "POST", "/api/v1/apps/kit_stop/worker/stop", undefined, admin.accessToken)).body).toEqual({ message: "worker for app kit_stop stopped" });
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect((await api(core, "GET", "/api/v1/apps/kit_stop/worker/status", undefined, admin.accessToken)).body.status).toBe("stopped");
  });

  it("stops a user's worker after the idle period, and the next call spawns a new one", async () => {
    placeFixture(core, "kit", "kit_idle");
    const first = (await rpc("kit_idle", "pid")).body as number;
    await waitFor("idle stop", async () => !(await details(core, admin.accessToken, "kit_idle")).some((d) => d.identity.startsWith("user:")), 8000, 200);
    expect(isAlive(first)).toBe(false);
    const second = (await rpc("kit_idle", "pid")).body as number;
    expect(second).not.toBe(first);
  }, 15_000);
});

describe("the cap on user workers", () => {
  let capped: TestCore;
  beforeAll(async () => {
    capped = await startTestCore({ env: { ROOTCX_MAX_USER_WORKERS: "2" } });
  }, 60_000);
  afterAll(async () => {
    await capped?.dispose();
  });

  it("stops the least recently used idle user worker beyond the cap", async () => {
    const owner = await signUpAndIn(capped, "owner@example.com");
    expect((await api(capped, "POST", "/api/v1/apps", manifest("kit"), owner.accessToken)).status).toBe(200);
    placeFixture(capped, "kit", "kit");
    expect((await api(capped, "POST", "/api/v1/roles", { name: "kit_caller", permissions: ["app:kit:invoke"] }, owner.accessToken)).status).toBe(200);
    const users: Session[] = [owner];
    for (const email of ["u1@example.com", "u2@example.com"]) {
      const u = await signUpAndIn(capped, email);
      expect((await api(capped, "POST", "/api/v1/roles/assign", { userId: u.userId, role: "kit_caller" }, owner.accessToken)).status).toBe(200);
      users.push(u);
    }
    const pids: number[] = [];
    for (const u of users) {
      const res = await api(capped, "POST", "/api/v1/apps/kit/rpc", { method: "pid" }, u.accessToken);
      expect(res.status).toBe(200);
      pids.push(res.body as number);
    }
    const identities = async () => (await details(capped, owner.accessToken, "kit")).filter((d) => d.identity.startsWith("user:") && d.state === "running").map((d) => d.identity).sort();
    await waitFor("the oldest user worker stopped", async () => !isAlive(pids[0]!) && (await identities()).length === 2);
    expect(await identities()).toEqual(["user:u1@example.com", "user:u2@example.com"]);
  }, 30_000);
});
