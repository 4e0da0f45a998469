// The baseline of the realtime bench: a plain LISTEN/NOTIFY fan-out with no permission check. One LISTEN
// connection; each NOTIFY payload is written, as it is, to every open SSE response (the Core's own SSE writer).
import http from "node:http";
import pg from "pg";
import { SseWriter } from "../src/server/workers/sse.ts";

const subscribers = new Set<SseWriter>();
const listener = new pg.Client({ connectionString: process.env.DATABASE_URL });
await listener.connect();
listener.on("notification", (n) => {
  // Parsed once and written per subscriber, as the Core's hub writes each event.
  const data: unknown = JSON.parse(n.payload ?? "null");
  for (const s of subscribers) s.send(data);
});
await listener.query("LISTEN bench_plain");

const server = http.createServer((req, res) => {
  if (req.url === "/health") return void res.end("ok");
  const sse: SseWriter = new SseWriter(res, { keepAliveMs: 15_000, onDrain: () => undefined, onClose: () => subscribers.delete(sse) });
  subscribers.add(sse);
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close();
  void listener.end().then(() => process.exit(0));
});
