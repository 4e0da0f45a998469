import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveBun } from "../src/server/workers/spawn.ts";
import { allocateWorkerId, FIRST_ID, workerIdsOf } from "../src/server/workers/worker-uids.ts";

// The host-wide worker uid registry on its own file (ROOTCX_WORKER_UID_REGISTRY), so the host's is untouched.
let root: string;
let registry: string;
const dataDir = (name: string) => {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
};

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "uid-registry-"));
  registry = path.join(root, "registry", "worker-uids.json");
  process.env.ROOTCX_WORKER_UID_REGISTRY = registry;
});

afterEach(() => {
  delete process.env.ROOTCX_WORKER_UID_REGISTRY;
  rmSync(root, { recursive: true, force: true });
});

describe("the worker uid registry", () => {
  it("gives the same app id of two data directories two uids, each stable", () => {
    const [a, b] = [dataDir("a"), dataDir("b")];
    const ua = allocateWorkerId(a, "crm");
    const ub = allocateWorkerId(b, "crm");
    expect(ua).not.toBe(ub);
    expect(ua).toBeGreaterThanOrEqual(FIRST_ID);
    expect(allocateWorkerId(a, "crm")).toBe(ua);
    expect(allocateWorkerId(`${a}/./`, "crm")).toBe(ua);
    expect([...workerIdsOf(b)]).toEqual([["crm", ub]]);
  });

  it("reuses the uid of a data directory that is gone, and keeps a free id of the older per-directory file", () => {
    const gone = dataDir("gone");
    const uid = allocateWorkerId(gone, "crm");
    rmSync(gone, { recursive: true });
    const fresh = dataDir("fresh");
    expect(allocateWorkerId(fresh, "crm")).toBe(uid);
    expect(workerIdsOf(gone).size).toBe(0);

    const legacy = dataDir("legacy");
    mkdirSync(path.join(legacy, "run"));
    writeFileSync(path.join(legacy, "run", "worker-ids.json"), JSON.stringify({ crm: uid, shop: FIRST_ID + 5000 }));
    // crm's old id is taken by `fresh` now: it gets another; shop's is free: it keeps it.
    expect(allocateWorkerId(legacy, "crm")).not.toBe(uid);
    expect(allocateWorkerId(legacy, "shop")).toBe(FIRST_ID + 5000);
  });

  it("breaks a lock left by a dead process at once, and refuses a corrupt registry rather than starting over", () => {
    mkdirSync(path.dirname(registry), { recursive: true });
    writeFileSync(`${registry}.lock`, "999999999");
    const started = Date.now();
    allocateWorkerId(dataDir("a"), "crm");
    expect(Date.now() - started).toBeLessThan(1000);

    writeFileSync(registry, "{not json");
    expect(() => allocateWorkerId(dataDir("b"), "crm")).toThrow(/the worker uid registry .* is unreadable .*; fix or remove it/);
  });

  it("hands out distinct uids to processes allocating at the same time", async () => {
    const script = path.join(root, "allocate.ts");
    const module = path.resolve(import.meta.dirname, "../src/server/workers/worker-uids.ts");
    writeFileSync(script, `import { allocateWorkerId } from ${JSON.stringify(module)};\nconst dir = process.argv[2];\nconst out = [];\nfor (let i = 0; i < 15; i++) out.push(allocateWorkerId(dir, "app" + i));\nconsole.log(JSON.stringify(out));\n`);
    const run = (dir: string) =>
      new Promise<number[]>((resolve, reject) => {
        const child = spawn(resolveBun(undefined), [script, dir], { env: { ...process.env, ROOTCX_WORKER_UID_REGISTRY: registry }, cwd: path.resolve(import.meta.dirname, "..") });
        let out = "";
        let err = "";
        child.stdout.on("data", (c: Buffer) => (out += c.toString()));
        child.stderr.on("data", (c: Buffer) => (err += c.toString()));
        child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(err))));
      });
    const all = (await Promise.all(["p1", "p2", "p3", "p4"].map((n) => run(dataDir(n))))).flat();
    expect(all).toHaveLength(60);
    expect(new Set(all).size).toBe(60);
    expect(JSON.parse(readFileSync(registry, "utf8")).entries).toHaveLength(60);
  }, 30_000);
});
