import { constants } from "node:fs";
import { copyFile, lstat, mkdir, open, readdir, readlink, rename, symlink, unlink } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";

/**
 * File operations of a deploy that must never be turned against the Core: what bun install (an unprivileged
 * process) produced is copied back by reading each file through a descriptor opened without following links and
 * checked after opening, and the staged tree's own hard links are broken, so the supervisor's permission pass
 * (which changes the group and mode of what it finds) only ever meets files of the tree itself.
 */

/** Files left behind by `copyOwnedTree`, counted for the install report. */
export interface CopyReport {
  copied: number;
  skipped: string[];
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Copies `src` (written by the install's uid) into `dest` (a new directory of the Core's). Directories are created
 * afresh, symlinks recreated as they are (never followed), regular files copied only when, checked on the open
 * descriptor, they are regular, have a single link and belong to `owner` (when given): a name swapped for a link to
 * someone else's file copies nothing of it. Anything else is skipped and named.
 */
export async function copyOwnedTree(src: string, dest: string, owner: number | undefined, report: CopyReport = { copied: 0, skipped: [] }, rel = ""): Promise<CopyReport> {
  await mkdir(dest, { mode: 0o755 });
  for (const entry of await readdir(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    const to = path.join(dest, entry.name);
    const shown = path.posix.join(rel, entry.name);
    const st = await lstat(from);
    if (st.isSymbolicLink()) {
      await symlink(await readlink(from), to);
    } else if (st.isDirectory()) {
      await copyOwnedTree(from, to, owner, report, shown);
    } else if (st.isFile()) {
      if (await copyOneFile(from, to, owner)) report.copied += 1;
      else report.skipped.push(shown);
    } else {
      report.skipped.push(shown);
    }
  }
  return report;
}

async function copyOneFile(from: string, to: string, owner: number | undefined): Promise<boolean> {
  const fh = await open(from, READ_FLAGS).catch(() => undefined);
  if (!fh) return false;
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.nlink !== 1 || (owner !== undefined && st.uid !== owner)) return false;
    const mode = st.mode & 0o100 ? 0o755 : 0o644;
    const out = await open(to, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    await pipeline(fh.createReadStream({ autoClose: false }), out.createWriteStream());
    return true;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Replaces every regular file of `root` that has more than one link by a copy of its own. Run on a staged tree
 * only the Core can reach, where the only hard links are the archive's own (both names inside the tree): after it,
 * no file of the tree shares an inode with anything, inside or outside. Symlinks are never followed, and the walk
 * never leaves `root`.
 */
export async function breakHardLinks(root: string): Promise<number> {
  let broken = 0;
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const file = path.join(root, entry.name);
    const st = await lstat(file);
    if (st.isDirectory()) {
      broken += await breakHardLinks(file);
    } else if (st.isFile() && st.nlink > 1) {
      const copy = `${file}.rootcx-copy`;
      await copyFile(file, copy, constants.COPYFILE_EXCL);
      await rename(copy, file).catch(async (err: unknown) => {
        await unlink(copy).catch(() => undefined);
        throw err;
      });
      broken += 1;
    }
  }
  return broken;
}
