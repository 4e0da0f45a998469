import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Processes by the uid they run as, read from /proc. An app's workers run as a uid of their own (worker-user.ts),
 * so "every process of that uid" is exactly what the app left running, detached children included: a child that
 * left the worker's process group (setsid, `detached: true`) is still the app's by its uid.
 */

interface ProcInfo {
  pid: number;
  uids: number[];
  gids: number[];
  zombie: boolean;
}

function readProc(pid: number): ProcInfo | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined; // gone while scanning
  }
  const ids = (key: string) =>
    (new RegExp(`^${key}:\\s*(.*)$`, "m").exec(status)?.[1] ?? "")
      .split(/\s+/)
      .filter((s) => s !== "")
      .map(Number);
  return { pid, uids: ids("Uid"), gids: ids("Gid"), zombie: /^State:\s*Z/m.test(status) };
}

function* processes(): Generator<ProcInfo> {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return; // no procfs: nothing to scan
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProc(Number(name));
    if (info) yield info;
  }
}

/** Every uid and gid some live process holds (real, effective, saved or filesystem). */
export function liveIds(): Set<number> {
  const ids = new Set<number>();
  for (const p of processes()) for (const id of [...p.uids, ...p.gids]) ids.add(id);
  return ids;
}

/** The live (non-zombie) processes running as one of `uids` under any of their uids; a zombie is already dead, only unreaped. */
export function pidsOfUids(uids: ReadonlySet<number>): number[] {
  const pids: number[] = [];
  for (const p of processes()) if (!p.zombie && p.uids.some((u) => uids.has(u)) && p.pid !== process.pid) pids.push(p.pid);
  return pids;
}

/** Only an app's worker uid may be swept, never root's or the Core's own. */
function sweepable(uids: ReadonlySet<number>): void {
  for (const uid of uids) if (uid === 0 || uid === process.getuid?.()) throw new Error(`refusing to kill every process of uid ${uid}`);
}

/** One SIGKILL round to every process of `uids` (one /proc scan whatever their number); how many were signalled. */
export function killUidsNow(uids: ReadonlySet<number>): number {
  sweepable(uids);
  let n = 0;
  for (const pid of pidsOfUids(uids)) {
    try {
      process.kill(pid, "SIGKILL");
      n++;
    } catch {
      // Already gone.
    }
  }
  return n;
}

/**
 * SIGKILLs every process of `uids` until none is left (a process may fork while the scan runs), for at most
 * `maxMs`. Root's uid and the Core's own are refused. Returns the processes still alive at the end (0 when the
 * sweep succeeded).
 */
export async function killUids(uids: ReadonlySet<number>, maxMs = 3000): Promise<number> {
  if (uids.size === 0) return 0;
  const until = Date.now() + maxMs;
  for (;;) {
    killUidsNow(uids);
    await sleep(25);
    const left = pidsOfUids(uids).length;
    if (left === 0 || Date.now() >= until) return left;
  }
}

/** killUid for the boot sweep, which runs before anything else and may block: the same loop, synchronously. */
export function killUidsSync(uids: ReadonlySet<number>, maxMs = 3000): number {
  if (uids.size === 0) return 0;
  const until = Date.now() + maxMs;
  const tick = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    killUidsNow(uids);
    Atomics.wait(tick, 0, 0, 25);
    const left = pidsOfUids(uids).length;
    if (left === 0 || Date.now() >= until) return left;
  }
}
