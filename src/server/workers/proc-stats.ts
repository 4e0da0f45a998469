import { readFileSync } from "node:fs";

export interface ProcStats {
  rssBytes: number | null;
  cpuPercent: number | null;
}

const CLOCK_TICKS = 100;
const previous = new Map<number, { cpuSeconds: number; at: number }>();

/**
 * Memory and CPU of a process from /proc (Linux): RSS from status (VmRSS, in kB), CPU as the share of one core used since the
 * previous sample of that pid (or over its whole life at the first sample). Null where /proc cannot tell.
 */
export function procStats(pid: number, startedAt: Date): ProcStats {
  try {
    const rssKb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    const now = Date.now();
    const last = previous.get(pid);
    const base = last ?? { cpuSeconds: 0, at: startedAt.getTime() };
    previous.set(pid, { cpuSeconds, at: now });
    const wall = (now - base.at) / 1000;
    const cpuPercent = wall > 0 ? Math.round(((cpuSeconds - base.cpuSeconds) / wall) * 1000) / 10 : 0;
    return { rssBytes: rssKb === undefined ? null : Number(rssKb) * 1024, cpuPercent: Math.max(0, cpuPercent) };
  } catch {
    previous.delete(pid);
    return { rssBytes: null, cpuPercent: null };
  }
}

export function forgetProcStats(pid: number): void {
  previous.delete(pid);
}
