import { readFile, statfs } from "node:fs/promises";
import os from "node:os";
import type { FullHealth } from "./schema.ts";

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    return undefined;
  }
}

function parseStat(text: string | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text?.split("\n") ?? []) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) m.set(k, Number(v));
  }
  return m;
}

// cgroup v1 reports "no limit" as a page-aligned value near 2^63.
const UNLIMITED_V1 = 2 ** 60;

/** Memory of the container (cgroup v2, else v1), falling back to the host's when there is no cgroup. */
export async function memoryMetrics(): Promise<FullHealth["memory"]> {
  const v2Current = await readText("/sys/fs/cgroup/memory.current");
  if (v2Current !== undefined) {
    const max = await readText("/sys/fs/cgroup/memory.max");
    return { current_bytes: Number(v2Current), limit_bytes: max && max !== "max" ? Number(max) : null };
  }
  const v1Current = await readText("/sys/fs/cgroup/memory/memory.usage_in_bytes");
  if (v1Current !== undefined) {
    const limit = Number(await readText("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
    return { current_bytes: Number(v1Current), limit_bytes: Number.isFinite(limit) && limit < UNLIMITED_V1 ? limit : null };
  }
  return { current_bytes: os.totalmem() - os.freemem(), limit_bytes: os.totalmem() };
}

/** CPU accounting of the container (cgroup v2 cpu.stat, else v1 cpuacct), falling back to this process's usage. */
export async function cpuMetrics(): Promise<FullHealth["cpu"]> {
  const v2 = await readText("/sys/fs/cgroup/cpu.stat");
  if (v2 !== undefined) {
    const s = parseStat(v2);
    return {
      usage_usec: s.get("usage_usec") ?? 0,
      periods: s.get("nr_periods") ?? 0,
      throttled_periods: s.get("nr_throttled") ?? 0,
      throttled_usec: s.get("throttled_usec") ?? 0,
    };
  }
  const v1Usage = await readText("/sys/fs/cgroup/cpuacct/cpuacct.usage");
  if (v1Usage !== undefined) {
    const s = parseStat(await readText("/sys/fs/cgroup/cpu/cpu.stat"));
    return {
      usage_usec: Math.round(Number(v1Usage) / 1000),
      periods: s.get("nr_periods") ?? 0,
      throttled_periods: s.get("nr_throttled") ?? 0,
      throttled_usec: Math.round((s.get("throttled_time") ?? 0) / 1000),
    };
  }
  const u = process.cpuUsage();
  return { usage_usec: u.user + u.system, periods: 0, throttled_periods: 0, throttled_usec: 0 };
}

/** Space on the file system that holds the data directory. */
export async function diskMetrics(dir: string): Promise<FullHealth["disk"]> {
  const s = await statfs(dir);
  return {
    total_bytes: s.blocks * s.bsize,
    used_bytes: (s.blocks - s.bfree) * s.bsize,
    available_bytes: s.bavail * s.bsize,
  };
}
