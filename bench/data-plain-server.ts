// The issue's two hand-written handlers (issue 19): node:http + pg against a copy of the bench table whose
// row-level-security policy reads a plain setting (no MAC), through the same gateway login and role switch
// as the Core. `statements` picks the transaction's shape:
// - "4": BEGIN, set_config + role switch, the parameterised SELECT (extended protocol), COMMIT — four round trips;
// - "1": the same transaction as one simple-protocol multi-statement query, values escaped as literals.
// Both answer PostgreSQL's JSON text, as the Core does. No routing, authentication or permission lookup.
import http from "node:http";
import pg from "pg";

export interface PlainServerConfig {
  gatewayUrl: string;
  uid: string;
  statements: "4" | "1";
  poolSize: number;
  /** The schema-qualified copy of the bench table, under the plain-setting policy. */
  table: string;
  executorRole: string;
}

const config = JSON.parse(process.env.BENCH_PLAIN ?? "null") as PlainServerConfig | null;
if (config) serve(config);

/** The Core's own statements (data/service.ts): a record as JSON text, a page as a JSON array. */
export const getSql = (table: string, id: string) => `SELECT to_json(r)::text AS json FROM ${table} r WHERE r.id = ${id}::uuid`;
export const listSql = (table: string, status: string | null) =>
  `SELECT coalesce(json_agg(x), '[]')::text AS json FROM (SELECT * FROM ${table}${status === null ? "" : ` WHERE "status" = ${status}::text`} ORDER BY "created_at" DESC, id ASC LIMIT 50) x`;

function serve(cfg: PlainServerConfig): void {
  const pool = new pg.Pool({ connectionString: cfg.gatewayUrl, max: cfg.poolSize });
  const prelude = (uid: string) => `SELECT set_config('bench.uid', ${uid}, true), set_config('role', '${cfg.executorRole}', true)`;
  const send = (res: http.ServerResponse, status: number, body: string) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };

  async function fourStatements(sql: string, params: string[]): Promise<string | null> {
    const client = await pool.connect();
    let failed: Error | undefined;
    try {
      await client.query("BEGIN");
      await client.query(prelude("$1"), [cfg.uid]);
      const { rows } = await client.query<{ json: string | null }>(sql, params);
      await client.query("COMMIT");
      return rows[0]?.json ?? null;
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      client.release(failed);
    }
  }

  async function oneStatement(sql: string): Promise<string | null> {
    const client = await pool.connect();
    let failed: Error | undefined;
    try {
      const results = (await client.query(`BEGIN; ${prelude(client.escapeLiteral(cfg.uid))}; ${sql}; COMMIT`)) as unknown as pg.QueryResult<{ json: string | null }>[];
      return results[2]!.rows[0]?.json ?? null;
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      client.release(failed);
    }
  }

  function answer(path: string, query: URLSearchParams): Promise<string | null> {
    const isList = path.endsWith("/items");
    const value = isList ? query.get("status") : path.slice(path.lastIndexOf("/") + 1);
    if (cfg.statements === "4") {
      return isList ? fourStatements(listSql(cfg.table, value === null ? null : "$1"), value === null ? [] : [value]) : fourStatements(getSql(cfg.table, "$1"), [value!]);
    }
    const literal = value === null ? null : pg.escapeLiteral(value);
    return oneStatement(isList ? listSql(cfg.table, literal) : getSql(cfg.table, literal!));
  }

  http
    .createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname === "/health") return send(res, 200, '{"status":"ok"}');
      answer(url.pathname, url.searchParams).then(
        (json) => (json === null ? send(res, 404, '{"error":"record not found"}') : send(res, 200, json)),
        (err: unknown) => send(res, 500, JSON.stringify({ error: String(err) })),
      );
    })
    .listen(Number(process.env.PORT ?? 0), "127.0.0.1");
}

// A clean exit on SIGTERM, so `node --cpu-prof` writes the profile when the suite stops this server.
process.on("SIGTERM", () => process.exit(0));
