// The data suite's baseline: the least a server can do to answer a governed Data API read. It takes the
// transaction text the Core sent (captured from PostgreSQL by bench/data.ts, with the claims and the id as
// holes), signs claims per request with the Core's own sign() for the pooled backend, and returns
// PostgreSQL's JSON text. Same gateway login and pool size as the Core's governed pool; no routing,
// authentication, permission lookup or manifest resolution.
import http from "node:http";
import pg from "pg";
import { GovernedExecutor } from "../src/server/governance/executor.ts";
import { createLogger } from "../src/server/log.ts";

export interface DataServerConfig {
  gatewayUrl: string;
  claimsKey: string;
  uid: string;
  perms: string;
  /** Transaction text with the holes CLAIMS_HOLE and ID_HOLE. */
  getTemplate: string;
  listTemplate: string;
  poolSize: number;
}

export const CLAIMS_HOLE = "{{claims}}";
export const ID_HOLE = "{{id}}";

const config = JSON.parse(process.env.BENCH_DATA ?? "null") as DataServerConfig | null;
if (config) serve(config);

function serve(cfg: DataServerConfig): void {
  const pool = new pg.Pool({ connectionString: cfg.gatewayUrl, max: cfg.poolSize });
  // Only sign() is used; the executor's own pool is never connected.
  const signer = new GovernedExecutor({ gatewayUrl: cfg.gatewayUrl, claimsKeyHex: cfg.claimsKey, log: createLogger("warn"), permissionsOf: async () => [] });
  const send = (res: http.ServerResponse, status: number, body: string) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };

  async function answer(template: string, id: string | undefined): Promise<string | null> {
    const client = await pool.connect();
    let failed: Error | undefined;
    try {
      const pid = (client as unknown as { processID: number }).processID;
      const claims = signer.sign({ uid: cfg.uid, delegated: false, actor: cfg.uid, delegator: "", trigger: "api", pid, exp: Math.floor(Date.now() / 1000) + 300, perms: cfg.perms }).claims;
      let text = template.replace(CLAIMS_HOLE, client.escapeLiteral(claims));
      if (id !== undefined) text = text.replace(ID_HOLE, client.escapeLiteral(id));
      const results = (await client.query(text)) as unknown as pg.QueryResult<{ json: string | null }>[];
      return results[results.length - 1]!.rows[0]?.json ?? null;
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      client.release(failed);
    }
  }

  http
    .createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
      const url = req.url ?? "/";
      if (url === "/health") return send(res, 200, '{"status":"ok"}');
      // The Core's paths, so both servers get byte-identical requests: …/items?… lists, …/items/<id> reads.
      const q = url.indexOf("?");
      const path = q < 0 ? url : url.slice(0, q);
      const isList = path.endsWith("/items");
      answer(isList ? cfg.listTemplate : cfg.getTemplate, isList ? undefined : path.slice(path.lastIndexOf("/") + 1)).then(
        (json) => (json === null ? send(res, 404, '{"error":"record not found"}') : send(res, 200, json)),
        (err: unknown) => send(res, 500, JSON.stringify({ error: String(err) })),
      );
    })
    .listen(Number(process.env.PORT ?? 0), "127.0.0.1");
}

// A clean exit on SIGTERM, so `node --cpu-prof` writes the profile when the suite stops this server.
process.on("SIGTERM", () => process.exit(0));
