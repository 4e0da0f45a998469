import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { CoreError } from "../errors.ts";
import { sendError } from "../http/respond.ts";
import { PROJECT_DIR, type StudioHandler } from "./in-process.ts";
import { proxyTo } from "./proxy.ts";

const RENDERER = path.join(PROJECT_DIR, "src/server/studio/renderer.ts");
const RESTARTING_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>RootCX Studio is restarting</title></head><body style="font-family:system-ui;padding:3rem;color:#334155">
<h1 style="font-size:1.25rem">The Studio is restarting</h1><p>This page reloads in a moment. The API is not affected.</p></body></html>`;
const READY_TIMEOUT_MS = 60_000;

/**
 * Runs the Studio renderer as a supervised child process and proxies every Studio request to it. If the
 * renderer dies it is restarted (after 1 s, then up to 30 s between attempts); meanwhile Studio pages answer
 * 503 and the API is untouched.
 */
export async function startStudioRenderer(log: Logger): Promise<StudioHandler> {
  if (!existsSync(path.join(PROJECT_DIR, ".next", "BUILD_ID"))) {
    throw new Error("the Studio has not been built: run `npm run build` (npm start does this when needed)");
  }
  const slog = log.child({ component: "studio" });
  let child: ChildProcess | undefined;
  let port: number | undefined;
  let stopping = false;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  function spawnRenderer(): Promise<void> {
    return new Promise((resolve, reject) => {
      const c = fork(RENDERER, [], {
        cwd: PROJECT_DIR,
        execArgv: ["--import", "tsx"],
        env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      child = c;
      const timer = setTimeout(() => {
        c.kill("SIGKILL");
        reject(new Error("the Studio renderer did not start in time"));
      }, READY_TIMEOUT_MS);
      c.on("message", (m: { type?: string; port?: number }) => {
        if (m.type !== "ready" || typeof m.port !== "number") return;
        clearTimeout(timer);
        port = m.port;
        failures = 0;
        resolve();
      });
      c.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (child === c) {
          child = undefined;
          port = undefined;
        }
        if (stopping) return;
        failures++;
        const delay = Math.min(30_000, 1_000 * 2 ** Math.min(failures - 1, 5));
        slog.error({ code, signal, restartInMs: delay }, "the Studio renderer exited; restarting it");
        restartTimer = setTimeout(() => void spawnRenderer().catch((err: unknown) => slog.error({ err }, "the Studio renderer failed to restart")), delay);
        restartTimer.unref();
        reject(new Error(`the Studio renderer exited during start-up (code ${code}, signal ${signal})`));
      });
    });
  }

  await spawnRenderer();
  slog.info({ pid: child?.pid }, "Studio renderer started");

  // A browser gets a page that retries by itself; anything else the usual JSON error.
  const unavailable = (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.accept?.includes("text/html")) {
      res.writeHead(503, { "content-type": "text/html; charset=utf-8", "retry-after": "2", "cache-control": "no-store" });
      res.end(RESTARTING_PAGE);
      return;
    }
    sendError(res, new CoreError("NOT_READY", "the Studio is restarting; retry in a moment", { headers: { "retry-after": "2" } }));
  };
  return {
    pid: () => child?.pid,
    async handle(req, res) {
      if (port === undefined) {
        unavailable(req, res);
        return;
      }
      proxyTo(port, req, res, (err) => {
        slog.warn({ err: err.message }, "Studio request failed");
        unavailable(req, res);
      });
    },
    async close() {
      stopping = true;
      clearTimeout(restartTimer);
      const c = child;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => c.kill("SIGKILL"), 5_000);
        c.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        c.kill("SIGTERM");
      });
    },
  };
}
