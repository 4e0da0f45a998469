import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, copyFile, lchown, mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { checkLockfiles, checkPackageJson } from "./install-specs.ts";
import { copyOwnedTree } from "./tree-copy.ts";
import { makeTraversable, workerId } from "./worker-user.ts";

/** What `bun install` said, reported in the deploy's answer: a failure does not stop the deploy (offline Cores). */
export interface InstallReport {
  ok: boolean;
  /** The end of its output (stdout and stderr interleaved), at most OUTPUT_KEPT characters. */
  output: string;
}

export const INSTALL_TIMEOUT_MS = 120_000;
const OUTPUT_KEPT = 8192;
const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

/** Package-manager settings an archive may ship: the install never reads them, and they are not deployed. */
export const SHIPPED_CONFIG = ["bunfig.toml", ".npmrc", ".yarnrc", ".yarnrc.yml"] as const;

/** The Bun binary of the `bun` npm package. */
export function bunBinary(): string {
  const pkg = createRequire(import.meta.url).resolve("bun/package.json");
  return path.join(path.dirname(pkg), "bin", "bun.exe");
}

/** Who the install runs as: the app's worker uid/gid when the Core is root, else the Core's own user. */
export interface InstallOptions {
  dataDir: string;
  appId: string;
  timeoutMs?: number;
}

/**
 * `bun install` for a staged tree holding a package.json; undefined when it holds none. The archive's package.json
 * and bun.lock are checked first (no local paths: 400 naming the dependency), its package-manager settings are
 * removed, then the install runs isolated (`installIsolated`) and its node_modules replaces the shipped one.
 */
export async function bunInstall(tree: string, opts: InstallOptions): Promise<InstallReport | undefined> {
  const removed: string[] = [];
  for (const name of SHIPPED_CONFIG) {
    if (!existsSync(path.join(tree, name))) continue;
    await rm(path.join(tree, name), { force: true, recursive: true });
    removed.push(name);
  }
  if (!existsSync(path.join(tree, "package.json"))) return undefined;
  checkPackageJson(await readFile(path.join(tree, "package.json"), "utf8"));
  await checkLockfiles(tree, (name) => existsSync(path.join(tree, name)));
  const report = await installIsolated(tree, opts);
  if (removed.length === 0) return report;
  return { ...report, output: `ignored ${removed.join(", ")} shipped in the archive: the Core installs with its own settings\n${report.output}`.trim() };
}

/** Where installs run: `<data>/deploy-install/`, the Core's (0711), one private directory per install inside it. */
export const installRoot = (dataDir: string) => path.join(dataDir, "deploy-install");

/**
 * The install itself, as the app's worker uid/gid when the Core is root (else as the Core's user): whatever a
 * specifier names, it reads only what that uid may read. It runs in `<data>/deploy-install/install-{id}-…/` (the
 * Core's, 0711: the uid cannot rename or replace anything the Core later writes or reads there) in `project/`
 * (the uid's, holding only package.json and bun.lock) with HOME and TMPDIR in `home/` (the uid's), an environment
 * of PATH, HOME and TMPDIR only, an empty bunfig passed with `--config`, `--backend=copyfile` so nothing is
 * hard-linked, no scripts and no .env files. Its node_modules is then copied into the tree by the Core
 * (`copyOwnedTree`), file by file.
 */
export async function installIsolated(tree: string, opts: InstallOptions): Promise<InstallReport> {
  const uid = process.getuid?.() === 0 ? workerId(opts.dataDir, opts.appId) : undefined;
  await mkdir(installRoot(opts.dataDir), { recursive: true, mode: 0o711 });
  const work = await mkdtemp(path.join(installRoot(opts.dataDir), `install-${opts.appId}-`));
  const home = path.join(work, "home");
  const project = path.join(work, "project");
  const config = path.join(work, "bunfig.toml");
  try {
    await chmod(work, 0o711);
    for (const dir of [home, project]) await mkdir(dir, { mode: 0o700 });
    await mkdir(path.join(home, "tmp"), { mode: 0o700 });
    await writeFile(config, "", { mode: 0o644 });
    await copyFile(path.join(tree, "package.json"), path.join(project, "package.json"));
    const locked = existsSync(path.join(tree, "bun.lock"));
    if (locked) await copyFile(path.join(tree, "bun.lock"), path.join(project, "bun.lock"));
    if (uid !== undefined) {
      // Given to the uid only once the Core has written them; the directories holding them stay the Core's.
      for (const p of [home, path.join(home, "tmp"), project, path.join(project, "package.json"), ...(locked ? [path.join(project, "bun.lock")] : [])]) await lchown(p, uid, uid);
      makeTraversable(work);
      makeTraversable(path.dirname(bunBinary()));
    }
    const args = ["install", `--config=${config}`, "--backend=copyfile", "--ignore-scripts", "--no-progress", "--no-env-file", `--cache-dir=${path.join(home, "cache")}`];
    if (locked) args.push("--frozen-lockfile");
    const env = { PATH: SYSTEM_PATH, HOME: home, TMPDIR: path.join(home, "tmp") };
    const report = await run(bunBinary(), args, { cwd: project, env, uid, timeoutMs: opts.timeoutMs ?? INSTALL_TIMEOUT_MS });
    const installed = path.join(project, "node_modules");
    if (!report.ok || !existsSync(installed)) return report;
    await rm(path.join(tree, "node_modules"), { recursive: true, force: true });
    const copied = await copyOwnedTree(installed, path.join(tree, "node_modules"), uid);
    if (copied.skipped.length === 0) return report;
    const skipped = `${copied.skipped.length} file(s) of node_modules were not deployed (not regular, hard-linked or not the install's own): ${copied.skipped.slice(0, 5).join(", ")}`;
    return { ok: report.ok, output: `${report.output}\n${skipped}` };
  } finally {
    await removeInstall(work, home, project, config, uid);
  }
}

/**
 * The uid empties its own directories (a recursive delete by root could be steered into deleting outside them by a
 * directory swapped for a symlink mid-walk); the Core then removes only the entries it made, never recursively.
 */
async function removeInstall(work: string, home: string, project: string, config: string, uid: number | undefined): Promise<void> {
  if (uid === undefined) {
    await rm(work, { recursive: true, force: true });
    return;
  }
  await run("/bin/rm", ["-rf", "--", home, project], { cwd: "/", env: { PATH: SYSTEM_PATH }, uid, timeoutMs: 60_000 });
  for (const dir of [home, project]) await rmdir(dir).catch(() => undefined);
  await rm(config, { force: true });
  await rmdir(work).catch(() => undefined);
}

function run(bin: string, args: string[], opts: { cwd: string; env: Record<string, string>; uid: number | undefined; timeoutMs: number }): Promise<InstallReport> {
  return new Promise((resolve) => {
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-OUTPUT_KEPT);
    };
    const child = spawn(bin, args, {
      cwd: opts.cwd,
      // Typed loosely on purpose: the project-wide ProcessEnv declares NODE_ENV, which the install does not get.
      env: opts.env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
    });
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => {
      output += `\n${path.basename(bin)} did not finish within ${Math.round(opts.timeoutMs / 1000)} s and was stopped`;
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, output: `${path.basename(bin)} could not start: ${err.message}` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, output: output.trim() });
    });
  });
}
