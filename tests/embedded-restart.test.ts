import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { freePort } from "../src/server/db/embedded.ts";
import { isRunning } from "../src/server/db/proc-identity.ts";

// A Core killed with SIGKILL leaves its embedded postmaster running; the next Core on that data directory must
// stop it and start, while a Core that is still alive keeps its data directory to itself.
const ROOT = path.resolve(import.meta.dirname, "..");

// The Core without the Studio (no Next build needed), as its own process, stopping cleanly on SIGTERM like main.ts.
const BOOT = `import("./src/server/boot.ts").then(async (m) => {
  try {
    const c = await m.startCore({ studio: false });
    process.on("SIGTERM", () => void c.stop().then(() => process.exit(0)));
  } catch (err) {
    process.stderr.write("rootcx-core: " + (err instanceof Error ? err.message : String(err)) + "\\n");
    process.exit(1);
  }
});`;

interface Proc {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

const procs: Proc[] = [];
const dirs: string[] = [];

function startCore(dataDir: string, port: number): Proc {
  let out = "";
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", BOOT], {
    cwd: ROOT,
    env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", HOME: os.tmpdir(), TMPDIR: os.tmpdir(), ROOTCX_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const proc = { child, output: () => out, exit };
  procs.push(proc);
  return proc;
}

async function waitHealthy(url: string, proc: Proc): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`the Core exited early:\n${proc.output()}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  throw new Error(`the Core did not become healthy:\n${proc.output()}`);
}

async function post(url: string, route: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/api/v1${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const postmasterPid = (dataDir: string) => Number(readFileSync(path.join(dataDir, "postgres", "postmaster.pid"), "utf8").split("\n")[0]);

async function fresh(): Promise<{ dataDir: string; port: number; url: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-restart-"));
  dirs.push(dataDir);
  const port = await freePort();
  return { dataDir, port, url: `http://127.0.0.1:${port}` };
}

afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill("SIGTERM");
      await Promise.race([p.exit, sleep(15_000)]);
    }
  }
});
afterAll(async () => {
  // A failed test may leave a killed Core's cluster running; stop it before removing its directory.
  for (const d of dirs) {
    if (existsSync(path.join(d, "postgres", "postmaster.pid"))) {
      const pid = postmasterPid(d);
      if (isRunning(pid)) process.kill(pid, "SIGQUIT");
      for (let i = 0; i < 100 && isRunning(pid); i++) await sleep(50);
    }
    rmSync(d, { recursive: true, force: true });
  }
});

describe("the embedded PostgreSQL across a Core killed with SIGKILL", () => {
  it("a new Core stops the postmaster the killed one left running, starts, and finds the data written before the kill", async () => {
    const { dataDir, port, url } = await fresh();
    const credentials = { email: "survivor@example.com", password: "Correct-Horse-42" };

    const first = startCore(dataDir, port);
    await waitHealthy(url, first);
    const registered = await post(url, "/auth/register", credentials);
    expect(registered, JSON.stringify(registered.body)).toMatchObject({ status: 201 });
    const orphan = postmasterPid(dataDir);
    first.child.kill("SIGKILL");
    await first.exit;
    await sleep(500);
    // Nothing stops the cluster of a Core killed this way: it is still running when the next Core starts.
    expect(isRunning(orphan)).toBe(true);

    const second = startCore(dataDir, port);
    await waitHealthy(url, second);
    expect(isRunning(orphan)).toBe(false);
    expect(postmasterPid(dataDir)).not.toBe(orphan);
    expect(second.output()).toMatch(/Core that is gone .* still running; stopping it \(fast shutdown\)/);
    const login = await post(url, "/auth/login", credentials);
    expect(login.status).toBe(200);
    expect(typeof login.body.accessToken).toBe("string");

    second.child.kill("SIGTERM");
    expect(await second.exit).toBe(0);
    expect(existsSync(path.join(dataDir, "postgres", "postmaster.pid"))).toBe(false);
    expect(existsSync(path.join(dataDir, "run", "core.pid"))).toBe(false);
  }, 150_000);

  it("a second Core on the data directory of a running Core refuses, and the first keeps its cluster", async () => {
    const { dataDir, port, url } = await fresh();
    const first = startCore(dataDir, port);
    await waitHealthy(url, first);
    const pid = postmasterPid(dataDir);

    const second = startCore(dataDir, await freePort());
    // Were the refusal missing, the second Core would stop the first one's cluster and keep running.
    expect(await Promise.race([second.exit, sleep(60_000).then(() => "still running")])).toBe(1);
    expect(second.output()).toMatch(/the embedded PostgreSQL in \S+postgres did not start: the Core with pid \d+ is using this data directory; is another Core using this data directory\? \(see postmaster\.pid\)/);
    expect(second.output()).toContain(`pid ${first.child.pid}`);

    expect(isRunning(pid)).toBe(true);
    expect(postmasterPid(dataDir)).toBe(pid);
    expect((await fetch(`${url}/health?full=true`)).ok).toBe(true);
    expect(((await (await fetch(`${url}/health?full=true`)).json()) as { database: { reachable: boolean } }).database.reachable).toBe(true);
    first.child.kill("SIGTERM");
    expect(await first.exit).toBe(0);
  }, 150_000);

  it("without a core.pid record, a postmaster whose parent is still a node process is left alone (a Core from before the record)", async () => {
    const { dataDir, port, url } = await fresh();
    const first = startCore(dataDir, port);
    await waitHealthy(url, first);
    const pid = postmasterPid(dataDir);
    rmSync(path.join(dataDir, "run", "core.pid"));

    const second = startCore(dataDir, await freePort());
    expect(await Promise.race([second.exit, sleep(60_000).then(() => "still running")])).toBe(1);
    expect(second.output()).toContain(`did not start: its postmaster (pid ${pid}) is running under process ${first.child.pid}; is another Core using this data directory?`);
    expect(isRunning(pid)).toBe(true);
    expect(((await (await fetch(`${url}/health?full=true`)).json()) as { database: { reachable: boolean } }).database.reachable).toBe(true);
    first.child.kill("SIGTERM");
    expect(await first.exit).toBe(0);
  }, 150_000);
});
