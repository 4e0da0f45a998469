import { existsSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CoreProcesses, postmasterPid, waitHealthy } from "./core-process.ts";
import { freePort } from "../src/server/db/embedded.ts";
import { isRunning } from "../src/server/db/proc-identity.ts";

// A Core killed with SIGKILL leaves its embedded postmaster running; the next Core on that data directory must
// stop it and start, while a Core that is still alive keeps its data directory to itself.
const procs = new CoreProcesses();
const startCore = (dataDir: string, port: number) => procs.start("core", { HOME: os.tmpdir(), ROOTCX_DATA_DIR: dataDir, PORT: String(port) });
const fresh = () => procs.fresh("rootcx-restart-");

async function post(url: string, route: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/api/v1${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

afterEach(() => procs.stopAll("SIGTERM"));
afterAll(() => procs.removeDirs());

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
