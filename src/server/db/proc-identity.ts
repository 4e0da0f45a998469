import { readFileSync, readlinkSync } from "node:fs";

/**
 * A process as /proc names it: its pid plus its start time (clock ticks since boot, field 22 of
 * /proc/<pid>/stat). A pid alone is reused; the pair names one process for as long as the machine runs.
 */
export interface ProcIdentity {
  pid: number;
  startTime: number;
}

interface ProcStat {
  state: string;
  ppid: number;
  startTime: number;
}

/** Parses /proc/<pid>/stat; undefined when the process is gone. The command name may hold spaces and ")". */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Fields after the command name start at field 3 (state); start time is field 22.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const startTime = Number(rest[19]);
  const ppid = Number(rest[1]);
  if (!rest[0] || !Number.isFinite(startTime) || !Number.isFinite(ppid)) return undefined;
  return { state: rest[0], ppid, startTime };
}

/** True while the process runs (a zombie has finished: only its parent's wait is missing). */
export function isRunning(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== "Z" && stat.state !== "X";
}

/** True when `id` still names the same running process (not a later one that reuses the pid). */
export function isSameProcess(id: ProcIdentity): boolean {
  const stat = readProcStat(id.pid);
  return stat !== undefined && stat.state !== "Z" && stat.state !== "X" && stat.startTime === id.startTime;
}

export function selfIdentity(): ProcIdentity {
  const stat = readProcStat(process.pid);
  if (!stat) throw new Error("cannot read /proc/self/stat: the Core needs /proc (Linux)");
  return { pid: process.pid, startTime: stat.startTime };
}

export function procArgv(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
  } catch {
    return undefined;
  }
}

export function procCwd(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}
