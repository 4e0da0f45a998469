import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../src/server/db/embedded.ts";
import { isRunning } from "../src/server/db/proc-identity.ts";

/** A Core (or `npm start`) running as its own process, for tests about processes, signals, restarts and memory. */
export interface CoreProcess {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

export const ROOT = path.resolve(import.meta.dirname, "..");

/** The Core without the Studio (no Next build needed), stopping cleanly on SIGTERM like main.ts. */
const BOOT = `import("./src/server/boot.ts").then(async (m) => {
  try {
    const c = await m.startCore({ studio: false });
    process.on("SIGTERM", () => void c.stop().then(() => process.exit(0)));
  } catch (err) {
    process.stderr.write("rootcx-core: " + (err instanceof Error ? err.message : String(err)) + "\\n");
    process.exit(1);
  }
});`;

/** Tracks what a test file started, so `stopAll` and `removeDirs` can clean up after failures too. */
export class CoreProcesses {
  readonly #procs: CoreProcess[] = [];
  readonly #dirs: string[] = [];

  /** `main` runs `npm start`'s command (config, Studio, signals); `core` runs the Core alone. */
  start(kind: "main" | "core", env: Record<string, string>): CoreProcess {
    let out = "";
    const args = kind === "main" ? ["--import", "tsx", "src/server/main.ts"] : ["--import", "tsx", "--input-type=module", "-e", BOOT];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      // TMPDIR is the run's own (tests/global-setup.ts), so that what the Core leaves in it is found at the end.
      env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.tmpdir(), TMPDIR: os.tmpdir(), LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const proc = { child, output: () => out, exit };
    this.#procs.push(proc);
    return proc;
  }

  /** A data directory and port of its own, so a failure never leaks into the next test. */
  async fresh(prefix = "rootcx-proc-"): Promise<{ dataDir: string; port: number; url: string }> {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), prefix));
    this.#dirs.push(dataDir);
    const port = await freePort();
    return { dataDir, port, url: `http://127.0.0.1:${port}` };
  }

  /** Ends every process still running: SIGTERM waits up to 15 s for a clean stop, SIGKILL does not. */
  async stopAll(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    for (const p of this.#procs.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill(signal);
        await Promise.race([p.exit, sleep(15_000)]);
      }
    }
  }

  /** Removes the data directories, first stopping a cluster a killed Core left running (it could write files last). */
  async removeDirs(): Promise<void> {
    for (const d of this.#dirs.splice(0)) {
      const pidFile = path.join(d, "postgres", "postmaster.pid");
      if (existsSync(pidFile)) {
        const pid = postmasterPid(d);
        if (isRunning(pid)) process.kill(pid, "SIGQUIT");
        for (let i = 0; i < 100 && isRunning(pid); i++) await sleep(50);
      }
      rmSync(d, { recursive: true, force: true });
    }
  }
}

export const postmasterPid = (dataDir: string) => Number(readFileSync(path.join(dataDir, "postgres", "postmaster.pid"), "utf8").split("\n")[0]);

/** Waits for `/health`; returns how long it took. Fails at once with the output if the process exits. */
export async function waitHealthy(url: string, proc: CoreProcess, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (proc.child.exitCode !== null) throw new Error(`the Core exited early:\n${proc.output()}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return Date.now() - started;
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  throw new Error(`the Core did not become healthy:\n${proc.output()}`);
}
