import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/server/db/embedded.ts";
import { PRELUDE_PATH, resolveBun } from "../src/server/workers/spawn.ts";
import { api, createTestDatabase, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { details, isAlive, lifecyclePid, manifest, placeFixture, waitFor, workerProcesses } from "./workers-helpers.ts";

// What a worker can and cannot reach: its environment, the Core's files, other apps' secrets, and its own life.
const ROOT = path.resolve(import.meta.dirname, "..");
let core: TestCore;
let admin: Session;
const rpc = (appId: string, method: string, params: unknown = {}) => api(core, "POST", `/api/v1/apps/${appId}/rpc`, { method, params }, admin.accessToken);

beforeAll(async () => {
  core = await startTestCore({});
  admin = await signUpAndIn(core, "admin@example.com");
  for (const id of ["kit", "other"]) expect((await api(core, "POST", "/api/v1/apps", manifest(id), admin.accessToken)).status).toBe(200);
  placeFixture(core, "kit", "kit");
}, 60_000);

afterAll(async () => {
  await core?.dispose();
});

describe("what a worker sees", () => {
  it("has only the runtime variables in its environment", async () => {
    const res = await rpc("kit", "env");
    expect(res.status).toBe(200);
    expect([...res.body.keys].sort()).toEqual(["HOME", "PATH", "ROOTCX_APP_ID", "ROOTCX_RUNTIME_URL", "TMPDIR"]);
    const ctx = await rpc("kit", "context");
    expect(ctx.body.appId).toBe("kit");
    expect(ctx.body.runtimeUrl).toBe(core.url);
    expect(ctx.body.manifest.appId).toBe("kit");
  });

  it.runIf(process.getuid?.() === 0)("runs as its app's own user and cannot read the Core's keys, environment or config directory", async () => {
    const uid = (await rpc("kit", "env")).body.uid as number;
    expect(uid).toBeGreaterThanOrEqual(50_000);
    for (const file of ["config/jwt.key", "config/master.key"]) {
      expect((await rpc("kit", "readFile", { path: path.join(core.dataDir, file) })).body).toEqual({ ok: false, error: "EACCES" });
    }
    // The Core's own environment (where DATABASE_URL would be) is out of reach too.
    expect((await rpc("kit", "readFile", { path: `/proc/${process.pid}/environ` })).body.ok).toBe(false);
    // Its own code is readable (the control: readFile does work).
    expect((await rpc("kit", "readFile", { path: path.join(core.dataDir, "apps", "kit", "index.ts") })).body).toEqual({ ok: true });
  });

  it.runIf(process.getuid?.() === 0)("cannot reach another app's code, home or process memory", async () => {
    placeFixture(core, "kit", "other");
    const mine = (await rpc("kit", "env")).body.uid as number;
    const theirs = (await rpc("other", "env")).body.uid as number;
    expect(theirs).not.toBe(mine);
    const otherPid = (await rpc("other", "pid")).body as number;
    for (const file of [path.join(core.dataDir, "apps", "other", "index.ts"), path.join(core.dataDir, "worker-home", "other", "tmp"), `/proc/${otherPid}/mem`, `/proc/${otherPid}/environ`]) {
      expect((await rpc("kit", "readFile", { path: file })).body).toEqual({ ok: false, error: "EACCES" });
    }
  });

  it("receives the platform secrets overridden by its app's own, never another app's", async () => {
    const set = (url: string, key: string, value: string) => api(core, "POST", url, { key, value }, admin.accessToken);
    expect((await set("/api/v1/platform/secrets", "SHARED", "from-platform")).status).toBe(200);
    expect((await set("/api/v1/platform/secrets", "PLATFORM_ONLY", "p1")).status).toBe(200);
    expect((await set("/api/v1/apps/kit/secrets", "SHARED", "from-app")).status).toBe(200);
    expect((await set("/api/v1/apps/kit/secrets", "KIT_ONLY", "k1")).status).toBe(200);
    expect((await set("/api/v1/apps/other/secrets", "OTHER_ONLY", "o1")).status).toBe(200);
    const creds = await rpc("kit", "credentials");
    expect(creds.body).toEqual({ SHARED: "from-app", PLATFORM_ONLY: "p1", KIT_ONLY: "k1" });
  });

  it("restarts every worker when a platform secret changes, and the new discover has the new value", async () => {
    await api(core, "POST", "/api/v1/apps/kit/worker/start", undefined, admin.accessToken);
    const before = await waitFor("lifecycle", () => lifecyclePid(core, admin.accessToken, "kit"));
    const res = await api(core, "POST", "/api/v1/platform/secrets", { key: "PLATFORM_ONLY", value: "p2" }, admin.accessToken);
    expect(res.status).toBe(200);
    expect(res.body.workers_restarted).toBeGreaterThanOrEqual(2);
    const after = await lifecyclePid(core, admin.accessToken, "kit");
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect((await rpc("kit", "credentials")).body.PLATFORM_ONLY).toBe("p2");
  });

  it("restarts the app's workers when one of its secrets changes", async () => {
    const before = await lifecyclePid(core, admin.accessToken, "kit");
    expect((await api(core, "POST", "/api/v1/apps/kit/secrets", { key: "KIT_ONLY", value: "k2" }, admin.accessToken)).status).toBe(200);
    expect(await lifecyclePid(core, admin.accessToken, "kit")).not.toBe(before);
    expect((await rpc("kit", "credentials")).body.KIT_ONLY).toBe("k2");
  });

  it("leaves an app an administrator stopped stopped when a secret change restarts workers", async () => {
    expect((await api(core, "POST", "/api/v1/apps/kit/worker/stop", undefined, admin.accessToken)).status).toBe(200);
    const res = await api(core, "POST", "/api/v1/platform/secrets", { key: "PLATFORM_ONLY", value: "p3" }, admin.accessToken);
    expect(res.status).toBe(200);
    const lifecycle = (await details(core, admin.accessToken, "kit")).find((d) => d.identity === "system");
    expect(lifecycle?.state).toBe("stopped");
    expect(await rpc("kit", "credentials")).toMatchObject({ status: 503, body: { error: "app kit's workers are stopped by an administrator" } });
    // Started again, it runs with the new value.
    expect((await api(core, "POST", "/api/v1/apps/kit/worker/start", undefined, admin.accessToken)).status).toBe(200);
    expect((await rpc("kit", "credentials")).body.PLATFORM_ONLY).toBe("p3");
  });
});

describe("no worker outlives its Core", () => {
  it("stops every worker when the Core stops", async () => {
    const other = await startTestCore({});
    try {
      const owner = await signUpAndIn(other, "owner@example.com");
      placeFixture(other, "kit", "kit");
      expect((await api(other, "POST", "/api/v1/apps/kit/rpc", { method: "echo" }, owner.accessToken)).status).toBe(200);
      await api(other, "POST", "/api/v1/apps/kit/worker/start", undefined, owner.accessToken);
      expect(workerProcesses(other.dataDir)).toHaveLength(2);
      await other.stop();
      expect(workerProcesses(other.dataDir)).toEqual([]);
    } finally {
      await other.dispose();
    }
  }, 60_000);

  it("leaves no worker behind when the Core is killed with SIGKILL", async () => {
    const database = await createTestDatabase();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-workers-kill-"));
    try {
      mkdirSync(path.join(dataDir, "apps"), { recursive: true });
      placeFixture({ dataDir } as TestCore, "kit", "kit");
      const port = await freePort();
      // The Core without the Studio, as its own process; boot starts the lifecycle worker of every deployed app.
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", `import("./src/server/boot.ts").then((m) => m.startCore({ studio: false }))`], {
        cwd: ROOT,
        env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", HOME: os.tmpdir(), TMPDIR: os.tmpdir(), DATABASE_URL: database.url, ROOTCX_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn" },
        stdio: ["ignore", "ignore", "inherit"],
      });
      const pids = await waitFor("the lifecycle worker", () => workerProcesses(dataDir).length === 1 && workerProcesses(dataDir), 60_000, 100);
      child.kill("SIGKILL");
      await waitFor("every worker gone", () => workerProcesses(dataDir).length === 0, 5000, 100);
      for (const pid of pids) expect(isAlive(pid)).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await database.drop();
    }
  }, 90_000);

  it("kills at boot the workers a previous Core left in workers.json, and only those", async () => {
    const database = await createTestDatabase();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-workers-orphan-"));
    const appDir = path.join(dataDir, "apps", "slow");
    mkdirSync(path.dirname(appDir), { recursive: true });
    placeFixture({ dataDir } as TestCore, "slow-start", "slow");
    // A worker as a killed Core would have left it: bun with the prelude in the app's dir, in its own group,
    // kept alive by the test (its parent) with a long top-level wait. And an unrelated process as a decoy.
    const orphan = spawn(resolveBun(undefined), ["--preload", PRELUDE_PATH, path.join(appDir, "index.ts")], {
      cwd: appDir,
      env: { NODE_ENV: "test", PATH: process.env.PATH ?? "", ROOTCX_FIXTURE_DELAY_MS: "600000" },
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
    });
    const decoy = spawn("sleep", ["600"], { detached: true, stdio: "ignore" });
    const orphanExit = new Promise((resolve) => orphan.once("exit", resolve));
    let started: TestCore | undefined;
    try {
      await waitFor("the orphan", () => workerProcesses(dataDir).includes(orphan.pid!), 10_000);
      mkdirSync(path.join(dataDir, "run"), { recursive: true });
      writeFileSync(path.join(dataDir, "run", "workers.json"), JSON.stringify([{ pid: orphan.pid, appId: "slow" }, { pid: decoy.pid, appId: "slow" }]));
      rmSync(path.join(appDir, "index.ts"));
      started = await startTestCore({ database, env: { ROOTCX_DATA_DIR: dataDir } });
      await Promise.race([orphanExit, sleep(3000).then(() => Promise.reject(new Error("the orphan survived the boot")))]);
      expect(isAlive(decoy.pid!)).toBe(true);
    } finally {
      orphan.kill("SIGKILL");
      decoy.kill("SIGKILL");
      await started?.stop();
      rmSync(dataDir, { recursive: true, force: true });
      await database.drop();
    }
  }, 60_000);
});
