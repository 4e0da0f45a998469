import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { appDir, entryPoint } from "./app-files.ts";

/** The in-worker runtime every worker preloads (spec §4.3). */
export const PRELUDE_PATH = fileURLToPath(new URL("../../worker-host/prelude.ts", import.meta.url));

/** uid/gid `nobody`: what a worker runs as when the Core runs as root. */
export const UNPRIVILEGED_ID = 65534;

/** The bun binary of the `bun` npm package, unless BUN_PATH names another. */
export function resolveBun(override: string | undefined): string {
  if (override) return path.resolve(override);
  const pkg = createRequire(import.meta.url).resolve("bun/package.json");
  // The package names its binary bun.exe on every platform (its postinstall puts the native one there).
  return path.join(path.dirname(pkg), "bin", "bun.exe");
}

/** Where a worker may write (its HOME and TMPDIR): outside config/, one directory per app. */
export const workerHomeRoot = (dataDir: string) => path.join(dataDir, "worker-home");

export interface SpawnSpec {
  dataDir: string;
  appId: string;
  bunPath: string;
  runtimeUrl: string;
}

const runsAsRoot = () => process.getuid?.() === 0;

/**
 * Adds the search bit (o+x) to every directory from `dir` up to `/`, so the unprivileged worker can reach its
 * files; nothing becomes listable or readable that was not (the same rule as the embedded PostgreSQL user).
 */
function makeTraversable(dir: string): void {
  let current = dir;
  for (;;) {
    const st = statSync(current);
    if ((st.mode & 0o001) === 0) chmodSync(current, st.mode | 0o001);
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/**
 * App trees already opened to the worker user, by directory identity: a deploy swaps in a new directory (a new
 * inode), so its tree is walked once, not at every spawn of every identity (node_modules can be large).
 */
const readableTrees = new Set<string>();

function makeTreeReadable(dir: string): void {
  const st = statSync(dir);
  const key = `${dir}|${st.dev}|${st.ino}`;
  if (readableTrees.has(key)) return;
  makeReadable(dir);
  readableTrees.add(key);
}

/** The app's deployed files readable by others (o+r, o+x on directories); links are left as they are. */
function makeReadable(dir: string): void {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    if ((st.mode & 0o005) !== 0o005) chmodSync(dir, st.mode | 0o005);
    for (const name of readdirSync(dir)) makeReadable(path.join(dir, name));
  } else if (st.isFile() && (st.mode & 0o004) === 0) {
    chmodSync(dir, st.mode | 0o004);
  }
}

/**
 * The secrets the Core keeps on disk (config/: JWT secret, master key, database password) are the owner's only,
 * whatever umask created the directory, so the unprivileged worker cannot read them.
 */
function lockConfigDir(dataDir: string): void {
  const config = path.join(dataDir, "config");
  if (existsSync(config)) chmodSync(config, 0o700);
}

function prepareHome(spec: SpawnSpec, asRoot: boolean): string {
  const home = path.join(workerHomeRoot(spec.dataDir), spec.appId);
  mkdirSync(path.join(home, "tmp"), { recursive: true, mode: 0o700 });
  if (asRoot) {
    chownSync(home, UNPRIVILEGED_ID, UNPRIVILEGED_ID);
    chownSync(path.join(home, "tmp"), UNPRIVILEGED_ID, UNPRIVILEGED_ID);
    makeTraversable(path.dirname(home));
  }
  return home;
}

/**
 * Spawns `bun --preload <prelude> <entry>` in the app's directory, in its own process group, with an environment
 * holding only the runtime variables of spec §4: never the database URL, a token, the JWT secret or the master
 * key (secrets arrive in `discover.credentials`). As root the worker runs as `nobody`.
 */
export function spawnWorker(spec: SpawnSpec): ChildProcessWithoutNullStreams {
  const cwd = appDir(spec.dataDir, spec.appId);
  const entry = entryPoint(cwd);
  if (!entry) throw new Error(`app ${spec.appId} has no backend entry point`);
  const asRoot = runsAsRoot();
  const home = prepareHome(spec, asRoot);
  if (asRoot) {
    lockConfigDir(spec.dataDir);
    makeTraversable(cwd);
    makeTreeReadable(cwd);
    makeTraversable(path.dirname(PRELUDE_PATH));
    makeTraversable(path.dirname(spec.bunPath));
  }
  const env: Record<string, string> = {
    ROOTCX_APP_ID: spec.appId,
    ROOTCX_RUNTIME_URL: spec.runtimeUrl,
    PATH: [path.dirname(spec.bunPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    HOME: home,
    TMPDIR: path.join(home, "tmp"),
  };
  return spawn(spec.bunPath, ["--preload", PRELUDE_PATH, entry], {
    cwd,
    // Typed loosely on purpose: the project-wide ProcessEnv declares NODE_ENV, which a worker must not get.
    env: env as NodeJS.ProcessEnv,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
    ...(asRoot ? { uid: UNPRIVILEGED_ID, gid: UNPRIVILEGED_ID } : {}),
  });
}
