import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pidsOfUids } from "../src/server/workers/uid-procs.ts";
import { workerIdsOf } from "../src/server/workers/worker-uids.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { isAlive, manifest, placeFixture, waitFor } from "./workers-helpers.ts";

// Apps of different Cores on one host (two data directories) and what an app's workers leave running. Root only:
// without root every worker runs as the Core's own user (WORKERS.md § Worker users).
const asRoot = process.getuid?.() === 0;
let a: TestCore;
let b: TestCore;
let adminA: Session;
let adminB: Session;
const rpc = (core: TestCore, token: string, appId: string, method: string, params: unknown = {}) => api(core, "POST", `/api/v1/apps/${appId}/rpc`, { method, params }, token);

beforeAll(async () => {
  // One after the other: the first boot of two Cores at once races on the cluster-wide roles.
  a = await startTestCore();
  b = await startTestCore();
  [adminA, adminB] = await Promise.all([signUpAndIn(a, "admin@a.test"), signUpAndIn(b, "admin@b.test")]);
  for (const [core, admin] of [[a, adminA], [b, adminB]] as const) {
    for (const id of ["kit", "other"]) expect((await api(core, "POST", "/api/v1/apps", manifest(id), admin.accessToken)).status).toBe(200);
    placeFixture(core, "kit", "kit");
    placeFixture(core, "kit", "other");
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.dispose(), b?.dispose()]);
});

describe.runIf(asRoot)("worker uids across Cores on one host", () => {
  it("gives every app of two data directories its own uid, and one cannot read or signal the other", async () => {
    const uids = await Promise.all([
      rpc(a, adminA.accessToken, "kit", "env"),
      rpc(a, adminA.accessToken, "other", "env"),
      rpc(b, adminB.accessToken, "kit", "env"),
      rpc(b, adminB.accessToken, "other", "env"),
    ]).then((all) => all.map((r) => r.body.uid as number));
    expect(new Set(uids).size).toBe(4);
    // Stable for the data directory: the registry holds what the workers run as.
    expect(workerIdsOf(a.dataDir).get("kit")).toBe(uids[0]);
    expect(workerIdsOf(b.dataDir).get("kit")).toBe(uids[2]);

    const theirPid = (await rpc(b, adminB.accessToken, "kit", "pid")).body as number;
    for (const file of [path.join(b.dataDir, "apps", "kit", "index.ts"), `/proc/${theirPid}/mem`, `/proc/${theirPid}/environ`]) {
      expect((await rpc(a, adminA.accessToken, "kit", "readFile", { path: file })).body).toEqual({ ok: false, error: "EACCES" });
    }
    expect((await rpc(a, adminA.accessToken, "kit", "signal", { pid: theirPid })).body).toEqual({ ok: false, error: "EPERM" });
    // The control: a worker may signal itself, and read its own code.
    const ownPid = (await rpc(a, adminA.accessToken, "kit", "pid")).body as number;
    expect((await rpc(a, adminA.accessToken, "kit", "signal", { pid: ownPid })).body).toEqual({ ok: true });
    expect((await rpc(a, adminA.accessToken, "kit", "readFile", { path: path.join(a.dataDir, "apps", "kit", "index.ts") })).body).toEqual({ ok: true });
  });
});

describe.runIf(asRoot)("what an app's workers leave running", () => {
  it("an administrator's stop kills a detached child (its own process group)", async () => {
    const child = (await rpc(a, adminA.accessToken, "kit", "spawnDetached")).body as number;
    expect(isAlive(child)).toBe(true);
    expect((await api(a, "POST", "/api/v1/apps/kit/worker/stop", undefined, adminA.accessToken)).status).toBe(200);
    expect(isAlive(child)).toBe(false);
    expect((await api(a, "POST", "/api/v1/apps/kit/worker/start", undefined, adminA.accessToken)).status).toBe(200);
  });

  // The hopper's parent exits as soon as its child is born, so a /proc scan rarely meets it: it shows as pids being
  // used up fast (100 in 300 ms; it takes about 1000 a second here). kill(-1, 0) as the uid is no probe: it succeeds
  // whenever any other process exists, even one it may not signal.
  const lastPid = () => Number(readFileSync("/proc/loadavg", "utf8").trim().split(/\s+/)[4]);
  const pidMax = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8"));
  const hopping = async () => {
    const before = lastPid();
    await sleep(300);
    return (lastPid() - before + pidMax) % pidMax > 100;
  };

  it("an administrator's stop kills a process that keeps forking: within 1 s no process of the app's uid is left", async () => {
    const uid = workerIdsOf(a.dataDir).get("kit")!;
    expect((await rpc(a, adminA.accessToken, "kit", "spawnHopper")).status).toBe(200);
    await waitFor("the hopper", hopping);
    expect((await api(a, "POST", "/api/v1/apps/kit/worker/stop", undefined, adminA.accessToken)).status).toBe(200);
    await sleep(1000);
    expect(pidsOfUids(new Set([uid]))).toEqual([]);
    expect(await hopping()).toBe(false);
    expect((await api(a, "POST", "/api/v1/apps/kit/worker/start", undefined, adminA.accessToken)).status).toBe(200);
  });

  it("uninstall kills a process that keeps forking", async () => {
    const uid = workerIdsOf(b.dataDir).get("other")!;
    expect((await rpc(b, adminB.accessToken, "other", "spawnHopper")).status).toBe(200);
    await waitFor("the hopper", hopping);
    expect((await api(b, "DELETE", "/api/v1/apps/other", undefined, adminB.accessToken)).status).toBe(200);
    await sleep(1000);
    expect(pidsOfUids(new Set([uid]))).toEqual([]);
    expect(await hopping()).toBe(false);
  });

  it("uninstall kills a detached child and removes the app's worker home", async () => {
    const child = (await rpc(a, adminA.accessToken, "other", "spawnDetached")).body as number;
    expect(isAlive(child)).toBe(true);
    const res = await api(a, "DELETE", "/api/v1/apps/other", undefined, adminA.accessToken);
    expect(res.status).toBe(200);
    expect(isAlive(child)).toBe(false);
    await expect(import("node:fs").then((fs) => fs.existsSync(path.join(a.dataDir, "worker-home", "other")))).resolves.toBe(false);
  });

  it("Core shutdown kills a detached child, and the next Core's boot sweeps what a killed Core left", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-test-data-"));
    try {
      const first = await startTestCore({ env: { ROOTCX_DATA_DIR: dataDir } });
      const admin = await signUpAndIn(first, "admin@c.test");
      placeFixture(first, "kit", "kit");
      const child = (await rpc(first, admin.accessToken, "kit", "spawnDetached")).body as number;
      expect(isAlive(child)).toBe(true);
      await first.stop();
      expect(isAlive(child)).toBe(false);

      // A Core killed outright stops nothing: here, a process left running as the app's uid.
      const uid = workerIdsOf(dataDir).get("kit")!;
      const orphan = spawn("sleep", ["60"], { uid, gid: uid, detached: true, stdio: "ignore" });
      orphan.unref();
      await waitFor("the orphan", () => isAlive(orphan.pid!));
      const second = await startTestCore({ database: first.database, env: { ROOTCX_DATA_DIR: dataDir, ROOTCX_MASTER_KEY: first.core.config.masterKey.toString("hex") } });
      try {
        await sleep(50);
        expect(isAlive(orphan.pid!)).toBe(false);
        expect(second.logs.some((l) => l.includes("killed processes of an app left behind by a previous Core"))).toBe(true);
      } finally {
        await second.stop();
        await first.database.drop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
