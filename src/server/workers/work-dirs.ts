import { mkdir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";

/** Older than this, an upload or staging directory belongs to a deploy that died with its Core (or was killed). */
export const STALE_WORK_MS = 60 * 60 * 1000;

/**
 * Where uploads and staging directories live: under the data dir, private to the Core (0700). Leftovers of a
 * Core that stopped mid-deploy are swept on the way; no live deploy lasts an hour (bun install stops at 120 s).
 */
export async function privateWorkDir(dataDir: string, kind: "uploads" | "staging"): Promise<string> {
  const dir = path.join(dataDir, "tmp", kind);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const now = Date.now();
  for (const name of await readdir(dir)) {
    const entry = path.join(dir, name);
    const info = await stat(entry).catch(() => undefined);
    if (info && now - info.mtimeMs > STALE_WORK_MS) await rm(entry, { recursive: true, force: true });
  }
  return dir;
}
