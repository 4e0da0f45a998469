import { mkdirSync, readFileSync, readlinkSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import { appsRoot } from "./app-files.ts";
import { killUidsSync, pidsOfUids } from "./uid-procs.ts";
import { workerIdsOf } from "./worker-uids.ts";

const runFile = (dataDir: string) => path.join(dataDir, "run", "workers.json");

const recordSchema = z.array(z.object({ pid: z.number().int().positive(), appId: z.string() }));
type WorkerRecord = z.infer<typeof recordSchema>[number];

/**
 * The live workers' process groups, on disk (`<data>/run/workers.json`), so a Core killed with SIGKILL can have
 * its leftover workers killed by the next Core on the same data directory. Rewritten on every spawn and exit.
 */
export class WorkerPidFile {
  readonly #live = new Map<number, string>();

  constructor(private readonly dataDir: string, private readonly log: Logger) {}

  add(pid: number, appId: string): void {
    this.#live.set(pid, appId);
    this.#flush();
  }

  remove(pid: number): void {
    if (this.#live.delete(pid)) this.#flush();
  }

  #flush(): void {
    const file = runFile(this.dataDir);
    const records: WorkerRecord[] = [...this.#live].map(([pid, appId]) => ({ pid, appId }));
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(records), { mode: 0o600 });
      renameSync(tmp, file);
    } catch (err) {
      this.log.warn({ err, file }, "could not record the live worker processes");
    }
  }
}

/** True when `pid` is a worker of this data directory: bun with the prelude, running in one of its app dirs. */
function isOurWorker(pid: number, dataDir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (!cmdline.includes("--preload") || !cmdline.some((a) => a.endsWith(path.join("worker-host", "prelude.ts")))) return false;
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    return cwd.startsWith(appsRoot(dataDir) + path.sep);
  } catch {
    return false;
  }
}

/**
 * At boot: kills the process groups of workers a previous Core on this data directory left behind (it was killed
 * before it could stop them; a recorded pid now used by an unrelated process is left alone), then, as root, every
 * process still running as one of this data directory's app uids (children that left their worker's group).
 */
export function reapOrphans(dataDir: string, log: Logger): number {
  return reapGroups(dataDir, log) + reapUids(dataDir, log);
}

function reapUids(dataDir: string, log: Logger): number {
  if (process.getuid?.() !== 0) return 0;
  let uids: Map<string, number>;
  try {
    uids = workerIdsOf(dataDir);
  } catch (err) {
    log.warn({ err }, "could not read the worker uid registry; processes of this data directory's apps were not swept");
    return 0;
  }
  const ids = new Set(uids.values());
  const found = pidsOfUids(ids).length;
  if (found === 0) return 0;
  const left = killUidsSync(ids);
  log.warn({ apps: [...uids.keys()], found, left }, "killed processes of an app left behind by a previous Core");
  return found;
}

function reapGroups(dataDir: string, log: Logger): number {
  let records: WorkerRecord[];
  try {
    records = recordSchema.parse(JSON.parse(readFileSync(runFile(dataDir), "utf8")));
  } catch {
    return 0;
  }
  let killed = 0;
  for (const { pid, appId } of records) {
    if (!isOurWorker(pid, dataDir)) continue;
    try {
      process.kill(-pid, "SIGKILL");
      killed++;
      log.warn({ pid, appId }, "killed a worker left behind by a previous Core");
    } catch {
      // Gone between the check and the kill.
    }
  }
  return killed;
}
