import { cpSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { WorkerLogEntry } from "../src/server/workers/contracts.ts";
import { api, type TestCore } from "./harness.ts";

export const FIXTURES = path.resolve(import.meta.dirname, "fixtures", "apps");

/** Copies a fixture app's files into `<data>/apps/<appId>`, as a deploy would leave them (no deploy involved). */
export function placeFixture(core: TestCore, fixture: string, appId: string): string {
  const dir = path.join(core.dataDir, "apps", appId);
  cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}

/** A minimal manifest: one entity, optional public RPCs and actions. */
export function manifest(appId: string, extra: Record<string, unknown> = {}) {
  return { appId, name: appId, version: "0.1.0", dataContract: [{ entityName: "note", fields: [{ name: "title", type: "text" }] }], ...extra };
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Every log line the app's workers publish, from now on. */
export function collectLogs(core: TestCore, appId: string): { entries: WorkerLogEntry[]; at: number[]; stop(): void } {
  const entries: WorkerLogEntry[] = [];
  const at: number[] = [];
  const sub = core.core.logs.subscribe(appId, (e) => {
    entries.push(e);
    at.push(Date.now());
  }, { replay: false });
  return { entries, at, stop: () => sub.unsubscribe() };
}

export const countLines = (entries: WorkerLogEntry[], pattern: RegExp) => entries.filter((e) => pattern.test(e.message)).length;

/** Live worker processes (bun with the worker-host prelude) whose cwd is under `dataDir`. */
export function workerProcesses(dataDir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (!cmdline.includes("worker-host/prelude.ts")) continue;
      if (readlinkSync(`/proc/${name}/cwd`).startsWith(dataDir)) out.push(Number(name));
    } catch {
      // exited while being read
    }
  }
  return out;
}

export async function details(core: TestCore, token: string, appId: string): Promise<Array<{ identity: string; state: string; pid: number | null; restarts: number }>> {
  const res = await api(core, "GET", "/api/v1/workers?detail=true", undefined, token);
  return res.body.details?.[appId] ?? [];
}

export async function lifecyclePid(core: TestCore, token: string, appId: string): Promise<number | undefined> {
  const sys = (await details(core, token, appId)).find((d) => d.identity === "system");
  return sys?.state === "running" && sys.pid ? sys.pid : undefined;
}

/** A process that still runs: it exists and is not a zombie (a dead worker reparented to a PID 1 that does not reap). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
