import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { isSameProcess, selfIdentity, type ProcIdentity } from "./proc-identity.ts";

const ownerFile = (dataDir: string) => path.join(dataDir, "run", "core.pid");

const recordSchema = z.object({ pid: z.number().int().positive(), startTime: z.number().int().nonnegative() });

/** The Core recorded as owning `dataDir`, if the record exists and is readable. */
export function recordedOwner(dataDir: string): ProcIdentity | undefined {
  try {
    const parsed = recordSchema.safeParse(JSON.parse(readFileSync(ownerFile(dataDir), "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The live Core that owns `dataDir`, or undefined when its recorded Core is gone (killed) or none was recorded. */
export function liveOwner(dataDir: string): ProcIdentity | undefined {
  const owner = recordedOwner(dataDir);
  return owner && isSameProcess(owner) ? owner : undefined;
}

export interface DataDirClaim {
  /** Removes the record if it is still this process's. Idempotent and synchronous (it runs on process exit too). */
  release(): void;
}

/**
 * Records this process as the Core of `dataDir` (`<data>/run/core.pid`: pid and start time), so that the next
 * Core can tell whether an embedded postmaster it finds running still has a Core behind it. The caller has
 * already checked that no live Core owns the directory; PostgreSQL's own postmaster.pid lock still decides a
 * race between two Cores starting at once.
 */
export function claimDataDir(dataDir: string): DataDirClaim {
  const me = selfIdentity();
  const file = ownerFile(dataDir);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(me), { mode: 0o600 });
  renameSync(tmp, file);
  return {
    release() {
      const current = recordedOwner(dataDir);
      if (current && current.pid === me.pid && current.startTime === me.startTime) rmSync(file, { force: true });
    },
  };
}
