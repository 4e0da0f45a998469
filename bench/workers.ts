import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as tar from "tar";
import { freePort, startEmbeddedDatabase } from "../src/server/db/embedded.ts";
import { createLogger } from "../src/server/log.ts";
import { loadRun, median, removeOnFailure, ROOT, ROUNDS, rssMb, startProcess, type Row, type ServerProcess } from "./lib.ts";

const APP = "wbench";
const USERS = 50;
const LATENCY_CALLS = 2000;
const BUN = path.join(ROOT, "node_modules/.bin/bun");

interface Detail {
  identity: string;
  pid: number | null;
  rssBytes: number | null;
}

async function call(base: string, method: string, route: string, body?: unknown, token?: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
}

async function ok(base: string, method: string, route: string, body?: unknown, token?: string): Promise<unknown> {
  const r = await call(base, method, route, body, token);
  if (r.status >= 300) throw new Error(`${method} ${route}: ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
  return r.json;
}

async function signIn(base: string, email: string): Promise<{ token: string; id: string }> {
  const credentials = { email, password: "Bench-Password-2026" };
  await ok(base, "POST", "/api/v1/auth/register", credentials);
  const r = (await ok(base, "POST", "/api/v1/auth/login", credentials)) as { accessToken: string; user: { id: string } };
  return { token: r.accessToken, id: r.user.id };
}

/** The per-call latency of `once` over `n` sequential calls (one in flight: no queueing in the number). */
async function sequentialP50(once: () => Promise<void>, n: number): Promise<number> {
  for (let i = 0; i < 200; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await once();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** The median latency of `once`, called one at a time but at most `perSecond` times in each second. */
async function pacedP50(once: () => Promise<void>, perSecond: number, seconds: number): Promise<number> {
  const times: number[] = [];
  for (let s = 0; s < seconds; s++) {
    const window = performance.now();
    for (let i = 0; i < perSecond; i++) {
      const t = performance.now();
      await once();
      times.push(performance.now() - t);
    }
    await sleep(Math.max(0, 1000 - (performance.now() - window)) + 20);
  }
  return median(times);
}

function startBunDirect(port: number): Promise<ServerProcess> {
  const started = performance.now();
  const child = spawn(BUN, [path.join(ROOT, "bench/bun-direct.ts")], { env: { NODE_ENV: "production", PORT: String(port), PATH: process.env.PATH ?? "" }, stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  return (async () => {
    for (let i = 0; i < 500; i++) {
      if (child.exitCode !== null) throw new Error(`bun-direct exited with ${child.exitCode}`);
      if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) break;
      await sleep(20);
    }
    return { child, url, bootMs: performance.now() - started, stop: () => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once("exit", () => resolve()), child.kill("SIGTERM")))) };
  })();
}

/**
 * App backends: RPC through the Core (authentication, permission check, IPC to the user's Bun worker and back)
 * against a Bun HTTP server doing the same work directly; ctx.sql against the Data API's same read; deploy to
 * first answered RPC; idle worker memory; 50 user identities at once.
 */
export async function workersBench(): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-bench-workers-"));
  const db = await removeOnFailure(dataDir, startEmbeddedDatabase(dataDir, createLogger("warn")));
  let core: ServerProcess | undefined;
  let direct: ServerProcess | undefined;
  try {
    core = await startProcess(["--import", "tsx", "bench/auth-server.ts"], { ROOTCX_DATA_DIR: dataDir, DATABASE_URL: db.url }, await freePort());
    const base = core.url;
    const admin = await signIn(base, "admin@bench.local");
    await ok(base, "POST", "/api/v1/apps", { appId: APP, name: "Workers bench", dataContract: [{ entityName: "items", fields: [{ name: "name", type: "text" }] }] }, admin.token);
    const seeded = (await ok(base, "POST", `/api/v1/apps/${APP}/collections/items/bulk`, Array.from({ length: 1000 }, (_, i) => ({ name: `item ${i}` })), admin.token)) as { id: string }[];
    const id = seeded[500]!.id;

    const archive = path.join(dataDir, "app.tar.gz");
    await tar.c({ gzip: true, cwd: path.join(ROOT, "bench/fixtures/worker-app"), file: archive, portable: true }, ["."]);
    const form = new FormData();
    form.append("archive", new Blob([readFileSync(archive)], { type: "application/gzip" }), "app.tar.gz");
    const deployStart = performance.now();
    const deployed = await fetch(`${base}/api/v1/apps/${APP}/deploy`, { method: "POST", headers: { authorization: `Bearer ${admin.token}` }, body: form });
    if (!deployed.ok) throw new Error(`deploy: ${deployed.status} ${await deployed.text()}`);
    const rpcBody = JSON.stringify({ method: "work", params: { n: 21 } });
    for (;;) {
      const r = await call(base, "POST", `/api/v1/apps/${APP}/rpc`, JSON.parse(rpcBody), admin.token);
      if (r.status === 200) break;
      if (performance.now() - deployStart > 60_000) throw new Error(`no RPC answered within 60 s of the deploy: ${r.status} ${JSON.stringify(r.json)}`);
      await sleep(5);
    }
    const deployToRpcMs = performance.now() - deployStart;

    direct = await startBunDirect(await freePort());
    const auth = { authorization: `Bearer ${admin.token}`, "content-type": "application/json" };
    const coreRps: number[] = [];
    const directRps: number[] = [];
    const floorRps: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      coreRps.push((await loadRun({ url: `${base}/api/v1/apps/${APP}/rpc`, method: "POST", headers: auth, body: rpcBody })).requests.average);
      directRps.push((await loadRun({ url: `${direct.url}/rpc`, method: "POST", headers: { "content-type": "application/json" }, body: rpcBody })).requests.average);
      // The Core's own floor for an authenticated request that reaches no worker: what the RPC path adds is the rest.
      floorRps.push((await loadRun({ url: `${base}/api/v1/auth/me`, headers: { authorization: `Bearer ${admin.token}` } })).requests.average);
    }
    const rpcOnce = (url: string, headers: Record<string, string>, body = rpcBody) => async () => {
      const r = await fetch(url, { method: "POST", headers, body });
      if (!r.ok) throw new Error(`${url}: ${r.status}`);
      await r.arrayBuffer();
    };
    const coreP50 = await sequentialP50(rpcOnce(`${base}/api/v1/apps/${APP}/rpc`, auth), LATENCY_CALLS);
    const directP50 = await sequentialP50(rpcOnce(`${direct.url}/rpc`, { "content-type": "application/json" }), LATENCY_CALLS);

    const sqlBody = JSON.stringify({ method: "readOne", params: { id } });
    const sqlCheck = await call(base, "POST", `/api/v1/apps/${APP}/rpc`, JSON.parse(sqlBody), admin.token);
    if (sqlCheck.status !== 200 || (sqlCheck.json as unknown[] | null)?.[0] !== id) throw new Error(`readOne did not return the row: ${JSON.stringify(sqlCheck.json)}`);
    // A worker may run 100 statements a second (spec §4.4), so ctx.sql is compared by latency, paced under it.
    const sqlP50 = await pacedP50(rpcOnce(`${base}/api/v1/apps/${APP}/rpc`, auth, sqlBody), 90, 5);
    const dataOnce = async () => {
      const r = await fetch(`${base}/api/v1/apps/${APP}/collections/items/${id}`, { headers: { authorization: `Bearer ${admin.token}` } });
      if (!r.ok) throw new Error(`Data API GET: ${r.status}`);
      await r.arrayBuffer();
    };
    const dataP50 = await pacedP50(dataOnce, 90, 5);

    // 50 users, each holding only the invoke key, call at the same moment: 50 worker processes spawn.
    await ok(base, "POST", "/api/v1/roles", { name: "bench_invoker", permissions: [`app:${APP}:invoke`] }, admin.token);
    const users = [];
    for (let i = 0; i < USERS; i++) {
      const u = await signIn(base, `user${i}@bench.local`);
      await ok(base, "POST", "/api/v1/roles/assign", { userId: u.id, role: "bench_invoker" }, admin.token);
      users.push(u);
    }
    const spawnStart = performance.now();
    await Promise.all(users.map((u) => ok(base, "POST", `/api/v1/apps/${APP}/rpc`, JSON.parse(rpcBody), u.token)));
    const fiftySpawnMs = performance.now() - spawnStart;
    await sleep(2000);
    const detail = (await ok(base, "GET", "/api/v1/workers?detail=true", undefined, admin.token)) as { details: Record<string, Detail[]> };
    const workers = (detail.details[APP] ?? []).filter((w) => w.pid);
    const rss = workers.map((w) => rssMb(w.pid!));
    const userWorkers = workers.filter((w) => w.identity.startsWith("user:"));
    if (userWorkers.length < USERS) throw new Error(`expected ${USERS} user workers, found ${userWorkers.length}`);
    const idleRss = median(rss);
    const totalRss = rss.reduce((a, b) => a + b, 0);

    const cR = median(coreRps);
    const dR = median(directRps);
    const overhead = coreP50 - directP50;
    return [
      { metric: "RPC req/s through the Core (c32)", value: cR.toFixed(0), baseline: `${dR.toFixed(0)} (Bun.serve direct)`, ratio: (cR / dR).toFixed(2), target: "≥ 0.70", pass: cR / dR >= 0.7 },
      { metric: "RPC req/s against the Core's authenticated floor", value: cR.toFixed(0), baseline: `${median(floorRps).toFixed(0)} (GET /auth/me)`, ratio: (cR / median(floorRps)).toFixed(2), target: "report", pass: true },
      { metric: "RPC p50 overhead, one in flight (ms)", value: coreP50.toFixed(2), baseline: `${directP50.toFixed(2)} (direct)`, ratio: `+${overhead.toFixed(2)} ms`, target: "≤ +0.50 ms", pass: overhead <= 0.5 },
      { metric: "ctx.sql read by id via RPC, p50 (ms)", value: sqlP50.toFixed(2), baseline: `${dataP50.toFixed(2)} (Data API GET)`, ratio: `+${(sqlP50 - dataP50).toFixed(2)} ms`, target: "report", pass: true },
      { metric: "deploy → first answered RPC (ms)", value: deployToRpcMs.toFixed(0), baseline: "-", ratio: "-", target: "report", pass: true },
      { metric: "idle RSS per worker process (MiB, median)", value: idleRss.toFixed(1), baseline: `${rssMb(core.child.pid!).toFixed(1)} (the Core)`, ratio: "-", target: "report", pass: true },
      { metric: `${USERS} user identities at once: spawn+answer (ms)`, value: fiftySpawnMs.toFixed(0), baseline: "-", ratio: `${totalRss.toFixed(0)} MiB in ${workers.length} workers`, target: "report", pass: true },
    ];
  } finally {
    await direct?.stop();
    await core?.stop();
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
