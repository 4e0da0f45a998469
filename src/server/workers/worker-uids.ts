import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { liveIds } from "./uid-procs.ts";

/**
 * The host-wide registry of worker uids: every Core on this machine (every data directory) allocates its apps'
 * uids from one file under one lock, so two Cores never hand two apps the same uid (one app could then read the
 * other's code, its memory through /proc/<pid>/mem, and signal its workers). An app keeps its uid for as long as
 * its data directory exists; entries of data directories that are gone are reused once no process holds the id.
 * Ids stay below 65536 (a user namespace may map no more) and skip those /etc/passwd, /etc/group or a live
 * process use.
 */

export const FIRST_ID = 50_000;
export const LAST_ID = 59_999;
/** ROOTCX_WORKER_UID_REGISTRY overrides the location (tests of the registry itself; hosts without /var/lib). */
export const registryPath = () => process.env.ROOTCX_WORKER_UID_REGISTRY ?? "/var/lib/rootcx/worker-uids.json";
const LOCK_WAIT_MS = 10_000;
/** A lock file older than this is from a process that died holding it (allocation takes milliseconds). */
const STALE_LOCK_MS = 30_000;

const entrySchema = z.object({ dataDir: z.string(), appId: z.string(), uid: z.number().int().min(FIRST_ID).max(LAST_ID) });
const registrySchema = z.object({ entries: z.array(entrySchema) });
type Entry = z.infer<typeof entrySchema>;

/** Before the host registry, each data directory kept its own ids here; an app keeps that id if it is still free. */
const legacyFile = (dataDir: string) => path.join(dataDir, "run", "worker-ids.json");
const legacySchema = z.record(z.string(), z.number().int().min(FIRST_ID).max(LAST_ID));

const canonical = (dataDir: string) => {
  try {
    return realpathSync(dataDir);
  } catch {
    return path.resolve(dataDir);
  }
};

function systemIds(): Set<number> {
  const used = new Set<number>();
  for (const file of ["/etc/passwd", "/etc/group"]) {
    try {
      for (const line of readFileSync(file, "utf8").split("\n")) {
        const id = Number(line.split(":")[2]);
        if (Number.isInteger(id)) used.add(id);
      }
    } catch {
      // No such database on this system: nothing to avoid.
    }
  }
  return used;
}

function readEntries(): Entry[] {
  try {
    return registrySchema.parse(JSON.parse(readFileSync(registryPath(), "utf8"))).entries;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    // A corrupt registry must not let ids be handed out twice: refuse rather than start over.
    throw new Error(`the worker uid registry ${registryPath()} is unreadable (${err instanceof Error ? err.message : String(err)}); fix or remove it`, { cause: err });
  }
}

function writeEntries(entries: Entry[]): void {
  const file = registryPath();
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ entries }), { mode: 0o600 });
  renameSync(tmp, file);
}

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** A lock whose holder is gone (its pid no longer exists) or that is older than any allocation takes. */
function staleLock(lock: string): boolean {
  try {
    if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) return true;
    const holder = Number(readFileSync(lock, "utf8"));
    if (!Number.isInteger(holder) || holder <= 0) return false; // being written: give it a moment
    process.kill(holder, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Runs `fn` holding the registry's lock (an O_EXCL lock file; one left by a dead holder is broken after a while). */
function withLock<T>(fn: () => T): T {
  const lock = `${registryPath()}.lock`;
  mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (staleLock(lock)) rmSync(lock, { force: true });
      if (Date.now() > until) throw new Error(`the worker uid registry lock ${lock} is held for more than ${LOCK_WAIT_MS / 1000} s`);
      pause(5);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function legacyId(dataDir: string, appId: string): number | undefined {
  try {
    return legacySchema.parse(JSON.parse(readFileSync(legacyFile(dataDir), "utf8")))[appId];
  } catch {
    return undefined;
  }
}

/** The app's worker uid (= gid) on this host, allocated on first use and kept for its data directory. */
export function allocateWorkerId(dataDir: string, appId: string): number {
  const dir = canonical(dataDir);
  return withLock(() => {
    const entries = readEntries();
    const known = entries.find((e) => e.dataDir === dir && e.appId === appId);
    if (known) return known.uid;
    const live = liveIds();
    // Entries of data directories that no longer exist are dropped, unless a process still runs as their id.
    const kept = entries.filter((e) => existsSync(e.dataDir) || live.has(e.uid));
    const taken = new Set([...kept.map((e) => e.uid), ...systemIds(), ...live]);
    let uid = legacyId(dir, appId);
    if (uid === undefined || taken.has(uid)) {
      uid = FIRST_ID;
      while (uid <= LAST_ID && taken.has(uid)) uid++;
      if (uid > LAST_ID) throw new Error(`no free worker uid left in ${FIRST_ID}–${LAST_ID} on this host`);
    }
    writeEntries([...kept, { dataDir: dir, appId, uid }]);
    return uid;
  });
}

/** The uids this data directory's apps hold (for sweeping their processes), without allocating any. */
export function workerIdsOf(dataDir: string): Map<string, number> {
  const dir = canonical(dataDir);
  return new Map(readEntries().filter((e) => e.dataDir === dir).map((e) => [e.appId, e.uid]));
}
