/**
 * The worker host: preloaded into every app backend (`bun --preload <this file> <entry>`, cwd = the app's
 * directory) before the app's own code runs. It imports nothing but Bun/Node built-ins and its sibling files:
 * the worker runs as an unprivileged user, and the repository's node_modules are none of its business.
 *
 * It gives the app what the original's prelude gives (spec §4.3): the global `serve()`, the legacy globals
 * `log`, `emit` and `uploadFile`, console.* on the log stream, and it keeps stdin untouched until `serve()` so
 * that the Core's discover waits in the pipe while the app's imports load. See docs/WORKERS.md.
 */
import { watchParent } from "./lifetime.ts";
import { emit, log, redirectConsole } from "./logging.ts";
import { currentContext, serve, served, startReading } from "./runtime.ts";
import type { UploadContent } from "./types.ts";
import { guardStdout } from "./wire.ts";

guardStdout();
redirectConsole();
watchParent();

Object.assign(globalThis, {
  serve,
  log,
  emit,
  uploadFile: (content: UploadContent, filename?: string, contentType?: string) => currentContext().uploadFile(content, filename, contentType),
});

// A v1 worker never calls serve() and reads stdin itself. When it starts to, the runtime listens alongside it
// (without taking the stream over) so that the replies to its legacy uploadFile() still reach the runtime.
process.stdin.on("newListener", (event: string | symbol) => {
  if ((event === "data" || event === "readable") && !served()) startReading(false);
});
