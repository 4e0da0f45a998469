import { spawnSync } from "node:child_process";
import { readFileSync, existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CoreProcesses, ROOT, waitHealthy } from "./core-process.ts";
import { freePort } from "../src/server/db/embedded.ts";

// These tests run `npm start`'s command as a real process: config, embedded PostgreSQL, Studio and signals.

const procs = new CoreProcesses();
const startMain = (env: Record<string, string>) => procs.start("main", env);
const fresh = () => procs.fresh();

async function statusOf(url: string, credentials: string): Promise<{ postgres: { port: number; data_dir: string } }> {
  const login = await fetch(`${url}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: credentials });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const res = await fetch(`${url}/api/v1/status`, { headers: { authorization: `Bearer ${accessToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { postgres: { port: number; data_dir: string } };
}

beforeAll(() => {
  const build = spawnSync(process.execPath, ["scripts/ensure-build.mjs"], { cwd: ROOT, stdio: "inherit" });
  expect(build.status).toBe(0);
}, 300_000);
afterEach(() => procs.stopAll("SIGKILL"));
afterAll(() => procs.removeDirs());

describe("npm start, as a process", () => {
  it("exits non-zero naming the variable when ROOTCX_MASTER_KEY is bad", async () => {
    const { dataDir, port } = await fresh();
    const p = startMain({ ROOTCX_DATA_DIR: dataDir, PORT: String(port), ROOTCX_MASTER_KEY: "abc" });
    expect(await p.exit).toBe(1);
    expect(p.output()).toMatch(/ROOTCX_MASTER_KEY: must be exactly 32 bytes/);
    expect(p.output()).not.toMatch(/\n\s+at /);
  });

  it("exits non-zero with a clear message when DATABASE_URL cannot be reached", async () => {
    const { dataDir, port } = await fresh();
    const dead = await freePort();
    const p = startMain({ ROOTCX_DATA_DIR: dataDir, PORT: String(port), DATABASE_URL: `postgres://u:pw@127.0.0.1:${dead}/x` });
    expect(await p.exit).toBe(1);
    expect(p.output()).toMatch(new RegExp(`cannot reach PostgreSQL at 127.0.0.1:${dead}/x: ECONNREFUSED`));
    expect(p.output()).not.toMatch(/\n\s+at /);
  });

  it("starts on an embedded database, keeps its data and keys across a restart, and stops cleanly", async () => {
    const { dataDir, port, url } = await fresh();
    const env = { ROOTCX_DATA_DIR: dataDir, PORT: String(port) };
    const first = startMain(env);
    await waitHealthy(url, first);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: "ok" });
    expect(first.output()).toMatch(/generated a key/);
    const jwtKey = readFileSync(path.join(dataDir, "config", "jwt.key"), "utf8");
    const masterKey = readFileSync(path.join(dataDir, "config", "master.key"), "utf8");

    // The first user of the fresh Core is its admin; the status endpoint needs a signed-in user.
    const credentials = JSON.stringify({ email: "ops@test.local", password: "Process-Test-1" });
    const headers = { "content-type": "application/json" };
    expect((await fetch(`${url}/api/v1/auth/register`, { method: "POST", headers, body: credentials })).status).toBe(201);
    const status = await statusOf(url, credentials);
    expect(status.postgres.data_dir).toBe(path.join(dataDir, "postgres"));
    const password = readFileSync(path.join(dataDir, "config", "postgres.password"), "utf8").trim();
    const dbUrl = (pgPort: number) => `postgres://postgres:${password}@127.0.0.1:${pgPort}/rootcx`;
    const c1 = new pg.Client({ connectionString: dbUrl(status.postgres.port) });
    await c1.connect();
    await c1.query("INSERT INTO rootcx_system.config (key, value) VALUES ('marker', '\"kept\"')");
    await c1.end();

    // The Studio is served by the same process.
    const home = await fetch(`${url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("RootCX Studio");

    first.child.kill("SIGTERM");
    expect(await first.exit).toBe(0);
    expect(first.output()).toMatch(/RootCX Core stopped/);
    expect(existsSync(path.join(dataDir, "postgres", "postmaster.pid"))).toBe(false);

    const second = startMain(env);
    await waitHealthy(url, second);
    expect(second.output()).not.toMatch(/generated a key/);
    expect(readFileSync(path.join(dataDir, "config", "jwt.key"), "utf8")).toBe(jwtKey);
    expect(readFileSync(path.join(dataDir, "config", "master.key"), "utf8")).toBe(masterKey);
    const status2 = await statusOf(url, credentials);
    const c2 = new pg.Client({ connectionString: dbUrl(status2.postgres.port) });
    await c2.connect();
    expect((await c2.query("SELECT value FROM rootcx_system.config WHERE key = 'marker'")).rows[0].value).toBe("kept");
    await c2.end();

    // The database dies under the Core: the full health report says so and the Core keeps answering.
    const pgPid = Number(readFileSync(path.join(dataDir, "postgres", "postmaster.pid"), "utf8").split("\n")[0]);
    process.kill(pgPid, "SIGINT");
    let reachable = true;
    for (let i = 0; i < 100 && reachable; i++) {
      await sleep(100);
      reachable = ((await (await fetch(`${url}/health?full=true`)).json()) as { database: { reachable: boolean } }).database.reachable;
    }
    expect(reachable).toBe(false);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: "ok" });

    second.child.kill("SIGTERM");
    expect(await second.exit).toBe(0);
  }, 120_000);

  it("refuses to start with another master key for an existing vault, naming the variable", async () => {
    const { dataDir, port, url } = await fresh();
    const first = startMain({ ROOTCX_DATA_DIR: dataDir, PORT: String(port) });
    await waitHealthy(url, first);
    first.child.kill("SIGTERM");
    expect(await first.exit).toBe(0);
    const wrong = startMain({ ROOTCX_DATA_DIR: dataDir, PORT: String(port), ROOTCX_MASTER_KEY: "cd".repeat(32) });
    expect(await wrong.exit).toBe(1);
    expect(wrong.output()).toMatch(/ROOTCX_MASTER_KEY .* is not the key this vault was encrypted with/);
    expect(wrong.output()).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(dataDir, "postgres", "postmaster.pid"))).toBe(false);
  }, 120_000);

  it("restarts a crashed Studio renderer while the API keeps answering", async () => {
    const { dataDir, port, url } = await fresh();
    const p = startMain({ ROOTCX_DATA_DIR: dataDir, PORT: String(port) });
    await waitHealthy(url, p);
    expect((await fetch(`${url}/login`)).status).toBe(200);
    const renderer = readFileSync(`/proc/${p.child.pid}/task/${p.child.pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .map(Number)
      .find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("studio/renderer.ts"));
    expect(renderer).toBeDefined();
    process.kill(renderer!, "SIGKILL");
    await sleep(100);
    const during = await fetch(`${url}/login`);
    expect(during.status).toBe(503);
    expect(during.headers.get("retry-after")).toBe("2");
    expect(await during.json()).toEqual({ error: "the Studio is restarting; retry in a moment" });
    const page = await fetch(`${url}/login`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(503);
    expect(await page.text()).toContain("The Studio is restarting");
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: "ok" });
    await expect.poll(async () => (await fetch(`${url}/login`)).status, { timeout: 30_000, interval: 200 }).toBe(200);
    expect(p.output()).toMatch(/the Studio renderer exited; restarting it/);
    p.child.kill("SIGTERM");
    expect(await p.exit).toBe(0);
  }, 120_000);

  it("exits at once on a second signal", async () => {
    const { dataDir, port, url } = await fresh();
    const p = startMain({ ROOTCX_DATA_DIR: dataDir, PORT: String(port) });
    await waitHealthy(url, p);
    // A request whose headers never finish keeps the drain waiting (up to its 10 s grace period).
    const socket = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write("GET /health HTTP/1.1\r\nHost: localhost\r\n");
    await sleep(100);
    const signalled = Date.now();
    p.child.kill("SIGTERM");
    while (!p.output().includes("draining requests")) await sleep(20);
    p.child.kill("SIGINT");
    expect(await p.exit).toBe(130);
    expect(Date.now() - signalled).toBeLessThan(5_000);
    expect(p.output()).toMatch(/SIGINT again, exiting immediately/);
    socket.destroy();
    // The embedded cluster was asked to stop on exit; give it a moment, then it must be gone.
    for (let i = 0; i < 100 && existsSync(path.join(dataDir, "postgres", "postmaster.pid")); i++) await sleep(100);
    expect(existsSync(path.join(dataDir, "postgres", "postmaster.pid"))).toBe(false);
  }, 120_000);
});
