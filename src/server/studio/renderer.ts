// The Studio renderer: a child process of the Core that runs Next.js (production build) on a loopback port
// and tells its parent the port over IPC. Keeping Next out of the Core's process keeps its per-request
// overhead and memory off the API's hot paths, and a renderer crash off the API.
import http from "node:http";
import next from "next";
import { PROJECT_DIR } from "./in-process.ts";

if (!process.send) {
  process.stderr.write("the Studio renderer runs as a child of the Core (src/server/main.ts)\n");
  process.exit(1);
}

const app = next({ dev: false, dir: PROJECT_DIR, hostname: "127.0.0.1", quiet: true });
await app.prepare();
const handle = app.getRequestHandler();
const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => void handle(req, res));
server.listen(0, "127.0.0.1", () => {
  process.send!({ type: "ready", port: (server.address() as { port: number }).port });
});

// The parent going away (even by SIGKILL) closes the IPC channel: never outlive it.
process.on("disconnect", () => process.exit(0));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
