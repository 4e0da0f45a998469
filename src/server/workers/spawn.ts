import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { appDir, entryPoint } from "./app-files.ts";
import { giveTreeToGroup, lockConfigDir, makeTraversable, ownedDir, workerId } from "./worker-user.ts";

/** The in-worker runtime every worker preloads (spec §4.3). */
export const PRELUDE_PATH = fileURLToPath(new URL("../../worker-host/prelude.ts", import.meta.url));

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

function prepareHome(spec: SpawnSpec, id: number | undefined): string {
  const home = path.join(workerHomeRoot(spec.dataDir), spec.appId);
  mkdirSync(path.join(home, "tmp"), { recursive: true, mode: 0o700 });
  if (id !== undefined) {
    ownedDir(home, id);
    ownedDir(path.join(home, "tmp"), id);
    makeTraversable(path.dirname(home));
  }
  return home;
}

/**
 * Spawns `bun --preload <prelude> <entry>` in the app's directory, in its own process group, with an environment
 * holding only the runtime variables of spec §4: never the database URL, a token, the JWT secret or the master
 * key (secrets arrive in `discover.credentials`). As root the worker runs as its app's own unprivileged uid/gid.
 */
export function spawnWorker(spec: SpawnSpec): ChildProcessWithoutNullStreams {
  const cwd = appDir(spec.dataDir, spec.appId);
  const entry = entryPoint(cwd);
  if (!entry) throw new Error(`app ${spec.appId} has no backend entry point`);
  const id = runsAsRoot() ? workerId(spec.dataDir, spec.appId) : undefined;
  const home = prepareHome(spec, id);
  if (id !== undefined) {
    lockConfigDir(spec.dataDir);
    makeTraversable(path.dirname(cwd));
    giveTreeToGroup(cwd, id);
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
    ...(id !== undefined ? { uid: id, gid: id } : {}),
  });
}
