import { writeLog } from "./logging.ts";
import { errorText } from "./serialize.ts";

/**
 * When the worker ends. A worker must never outlive its Core, even one killed with SIGKILL: it exits when
 * stdin reaches its end once it reads it, and when it is reparented (its parent died), checked every second.
 */

const PARENT_POLL_MS = 1000;
export const SHUTDOWN_GRACE_MS = 5000;

/**
 * Polls the parent pid. The timer is unref'd: it must not keep a worker alive that has nothing else to do (a
 * v2 worker is kept alive by reading stdin, a v1 worker by whatever it runs itself), yet it fires as long as
 * anything else does, before `serve()` and while stdin is still paused.
 */
export function watchParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, PARENT_POLL_MS).unref();
}

let shuttingDown = false;

/** The `shutdown` message: onShutdown gets at most SHUTDOWN_GRACE_MS, then the process exits 0 whatever it did. */
export function shutdown(onShutdown: (() => unknown) | undefined): void {
  if (shuttingDown) return;
  shuttingDown = true;
  const exit = () => process.exit(0);
  setTimeout(() => {
    writeLog("warn", `onShutdown did not finish within ${SHUTDOWN_GRACE_MS / 1000} s; exiting`);
    exit();
  }, SHUTDOWN_GRACE_MS);
  new Promise((resolve) => resolve(onShutdown?.()))
    .catch((err: unknown) => writeLog("error", `onShutdown failed: ${errorText(err)}`))
    .finally(exit);
}
