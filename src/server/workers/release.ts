import { chmod, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import path from "node:path";
import { extractArchive } from "./archive.ts";
import { privateWorkDir } from "./work-dirs.ts";

/** An archive extracted into a private staging directory, not yet live. */
export interface Staged {
  /** The extracted tree; renamed into place by `swapInto`. */
  root: string;
  /** Removes the staging directory and whatever is still in it (the tree if never swapped, the old one after). */
  dispose(): Promise<void>;
}

export async function stageArchive(dataDir: string, archive: string, label: string): Promise<Staged> {
  const work = await mkdtemp(path.join(await privateWorkDir(dataDir, "staging"), `${label}-`));
  const dispose = () => rm(work, { recursive: true, force: true });
  try {
    const root = path.join(work, "tree");
    // The tree itself is readable by the worker's user once it is live; its parent stays private until then.
    await mkdir(root, { mode: 0o755 });
    await chmod(root, 0o755);
    await extractArchive(archive, root);
    return { root, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

export interface Swapped {
  /** Puts the previous tree back (or removes the new one when there was none). */
  restore(): Promise<void>;
}

/**
 * Makes the staged tree live at `target` by two renames: the live tree moves aside into the staging directory
 * (a running worker's cwd survives a rename), then the new one takes its name. The old tree goes with the
 * staging directory's dispose(), after the workers have restarted.
 */
export async function swapInto(staged: Staged, target: string): Promise<Swapped> {
  await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
  const aside = path.join(path.dirname(staged.root), "previous");
  let hadPrevious = true;
  try {
    await rename(target, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    hadPrevious = false;
  }
  try {
    await rename(staged.root, target);
  } catch (err) {
    if (hadPrevious) await rename(aside, target);
    throw err;
  }
  return {
    async restore() {
      await rename(target, staged.root);
      if (hadPrevious) await rename(aside, target);
    },
  };
}
