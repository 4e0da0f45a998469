import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

/** What `bun install` said, reported in the deploy's answer: a failure does not stop the deploy (offline Cores). */
export interface InstallReport {
  ok: boolean;
  /** The end of its output (stdout and stderr interleaved), at most OUTPUT_KEPT characters. */
  output: string;
}

export const INSTALL_TIMEOUT_MS = 120_000;
const OUTPUT_KEPT = 8192;
const LOCKFILES = ["bun.lock", "bun.lockb"];

/** The Bun binary of the `bun` npm package. */
export function bunBinary(): string {
  const pkg = createRequire(import.meta.url).resolve("bun/package.json");
  return path.join(path.dirname(pkg), "bin", "bun.exe");
}

/**
 * Runs `bun install` in `dir` when it holds a package.json; undefined when it does not. `--frozen-lockfile` when
 * the archive ships a lockfile; `--ignore-scripts` always, because an archive's install scripts would run as the
 * Core's user, with the Core's files in reach. The environment holds nothing of the Core's (no database URL, no key).
 */
export async function bunInstall(dir: string, homeDir: string, timeoutMs = INSTALL_TIMEOUT_MS): Promise<InstallReport | undefined> {
  if (!existsSync(path.join(dir, "package.json"))) return undefined;
  await mkdir(homeDir, { recursive: true, mode: 0o700 });
  const args = ["install", "--ignore-scripts", "--no-progress"];
  if (LOCKFILES.some((f) => existsSync(path.join(dir, f)))) args.push("--frozen-lockfile");
  return new Promise((resolve) => {
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-OUTPUT_KEPT);
    };
    const child = spawn(bunBinary(), args, {
      cwd: dir,
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: homeDir, NO_COLOR: "1", CI: "1", NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => {
      output += `\nbun install did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, output: `bun install could not start: ${err.message}` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, output: output.trim() });
    });
  });
}
