import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { allocateWorkerId } from "./worker-uids.ts";

/**
 * Each app's workers run as a uid/gid of their own (when the Core runs as root), not a shared `nobody`: processes
 * of one uid may read each other's memory (/proc/<pid>/mem), and a worker holds its app's secrets there. The id is
 * unique across the host (worker-uids.ts: one registry for every Core on the machine) and stable for the app's
 * data directory.
 */
export function workerId(dataDir: string, appId: string): number {
  return allocateWorkerId(dataDir, appId);
}

/**
 * Adds the search bit (o+x) to every directory from `dir` up to `/`, so a worker can reach its files; nothing
 * becomes listable or readable that was not (the same rule as the embedded PostgreSQL user).
 */
export function makeTraversable(dir: string): void {
  let current = dir;
  for (;;) {
    const st = statSync(current);
    if ((st.mode & 0o001) === 0) chmodSync(current, st.mode | 0o001);
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/** Trees already given to their app's group, by directory identity: a deploy swaps in a new directory (inode). */
const ownedTrees = new Set<string>();

/**
 * The app's deployed files readable by its own group only (g+r, g+x on directories; nothing for others), owner
 * unchanged: the worker reads its code but cannot change it, and other apps' workers cannot read it. Walked once
 * per deployed directory, not at every spawn (node_modules can be large). Links are left as they are.
 */
export function giveTreeToGroup(dir: string, gid: number): void {
  const st = statSync(dir);
  const key = `${dir}|${st.dev}|${st.ino}|${gid}`;
  if (ownedTrees.has(key)) return;
  walk(dir, gid);
  ownedTrees.add(key);
}

function walk(file: string, gid: number): void {
  const st = lstatSync(file);
  if (st.isSymbolicLink()) return;
  if (!st.isDirectory() && !st.isFile()) return;
  if (st.gid !== gid) chownSync(file, st.uid, gid);
  const mode = st.isDirectory() ? ((st.mode | 0o050) & ~0o007) & 0o7777 : ((st.mode | 0o040) & ~0o007) & 0o7777;
  if ((st.mode & 0o7777) !== mode) chmodSync(file, mode);
  if (st.isDirectory()) for (const name of readdirSync(file)) walk(path.join(file, name), gid);
}

/** A directory the worker owns (its HOME and TMPDIR), private to it. */
export function ownedDir(dir: string, id: number): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chownSync(dir, id, id);
  chmodSync(dir, 0o700);
}

/**
 * The secrets the Core keeps on disk (config/: JWT secret, master key, database password) are the owner's only,
 * whatever umask created the directory.
 */
export function lockConfigDir(dataDir: string): void {
  const config = path.join(dataDir, "config");
  if (existsSync(config)) chmodSync(config, 0o700);
}
