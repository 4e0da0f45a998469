import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { isRunning, procArgv, procCwd, readProcStat } from "./proc-identity.ts";

export interface RunningPostmaster {
  pid: number;
  /** The postmaster's parent: the Core that spawned it, or the reaper it was handed to when that Core died. */
  ppid: number;
}

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/**
 * The postmaster that `<clusterDir>/postmaster.pid` names, if it is alive and really is a PostgreSQL server of
 * this cluster: its program is `postgres` and it runs in this directory (PostgreSQL chdirs into its data
 * directory). A stale file, or a pid since reused by another program or another cluster, gives undefined.
 */
export function findRunningPostmaster(clusterDir: string): RunningPostmaster | undefined {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  let lines: string[];
  try {
    lines = readFileSync(pidFile, "utf8").split("\n");
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isRunning(pid)) return undefined;
  const argv = procArgv(pid);
  if (!argv?.[0] || path.basename(argv[0]) !== "postgres") return undefined;
  const cwd = procCwd(pid);
  const dirOfProcess = cwd ?? lines[1];
  if (!dirOfProcess || !samePath(dirOfProcess, clusterDir)) return undefined;
  const stat = readProcStat(pid);
  return stat ? { pid, ppid: stat.ppid } : undefined;
}

/**
 * Without a core.pid record (a Core that predates it), the postmaster's parent is the only witness: a Core
 * spawns its cluster as its own child, so a node or bun parent other than init may be a Core still running.
 */
export function parentMayBeCore(postmaster: RunningPostmaster): boolean {
  if (postmaster.ppid <= 1) return false;
  const argv = procArgv(postmaster.ppid);
  const program = argv?.[0] ? path.basename(argv[0]) : "";
  return program === "node" || program === "bun";
}

/** Waits for the postmaster to exit and remove postmaster.pid; false if it is still running after `ms`. */
async function waitGone(pid: number, pidFile: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isRunning(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  // The postmaster unlinks the file as it exits; one still there after a moment is stale, and PostgreSQL
  // ignores a lock whose pid is not running.
  for (let i = 0; i < 20 && existsSync(pidFile); i++) await sleep(50);
  return true;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/**
 * Stops a postmaster whose Core is gone, the way PostgreSQL documents: SIGINT ("fast shutdown": clients are
 * disconnected, a checkpoint is written), then, if it does not finish, SIGQUIT ("immediate shutdown": the next
 * start runs crash recovery). Never SIGKILL: a postmaster killed that way can leave its shared memory and
 * backends behind. Throws when the postmaster outlives both.
 */
export async function stopOrphanedPostmaster(
  clusterDir: string,
  postmaster: RunningPostmaster,
  log: Logger,
  waits = { fastMs: 30_000, immediateMs: 10_000 },
): Promise<void> {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  log.warn({ pid: postmaster.pid, dir: clusterDir }, "the embedded PostgreSQL of a Core that is gone (it was killed) is still running; stopping it (fast shutdown)");
  signal(postmaster.pid, "SIGINT");
  if (await waitGone(postmaster.pid, pidFile, waits.fastMs)) return;
  log.warn({ pid: postmaster.pid }, "the orphaned embedded PostgreSQL did not finish a fast shutdown; asking for an immediate shutdown (crash recovery runs at start)");
  signal(postmaster.pid, "SIGQUIT");
  if (await waitGone(postmaster.pid, pidFile, waits.immediateMs)) return;
  throw new Error(`the embedded PostgreSQL left running in ${clusterDir} (pid ${postmaster.pid}) by a Core that is gone did not stop; stop it, then start the Core again`);
}
