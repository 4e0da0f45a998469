// The data suite's baseline: the least the Core itself can do to answer a governed Data API read. It runs the
// statement the Core sent (captured from PostgreSQL by bench/data.ts, parameters as $n) through the Core's own
// GovernedExecutor.runOne — the same prelude, claims, pipelining and gateway pool — and returns PostgreSQL's
// JSON text. What it leaves out is the Core's REST layer: routing, authentication, the principal and entity
// lookups, and the SQL building.
import http from "node:http";
import { GovernedExecutor } from "../src/server/governance/executor.ts";
import { createLogger } from "../src/server/log.ts";

export interface DataServerConfig {
  gatewayUrl: string;
  claimsKey: string;
  uid: string;
  perms: string[];
  /** The Core's statements, with the id as $1. */
  getStatement: string;
  listStatement: string;
  poolSize: number;
}

export const CLAIMS_HOLE = "{{claims}}";
export const ID_HOLE = "{{id}}";

const config = JSON.parse(process.env.BENCH_DATA ?? "null") as DataServerConfig | null;
if (config) serve(config);

function serve(cfg: DataServerConfig): void {
  const executor = new GovernedExecutor({ gatewayUrl: cfg.gatewayUrl, claimsKeyHex: cfg.claimsKey, log: createLogger("warn"), permissionsOf: async () => cfg.perms, max: cfg.poolSize,
    // The Core stored this set when it served the same reader (the suite checks both answers match first).
    writeSet: async () => undefined });
  const principal = { userId: cfg.uid, email: "", sessionId: undefined, displayName: null, createdAt: new Date() };
  const send = (res: http.ServerResponse, status: number, body: string) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };

  async function answer(statement: string, params: string[]): Promise<string | null> {
    const { rows } = await executor.runOne<{ json: string | null }>(principal, { trigger: "api", statementTimeoutMs: 8_000 }, statement, params);
    return rows[0]?.json ?? null;
  }

  http
    .createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
      const url = req.url ?? "/";
      if (url === "/health") return send(res, 200, '{"status":"ok"}');
      // The Core's paths, so both servers get byte-identical requests: …/items?… lists, …/items/<id> reads.
      const q = url.indexOf("?");
      const path = q < 0 ? url : url.slice(0, q);
      const isList = path.endsWith("/items");
      answer(isList ? cfg.listStatement : cfg.getStatement, isList ? [] : [path.slice(path.lastIndexOf("/") + 1)]).then(
        (json) => (json === null ? send(res, 404, '{"error":"record not found"}') : send(res, 200, json)),
        (err: unknown) => send(res, 500, JSON.stringify({ error: String(err) })),
      );
    })
    .listen(Number(process.env.PORT ?? 0), "127.0.0.1");
}

// A clean exit on SIGTERM, so `node --cpu-prof` writes the profile when the suite stops this server.
process.on("SIGTERM", () => process.exit(0));
