import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";

export const ROOT = path.resolve(import.meta.dirname, "..");
export const DURATION_S = Number(process.env.BENCH_DURATION ?? 8);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** A bench's boot step: if it fails, the bench's temporary data directory goes too, before the error is rethrown. */
export async function removeOnFailure<T>(dir: string, start: Promise<T>): Promise<T> {
  try {
    return await start;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export interface Row {
  metric: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  pass: boolean;
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  bootMs: number;
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

/** Starts `node <args>` with PORT set and waits for /health; bootMs is spawn-to-healthy. */
export async function startProcess(args: string[], env: Record<string, string>, port: number): Promise<ServerProcess> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", PORT: String(port), LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, child);
  return {
    child,
    url,
    bootMs: performance.now() - started,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line?.replace(/\D+/g, "") ?? 0) / 1024;
}

/**
 * One autocannon run after a 2-second warm-up; fails on any error or non-2xx answer. `measuring` is called
 * between the two, so a caller can take readings (CPU time, say) over the measured run only.
 */
export async function loadRun(opts: autocannon.Options, measuring?: () => void): Promise<autocannon.Result> {
  const full = { connections: CONNECTIONS, duration: DURATION_S, ...opts };
  await autocannon({ ...full, duration: 2 });
  measuring?.();
  const result = await autocannon(full);
  if (result.non2xx || result.errors) throw new Error(`load run on ${String(opts.url)} had ${result.non2xx} non-2xx and ${result.errors} errors`);
  return result;
}

/** Average req/s of one autocannon run after a 2-second warm-up; fails on any error or non-2xx answer. */
export async function load(opts: autocannon.Options): Promise<number> {
  return (await loadRun(opts)).requests.average;
}

/** User and system CPU seconds a process has used so far (its threads included, not its children). */
export function cpuTimes(pid: number): { user: number; system: number } {
  // utime and stime, fields 14 and 15 of /proc/<pid>/stat, counted after the command name (which may hold
  // spaces); both are in USER_HZ ticks, 100 per second on Linux.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function printTable(rows: Row[]): void {
  const header = ["metric", "measured", "baseline", "ratio", "target", "ok"];
  const table = rows.map((r) => [r.metric, r.value, r.baseline, r.ratio, r.target, r.pass ? "yes" : "NO"]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log([fmt(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...table.map(fmt)].join("\n"));
}

/** Operations per second of `op` run by `concurrency` callers for `seconds`; `op` gets a running count. */
export async function opsPerSecond(op: (i: number) => Promise<unknown> | unknown, seconds: number, concurrency: number): Promise<number> {
  let done = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) await op(done++);
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

export interface Sample {
  rps: number;
  cpuUs: number;
  /** The system (kernel) part of cpuUs: socket reads and writes, and on loopback the peer's receive path. */
  sysUs: number;
}

/**
 * req/s of one load run and the server process's CPU time per request over it: throughput swings with
 * whatever else this machine runs, CPU per request much less, and it shows what the Core adds per request.
 * The system part is kept apart: a V8 profile blames the socket write for time that /proc shows is user time.
 */
export async function measure(server: ServerProcess, opts: autocannon.Options): Promise<Sample> {
  let before = { user: 0, system: 0 };
  const result = await loadRun(opts, () => {
    before = cpuTimes(server.child.pid!);
  });
  const after = cpuTimes(server.child.pid!);
  const perRequest = (s: number) => (s / result.requests.total) * 1e6;
  return { rps: result.requests.average, cpuUs: perRequest(after.user + after.system - before.user - before.system), sysUs: perRequest(after.system - before.system) };
}

/** The p-th percentile (nearest rank, 0–100) of a sample. */
export const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

/** One JSON call to a Core under test, throwing with the answer's start when it is not a 2xx. */
export async function requestJson(base: string, method: string, route: string, body?: unknown, token?: string): Promise<unknown> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as unknown) : null;
}
