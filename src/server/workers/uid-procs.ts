import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
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

/** procps' kill(1), in Debian's base system; the Core sends the signal through it as the app's uid. */
const KILL = "/bin/kill";

/**
 * As root, SIGKILLs every process of `uid` in one atomic step: a short-lived `kill -s KILL -- -1` run as that uid.
 * Linux's kill(-1) signals every process the caller may signal except itself while holding the task list lock, and
 * a fork that has not finished by then is aborted by the pending signal, so a process forking as fast as it can
 * cannot slip a child past it the way it slips one past a /proc scan (its child is born after the scan read its
 * parent). Whether the step ran: false without root or without /bin/kill, when only the scan is left.
 */
function killAllAsUid(uid: number): boolean {
  if (process.getuid?.() !== 0 || !existsSync(KILL)) return false;
  // `-KILL`, not `-s KILL`: procps-ng 4 reads `-s KILL -- -1` as a usage error and signals nothing. The exit
  // status says nothing useful (1 when no process was left to signal); the /proc scan confirms.
  const env: Record<string, string> = {};
  const r = spawnSync(KILL, ["-KILL", "--", "-1"], { uid, gid: uid, env: env as NodeJS.ProcessEnv, stdio: "ignore", cwd: "/", timeout: 2000 });
  return r.error === undefined;
}

/**
 * One SIGKILL round to every process of `uids`: as root the atomic kill(-1) as each uid (twice, the second for a
 * fork the first caught half-way), then one /proc scan whatever their number. How many the scan signalled.
 */
export function killUidsNow(uids: ReadonlySet<number>): number {
  sweepable(uids);
  for (const uid of uids) if (killAllAsUid(uid)) killAllAsUid(uid);
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
