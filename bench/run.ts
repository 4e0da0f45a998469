/**
 * `npm run bench`: the foundation's numbers, each against a baseline measured in the same run.
 *  - /health throughput through the Core versus a bare node:http server (autocannon, same settings);
 *  - boot time to healthy with an empty data directory (first boot) and an existing one (warm boot);
 *  - idle resident memory of the Core process.
 * Results are printed as a table and written to bench/results/foundation.json.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";
import { freePort } from "../src/server/db/embedded.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const DURATION_S = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

interface Server {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      /* not yet */
    }
    await sleep(20);
  }
  throw new Error(`${url} did not become healthy`);
}

async function startProcess(args: string[], env: Record<string, string>, port: number): Promise<Server & { bootMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", PORT: String(port), LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, child);
  const bootMs = performance.now() - started;
  return {
    child,
    url,
    bootMs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

const startCore = async (dataDir: string) =>
  startProcess(["--import", "tsx", "src/server/main.ts"], { ROOTCX_DATA_DIR: dataDir }, await freePort());

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line?.replace(/\D+/g, "") ?? 0) / 1024;
}

async function load(url: string): Promise<number> {
  const opts = { url: `${url}/health`, connections: CONNECTIONS, duration: DURATION_S };
  await autocannon({ ...opts, duration: 2 }); // warm-up: JIT, connection pool
  const result = await autocannon(opts);
  if (result.non2xx || result.errors) throw new Error(`load run had ${result.non2xx} non-2xx and ${result.errors} errors`);
  return result.requests.average;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-bench-"));
const rows: { metric: string; value: string; baseline: string; ratio: string; target: string; pass: boolean }[] = [];
try {
  // Boot: the first start creates the cluster; warm starts reuse it.
  const first = await startCore(dataDir);
  await first.stop();
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    const s = await startCore(dataDir);
    warm.push(s.bootMs);
    await s.stop();
  }
  const warmMs = median(warm);
  rows.push({ metric: "first boot to healthy (empty data dir)", value: `${(first.bootMs / 1000).toFixed(2)} s`, baseline: "", ratio: "", target: "≤ 15 s", pass: first.bootMs <= 15_000 });
  rows.push({ metric: "warm boot to healthy (median of 3)", value: `${(warmMs / 1000).toFixed(2)} s`, baseline: "", ratio: "", target: "≤ 3 s", pass: warmMs <= 3_000 });

  // Throughput and memory on one running Core.
  const core = await startCore(dataDir);
  await fetch(`${core.url}/`); // the Studio's first render loads its code: count it in "idle"
  await sleep(3_000);
  const idleRss = rssMb(core.child.pid!);
  const bare = await startProcess(["--import", "tsx", "bench/bare-server.ts"], {}, await freePort());
  const ours: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    base.push(await load(bare.url));
    ours.push(await load(core.url));
  }
  const oursAvg = ours.reduce((a, b) => a + b, 0) / ours.length;
  const baseAvg = base.reduce((a, b) => a + b, 0) / base.length;
  const ratio = oursAvg / baseAvg;
  rows.push({ metric: `/health req/s (${CONNECTIONS} conns, ${ROUNDS}×${DURATION_S}s)`, value: oursAvg.toFixed(0), baseline: `${baseAvg.toFixed(0)} (bare node:http)`, ratio: `${ratio.toFixed(2)}×`, target: "≥ 0.80×", pass: ratio >= 0.8 });
  rows.push({ metric: "idle RSS of the Core process", value: `${idleRss.toFixed(0)} MB`, baseline: `${rssMb(bare.child.pid!).toFixed(0)} MB (bare node:http)`, ratio: "", target: "≤ 250 MB", pass: idleRss <= 250 });
  await bare.stop();
  await core.stop();

  const header = ["metric", "measured", "baseline", "ratio", "target", "ok"];
  const table = rows.map((r) => [r.metric, r.value, r.baseline, r.ratio, r.target, r.pass ? "yes" : "NO"]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log([fmt(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...table.map(fmt)].join("\n"));
  mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(path.join(ROOT, "bench/results/foundation.json"), JSON.stringify({ at: new Date().toISOString(), cpus: os.cpus().length, rows }, null, 2));
  if (rows.some((r) => !r.pass)) process.exitCode = 1;
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
