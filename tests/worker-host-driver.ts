import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Plays the Core's side of the worker IPC (spec §4) against a real Bun process running the worker host on a
 * fixture app: spawns it as the supervisor does (`bun --preload <prelude> <entry>`, cwd = the app, a bare
 * environment), writes JSON lines to its stdin and collects what it writes, split into protocol messages,
 * other stdout lines and stderr.
 */

const ROOT = path.resolve(import.meta.dirname, "..");
export const BUN = path.join(ROOT, "node_modules/.bin/bun");
export const PRELUDE = path.join(ROOT, "src/worker-host/prelude.ts");
export const fixtureDir = (name: string) => path.join(ROOT, "tests/fixtures/apps", name);

export type WireMessage = { type: string; id?: string | number } & Record<string, unknown>;

export interface StartOptions {
  /** Extra environment variables (the base is PATH, HOME, TMPDIR and the runtime variables). */
  env?: Record<string, string>;
  /** Spawn through `sh`, which then waits: killing that shell (SIGKILL) orphans the worker as a dead Core would. */
  viaIntermediate?: boolean;
}

export interface WorkerDriver {
  child: ChildProcess;
  /** The worker's stdin. */
  input: Writable;
  /** The worker's pid (not the intermediate shell's). */
  pid(): Promise<number>;
  send(message: Record<string, unknown>): void;
  /** The first message not yet taken that matches, waiting for it if needed. */
  waitFor(match: (m: WireMessage) => boolean, timeoutMs?: number, what?: string): Promise<WireMessage>;
  /** Sends `discover` (run_onstart, credentials… as given) and resolves with the worker's discover reply. */
  discover(fields?: Record<string, unknown>): Promise<WireMessage>;
  /** Sends an rpc with a fresh id and resolves with its rpc_response. */
  rpc(method: string, params?: unknown, caller?: unknown, timeoutMs?: number): Promise<WireMessage>;
  /** Sends an rpc and returns its id without waiting (for tests that answer the worker's requests meanwhile). */
  startRpc(method: string, params?: unknown, caller?: unknown): string;
  messages(): WireMessage[];
  logs(): Array<{ level: string; message: string }>;
  stdoutLines(): string[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

let rpcSeq = 0;
const live = new Set<WorkerDriver>();

/** `fixture` names a directory of tests/fixtures/apps, or is the absolute path of an app directory. */
export function startWorker(fixture: string, options: StartOptions = {}): WorkerDriver {
  const cwd = path.isAbsolute(fixture) ? fixture : fixtureDir(fixture);
  // A bare environment as the supervisor gives (Next's typing of ProcessEnv insists on NODE_ENV, which workers do not get).
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    TMPDIR: process.env.TMPDIR ?? "/tmp",
    ROOTCX_APP_ID: path.basename(cwd),
    ROOTCX_RUNTIME_URL: "http://127.0.0.1:9",
    ...options.env,
  } as Record<string, string> as NodeJS.ProcessEnv;
  const command = [BUN, "--preload", PRELUDE, "index.ts"];
  // Through the shell, the worker's stdin is the shell's fd 3, not its stdin: Node closes a child's stdin when the
  // child exits, and the worker would see EOF instead of being left to notice its reparenting. `echo $!` tells
  // the worker's pid; `wait` keeps the shell as the worker's parent until it is killed.
  const child: ChildProcess = options.viaIntermediate
    ? spawn("sh", ["-c", `"$@" 0<&3 3<&- & echo "worker-pid $!" >&2; wait`, "sh", ...command], { cwd, env, stdio: ["ignore", "pipe", "pipe", "pipe"] })
    : spawn(command[0]!, command.slice(1), { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  const toWorker = (options.viaIntermediate ? child.stdio[3] : child.stdin) as Writable;

  const received: WireMessage[] = [];
  const taken = new Set<WireMessage>();
  const stdoutLines: string[] = [];
  let stderr = "";
  let waiters: Array<() => void> = [];
  const wake = () => {
    const current = waiters;
    waiters = [];
    for (const w of current) w();
  };

  let pending = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf("\n");
    while (nl !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf("\n");
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      if (typeof parsed === "object" && parsed !== null && typeof (parsed as WireMessage).type === "string") received.push(parsed as WireMessage);
      else if (line.trim()) stdoutLines.push(line);
    }
    wake();
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr += chunk;
    wake();
  });
  // A worker that died closes the pipe; writes after that must not crash the test.
  toWorker.on("error", () => {});

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      wake();
      resolve({ code, signal });
    }),
  );

  const waitFor: WorkerDriver["waitFor"] = async (match, timeoutMs = 10_000, what = "a matching message") => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = received.find((m) => !taken.has(m) && match(m));
      if (found) {
        taken.add(found);
        return found;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(received).slice(0, 2000)}; stderr ${stderr.slice(0, 2000)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };

  const send = (message: Record<string, unknown>) => {
    toWorker.write(`${JSON.stringify(message)}\n`);
  };

  const startRpc = (method: string, params: unknown = {}, caller: unknown = null) => {
    const id = `t${++rpcSeq}`;
    send({ type: "rpc", id, method, params, caller });
    return id;
  };

  const driver: WorkerDriver = {
    child,
    input: toWorker,
    async pid() {
      if (!options.viaIntermediate) return child.pid!;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const m = /worker-pid (\d+)/.exec(stderr);
        if (m) return Number(m[1]);
        await sleep(20);
      }
      throw new Error("the intermediate shell did not tell the worker's pid");
    },
    send,
    waitFor,
    async discover(fields = {}) {
      send({ type: "discover", app_id: path.basename(cwd), runtime_url: "http://127.0.0.1:9", ...fields });
      return waitFor((m) => m.type === "discover", 10_000, "the discover reply");
    },
    async rpc(method, params = {}, caller = null, timeoutMs = 10_000) {
      const id = startRpc(method, params, caller);
      return waitFor((m) => m.type === "rpc_response" && m.id === id, timeoutMs, `the answer to rpc ${method}`);
    },
    startRpc,
    messages: () => received,
    logs: () => received.filter((m) => m.type === "log").map((m) => ({ level: String(m.level), message: String(m.message) })),
    stdoutLines: () => stdoutLines,
    stderr: () => stderr,
    exited,
    async stop() {
      live.delete(driver);
      const workerPid = options.viaIntermediate ? /worker-pid (\d+)/.exec(stderr)?.[1] : undefined;
      if (workerPid) killQuietly(Number(workerPid));
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
  live.add(driver);
  return driver;
}

/** Kills every worker a test left running (afterEach). */
export async function stopAllWorkers(): Promise<void> {
  await Promise.all([...live].map((d) => d.stop()));
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** True while `pid` runs (a zombie awaiting its reaper counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Milliseconds until `pid` is gone; throws after `timeoutMs`. */
export async function timeUntilGone(pid: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (!isRunning(pid)) return Date.now() - started;
    await sleep(25);
  }
  throw new Error(`process ${pid} still runs after ${timeoutMs} ms`);
}
