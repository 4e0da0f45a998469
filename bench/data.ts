import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type autocannon from "autocannon";
import pg from "pg";
import { freePort, startEmbeddedDatabase } from "../src/server/db/embedded.ts";
import { createLogger } from "../src/server/log.ts";
import { CLAIMS_HOLE, ID_HOLE, type DataServerConfig } from "./data-server.ts";
import type { PlainServerConfig } from "./data-plain-server.ts";
import { startPg15 } from "./data-pg15.ts";
import { CONNECTIONS, DURATION_S, mean, measure, median, removeOnFailure, ROUNDS, startProcess, type Row, type Sample, type ServerProcess, loadRun } from "./lib.ts";

const ROWS = 100_000;
/** The Core's governed pool size (GovernedExecutor's default): the baselines get as many connections. */
const POOL = 20;
const LIST_QUERY = "limit=50&sort=created_at&order=desc";
/** A list of 50 with an equality filter (a third of the rows match; the created_at index orders them). */
const FILTER_QUERY = "status=active&limit=50&sort=created_at&order=desc";
/** The heavy user's keys besides the read key: 50 roles of 10 keys each, named to sort before app:bench:*. */
const HEAVY_ROLES = 50;
const KEYS_PER_ROLE = 10;
const READ_KEY = "app:bench:items.read";
const PGBENCH = "/usr/bin/pgbench";
const run = promisify(execFile);

/**
 * Record ids are generated from their row number (the last group is 100000000000 + n, decimal digits being
 * hex digits too), so pgbench, which cannot pick from a list, reads the same random rows as autocannon.
 */
const idOf = (n: number) => `00000000-0000-4000-8000-${100_000_000_000 + n}`;
const randomId = () => idOf(1 + Math.floor(Math.random() * ROWS));

/** One entity with the manifest's usual mix of types (every entity gets a created_at index, so the list sorts by index). */
const DATA_MANIFEST = {
  appId: "bench",
  name: "Bench",
  dataContract: [
    {
      entityName: "items",
      fields: [
        { name: "name", type: "text", required: true },
        { name: "email", type: "text" },
        { name: "score", type: "number" },
        { name: "active", type: "boolean" },
        { name: "born", type: "date" },
        { name: "seen_at", type: "timestamp" },
        { name: "tags", type: "[text]" },
        { name: "meta", type: "json" },
        { name: "status", type: "text", enum_values: ["new", "active", "archived"] },
      ],
    },
  ],
};

const FIELD_MIX = [
  { name: "title", type: "text", required: true },
  { name: "amount", type: "number" },
  { name: "done", type: "boolean" },
  { name: "due", type: "date" },
  { name: "happened_at", type: "timestamp" },
  { name: "labels", type: "[text]" },
  { name: "details", type: "json" },
  { name: "stage", type: "text", enum_values: ["open", "won", "lost"], default_value: "open" },
];

/** 20 entities of 8 mixed fields; every fourth one links to the previous entity (an indexed foreign key). */
function installManifest(appId: string) {
  return {
    appId,
    name: `Install ${appId}`,
    dataContract: Array.from({ length: 20 }, (_, i) => ({
      entityName: `entity_${i}`,
      fields: i % 4 === 1 ? [...FIELD_MIX.slice(0, 7), { name: "parent", type: "entity_link", references: { entity: `entity_${i - 1}` }, on_delete: "cascade" }] : FIELD_MIX,
    })),
  };
}

async function api(base: string, method: string, route: string, body: unknown, token?: string): Promise<unknown> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/**
 * The statement the Core sent for one request, read back from pg_stat_activity (the last statement of the
 * gateway backend that served it: the prelude travels before it, as a prepared statement of its own). Its
 * parameters are $n placeholders, never literals.
 */
async function captureStatement(su: pg.Pool, gatewayRole: string, marker: string): Promise<string> {
  const { rows } = await su.query<{ query: string }>("SELECT DISTINCT query FROM pg_stat_activity WHERE usename = $1 AND strpos(query, $2) > 0", [gatewayRole, marker]);
  if (rows.length !== 1) throw new Error(`expected one statement text with ${marker} on the gateway's backends, found ${rows.length}`);
  return rows[0]!.query;
}

/** The Core's prelude (GovernedExecutor) and statement as one simple-protocol text, for pgbench. */
const transactionTemplate = (statement: string) =>
  `SELECT set_config('rootcx.claims', ${CLAIMS_HOLE}, true), set_config('statement_timeout', '8000', true), set_config('role', 'rootcx_app_executor', true); ${statement.replace("$1", ID_HOLE)}`;

/**
 * The Core's transaction as a pgbench script (simple protocol: pgbench cannot pipeline two statements in one
 * implicit transaction). Claims must name the backend's pid and expire within 300 s
 * (verified_claims, migration 0004), so a fixed string would be rejected and every row hidden by RLS. Each
 * client therefore gets claims for its own backend once, from bench_support.sign_claims() (the Core's HMAC
 * computed in SQL with its key), and reuses them: the per-transaction text is the Core's, byte for byte; only
 * the client-side HMAC the Core computes per request is not repeated. `\;` keeps the prelude and the
 * statement in one simple-protocol message, hence one implicit transaction, as runOne's one Sync does. With `verify`, the
 * statement is wrapped to divide by zero when it returns nothing, which fails the run.
 */
function pgbenchScript(template: string, withId: boolean, verify = false): string {
  let sql = template.replace(CLAIMS_HOLE, "':claims'");
  if (withId) sql = sql.replace(ID_HOLE, "'00000000-0000-4000-8000-:n'");
  if (verify) {
    const cut = sql.indexOf(";"); // the end of the prelude (the claims hole holds no semicolon)
    sql = `${sql.slice(0, cut)}; SELECT 1 / count(*) FILTER (WHERE v.json IS NOT NULL AND v.json <> '[]') FROM (${sql.slice(cut + 1).trim()}) v`;
  }
  return [
    "\\if :signed = 0",
    "SELECT bench_support.sign_claims() AS claims, 1 AS signed \\gset",
    "\\endif",
    `\\set n random(${100_000_000_001}, ${100_000_000_000 + ROWS})`,
    `${sql.replace(/;/g, "\\;")};`,
    "",
  ].join("\n");
}

/**
 * pgbench as the gateway, one connection per client, for `limit` (["-T", seconds] or ["-t", transactions]):
 * transactions per second, after checking that every transaction ran and none failed.
 */
async function pgbench(script: string, db: URL, gateway: { role: string; password: string }, limit: string[]): Promise<number> {
  const { stdout } = await run(
    PGBENCH,
    // signed=0: every client signs claims for its own backend in its first transaction (see pgbenchScript).
    ["-n", "-M", "simple", "-c", String(POOL), "-j", "2", ...limit, "-D", "signed=0", "-f", script, "-h", db.hostname, "-p", db.port, "-U", gateway.role, db.pathname.slice(1)],
    { env: { ...process.env, PGPASSWORD: gateway.password } },
  );
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
  const processed = /actually processed: (\d+)(?:\/(\d+))?/.exec(stdout);
  const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
  if (!Number.isFinite(tps) || !processed || failed > 0 || (processed[2] !== undefined && processed[1] !== processed[2])) throw new Error(`pgbench failed: ${stdout}`);
  return tps;
}

/**
 * The Data API on an entity of 100k rows: governed GET by id and list of 50 through the Core, against a
 * minimal node:http + pg server and pgbench running the same transaction text; list p99 at 70% of the Core's
 * peak; install and no-op re-sync time of a 20-entity manifest.
 */
export async function dataBench(): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-bench-data-"));
  // The bench owns the cluster (the Core gets DATABASE_URL) so it can load rows and run pgbench as the gateway.
  const db = await removeOnFailure(dataDir, process.env.BENCH_PG === "15" ? startPg15(dataDir) : startEmbeddedDatabase(dataDir, createLogger("warn")));
  const su = new pg.Pool({ connectionString: db.url, max: 2 });
  let core: ServerProcess | undefined;
  let minimal: ServerProcess | undefined;
  let plain4: ServerProcess | undefined;
  let plain1: ServerProcess | undefined;
  try {
    // The Core, API only (no Studio renderer competing for the two cores).
    // BENCH_PROFILE=<dir>: the Core writes a V8 CPU profile of the whole suite there when it stops (bench/data-profile.ts reads it).
    const nodeFlags = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}`] : [];
    // The Core runs with the young generation `npm start` and the Dockerfile give it (README, Benchmarks);
    // BENCH_CORE_NODE_FLAGS replaces that with other node/V8 flags (the tail investigation compared GC settings so).
    nodeFlags.push(...(process.env.BENCH_CORE_NODE_FLAGS ?? "--max-semi-space-size=64").split(" ").filter(Boolean));
    core = await startProcess([...nodeFlags, "--import", "tsx", "bench/data-core-server.ts"], { ROOTCX_DATA_DIR: dataDir, DATABASE_URL: db.url }, await freePort());
    // After each load run on the Core: its event-loop delay, GC pauses and governed-pool waits since the last one.
    const readings = async (label: string) => {
      console.error(`data ${label}:`);
      core!.child.kill("SIGUSR2");
      await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const credentials = { email: "admin@bench.local", password: "Bench-Password-2026" };
    await api(core.url, "POST", "/api/v1/auth/register", credentials);
    const { accessToken: token } = (await api(core.url, "POST", "/api/v1/auth/login", credentials)) as { accessToken: string };
    await api(core.url, "POST", "/api/v1/apps", DATA_MANIFEST, token);
    // The measured callers hold only the read key (as in the issue), or that key and 500 others.
    await su.query(`INSERT INTO rootcx_system.rbac_roles (name, permissions) VALUES ('bench_reader', ARRAY[${pg.escapeLiteral(READ_KEY)}]);
      INSERT INTO rootcx_system.rbac_roles (name, permissions)
      SELECT 'bench_heavy_' || r, ARRAY(SELECT 'app:a' || r || ':entity' || k || '.read' FROM generate_series(1, ${KEYS_PER_ROLE}) k) FROM generate_series(1, ${HEAVY_ROLES}) r;`);
    const signIn = async (email: string, roles: string[]) => {
      const creds = { email, password: credentials.password };
      await api(core!.url, "POST", "/api/v1/auth/register", creds);
      const out = (await api(core!.url, "POST", "/api/v1/auth/login", creds)) as { accessToken: string; user: { id: string } };
      await su.query("INSERT INTO rootcx_system.rbac_assignments (user_id, role) SELECT $1, unnest($2::text[])", [out.user.id, roles]);
      return out;
    };
    const reader = await signIn("reader@bench.local", ["bench_reader"]);
    const heavy = await signIn("heavy@bench.local", ["bench_reader", ...Array.from({ length: HEAVY_ROLES }, (_, r) => `bench_heavy_${r + 1}`)]);

    // As the superuser: the audit trigger is skipped for the load (session_replication_role) since it
    // records writes, which this suite does not measure; reads see the same table either way.
    await su.query(`SET session_replication_role = replica;
      INSERT INTO bench.items (id, created_at, updated_at, name, email, score, active, born, seen_at, tags, meta, status)
      SELECT ('00000000-0000-4000-8000-' || (100000000000 + g))::uuid, now() - g * interval '1 second', now() - g * interval '1 second',
             'Item ' || g, 'user' || g || '@example.com', (g * 7919 % 100000) / 100.0, g % 3 = 0, date '1970-01-01' + g % 20000,
             now() - g * interval '1 minute', ARRAY['t' || g % 10, 't' || g % 7], jsonb_build_object('n', g, 'k', 'v' || g % 100),
             (ARRAY['new', 'active', 'archived'])[1 + g % 3]
        FROM generate_series(1, ${ROWS}) g;
      RESET session_replication_role;`);
    // VACUUM as well as ANALYZE: hint bits and the visibility map are set now, rather than by autovacuum and
    // the first readers during the first measured round.
    // The hand-written handlers' copy: same rows and indexes, a policy that reads a plain setting.
    await su.query(`CREATE SCHEMA bench_plain;
      CREATE TABLE bench_plain.items (LIKE bench.items INCLUDING ALL);
      INSERT INTO bench_plain.items SELECT * FROM bench.items;
      ALTER TABLE bench_plain.items ENABLE ROW LEVEL SECURITY;
      ALTER TABLE bench_plain.items FORCE ROW LEVEL SECURITY;
      CREATE POLICY plain_read ON bench_plain.items FOR SELECT USING ((SELECT current_setting('bench.uid', true) <> ''));
      GRANT USAGE ON SCHEMA bench_plain TO rootcx_app_executor;
      GRANT SELECT ON bench_plain.items TO rootcx_app_executor;`);
    await su.query("VACUUM (ANALYZE) bench.items");
    await su.query("VACUUM (ANALYZE) bench_plain.items");

    const { rows: cfgRows } = await su.query<{ gateway: { role: string; password: string }; key: string }>(
      "SELECT (SELECT value FROM rootcx_system.config WHERE key = 'governance.gateway') AS gateway, (SELECT key FROM rootcx_system.claims_key) AS key",
    );
    const { gateway, key } = cfgRows[0]!;
    const gatewayUrl = new URL(db.url);
    gatewayUrl.username = encodeURIComponent(gateway.role);
    gatewayUrl.password = encodeURIComponent(gateway.password);

    const auth = { authorization: `Bearer ${reader.accessToken}` };
    const heavyAuth = { authorization: `Bearer ${heavy.accessToken}` };
    const base = "/api/v1/apps/bench/collections/items";
    const sampleId = idOf(4242);
    const coreGet = await fetch(`${core.url}${base}/${sampleId}`, { headers: auth }).then((r) => r.text());
    const getStatement = await captureStatement(su, gateway.role, "r.id = $1");
    const coreList = await fetch(`${core.url}${base}?${LIST_QUERY}`, { headers: auth }).then((r) => r.text());
    const listStatement = await captureStatement(su, gateway.role, "LIMIT 50");
    const get = { template: transactionTemplate(getStatement) };
    const list = { template: transactionTemplate(listStatement) };
    const perms = READ_KEY;

    const cfg: DataServerConfig = { gatewayUrl: gatewayUrl.toString(), claimsKey: key, uid: reader.user.id, perms: [perms], getStatement, listStatement, poolSize: POOL };
    minimal = await startProcess(["--import", "tsx", "bench/data-server.ts"], { BENCH_DATA: JSON.stringify(cfg) }, await freePort());
    // Same SQL, same rows: the baseline must answer byte for byte what the Core answers.
    if ((await fetch(`${minimal.url}${base}/${sampleId}`).then((r) => r.text())) !== coreGet || !coreGet.includes(sampleId)) throw new Error("the minimal server's GET differs from the Core's");
    const minimalList = await fetch(`${minimal.url}${base}?${LIST_QUERY}`).then((r) => r.text());
    if (minimalList !== coreList || (JSON.parse(coreList) as unknown[]).length !== 50) throw new Error("the minimal server's list differs from the Core's");
    const plainCfg = (statements: "4" | "1"): PlainServerConfig => ({ gatewayUrl: gatewayUrl.toString(), uid: reader.user.id, statements, poolSize: POOL, table: "bench_plain.items", executorRole: "rootcx_app_executor" });
    plain4 = await startProcess(["--import", "tsx", "bench/data-plain-server.ts"], { BENCH_PLAIN: JSON.stringify(plainCfg("4")) }, await freePort());
    plain1 = await startProcess(["--import", "tsx", "bench/data-plain-server.ts"], { BENCH_PLAIN: JSON.stringify(plainCfg("1")) }, await freePort());
    // Same rows, same JSON: the hand-written handlers must answer what the Core answers.
    const coreFilter = await fetch(`${core.url}${base}?${FILTER_QUERY}`, { headers: auth }).then((r) => r.text());
    if ((JSON.parse(coreFilter) as unknown[]).length !== 50) throw new Error("the Core's filtered list does not hold 50 rows");
    if ((await fetch(`${core.url}${base}/${sampleId}`, { headers: heavyAuth }).then((r) => r.text())) !== coreGet) throw new Error("the 500-key user reads another answer");
    for (const handler of [plain4, plain1]) {
      if ((await fetch(`${handler.url}${base}/${sampleId}`).then((r) => r.text())) !== coreGet) throw new Error("a hand-written handler's GET differs from the Core's");
      if ((await fetch(`${handler.url}${base}?${FILTER_QUERY}`).then((r) => r.text())) !== coreFilter) throw new Error("a hand-written handler's filtered list differs from the Core's");
    }

    // pgbench's claims, signed in SQL exactly as GovernedExecutor.sign does (payload uid|0|uid||api|pid|exp|digest
    // of the keys; the Core stored the reader's set when it served the reader above).
    await su.query(`CREATE SCHEMA bench_support;
      CREATE FUNCTION bench_support.sign_claims() RETURNS text LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$
        SELECT encode(sha256(k.opad || sha256(k.ipad || convert_to(p.payload, 'UTF8'))), 'hex') || '.' || p.payload
          FROM rootcx_system.claims_key k,
               (SELECT concat_ws('|', ${pg.escapeLiteral(reader.user.id)}, '0', ${pg.escapeLiteral(reader.user.id)}, '', 'api', pg_backend_pid()::text,
                                 (extract(epoch FROM clock_timestamp())::bigint + 300)::text, encode(sha256(convert_to(${pg.escapeLiteral(perms)}, 'UTF8')), 'hex')) AS payload) p
      $$;
      GRANT USAGE ON SCHEMA bench_support TO ${pg.escapeIdentifier(gateway.role)};
      GRANT EXECUTE ON FUNCTION bench_support.sign_claims() TO ${pg.escapeIdentifier(gateway.role)};`);
    const getScript = path.join(dataDir, "get.sql");
    const listScript = path.join(dataDir, "list.sql");
    writeFileSync(getScript, pgbenchScript(get.template, true));
    writeFileSync(listScript, pgbenchScript(list.template, false));
    // pgbench's claims must pass verified_claims, or it would time reads that RLS empties: a short run of
    // each script that fails on any empty answer.
    for (const [name, withId, template] of [["get", true, get.template], ["list", false, list.template]] as const) {
      const verify = path.join(dataDir, `verify-${name}.sql`);
      writeFileSync(verify, pgbenchScript(template, withId, true));
      await pgbench(verify, gatewayUrl, gateway, ["-t", "20"]);
    }

    // Both servers get the same requests (the minimal one ignores the token).
    const getOpts = (url: string, headers = auth): autocannon.Options => ({ url, headers, requests: [{ setupRequest: (req) => ({ ...req, path: `${base}/${randomId()}` }) }] });
    const listOpts = (url: string): autocannon.Options => ({ url: `${url}${base}?${LIST_QUERY}`, headers: auth });
    const filterOpts = (url: string): autocannon.Options => ({ url: `${url}${base}?${FILTER_QUERY}`, headers: auth });
    // This machine drifts by tens of percent between runs: each round measures the three back to back and
    // the ratios reported are the medians of the rounds' ratios.
    const m = {
      coreGet: [] as Sample[], minGet: [] as Sample[], plain4Get: [] as Sample[], plain1Get: [] as Sample[], heavyGet: [] as Sample[], pgGet: [] as number[],
      coreList: [] as Sample[], minList: [] as Sample[], pgList: [] as number[], coreFilter: [] as Sample[], plain1Filter: [] as Sample[],
    };
    for (let r = 0; r < ROUNDS; r++) {
      m.minGet.push(await measure(minimal, getOpts(minimal.url)));
      m.plain4Get.push(await measure(plain4, getOpts(plain4.url)));
      m.coreGet.push(await measure(core, getOpts(core.url)));
      await readings(`round ${r + 1} core GET`);
      m.plain1Get.push(await measure(plain1, getOpts(plain1.url)));
      m.heavyGet.push(await measure(core, getOpts(core.url, heavyAuth)));
      await readings(`round ${r + 1} core GET, 501 keys`);
      m.pgGet.push(await pgbench(getScript, gatewayUrl, gateway, ["-T", String(DURATION_S)]));
      m.minList.push(await measure(minimal, listOpts(minimal.url)));
      m.coreList.push(await measure(core, listOpts(core.url)));
      m.pgList.push(await pgbench(listScript, gatewayUrl, gateway, ["-T", String(DURATION_S)]));
      m.coreFilter.push(await measure(core, filterOpts(core.url)));
      await readings(`round ${r + 1} core filtered list`);
      m.plain1Filter.push(await measure(plain1, filterOpts(plain1.url)));
      const line = (name: string, xs: Sample[]) => `${name} ${xs[r]!.rps.toFixed(0)}/s ${xs[r]!.cpuUs.toFixed(0)}µs (sys ${xs[r]!.sysUs.toFixed(0)})`;
      console.error(`data round ${r + 1}: ${[line("core-get", m.coreGet), line("min-get", m.minGet), line("plain4-get", m.plain4Get), line("plain1-get", m.plain1Get), line("heavy-get", m.heavyGet)].join(", ")}, pgbench-get ${m.pgGet[r]!.toFixed(0)}`);
      console.error(`data round ${r + 1}: ${[line("core-list", m.coreList), line("min-list", m.minList), line("core-filter", m.coreFilter), line("plain1-filter", m.plain1Filter)].join(", ")}, pgbench-list ${m.pgList[r]!.toFixed(0)}`);
    }
    const rps = (xs: Sample[]) => xs.map((x) => x.rps);
    const cpu = (xs: Sample[]) => median(xs.map((x) => x.cpuUs));
    const sys = (xs: Sample[]) => median(xs.map((x) => x.sysUs)).toFixed(0);
    const ratio = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]!));
    // The minimal server at the same rate tells the Core's share of the tail from this machine's.
    const listRate = Math.round(median(rps(m.coreList)) * 0.7);
    const listP99 = (await loadRun({ ...listOpts(core.url), overallRate: listRate })).latency.p99;
    const minimalP99 = (await loadRun({ ...listOpts(minimal.url), overallRate: listRate })).latency.p99;
    // The tail goal: GET by id at 70% of the Core's peak, against the one-statement handler at that rate.
    const getRate = Math.round(median(rps(m.coreGet)) * 0.7);
    const tails: { core: number; plain: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const coreTail = (await loadRun({ ...getOpts(core.url), overallRate: getRate })).latency.p99;
      await readings(`tail round ${r + 1} core GET at ${getRate}/s`);
      const plainTail = (await loadRun({ ...getOpts(plain1.url), overallRate: getRate })).latency.p99;
      tails.push({ core: coreTail, plain: plainTail });
      console.error(`data tail round ${r + 1} at ${getRate}/s: core p99 ${coreTail} ms, plain1 p99 ${plainTail} ms`);
    }
    const tailRatios = tails.map((t) => t.core / Math.max(t.plain, 1));

    // Installs last: each adds an app:<id>:admin role to the admin, which would lengthen the claims above.
    const installs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const out = (await api(core.url, "POST", "/api/v1/apps", installManifest(`bench_install_${i}`), token)) as { changes: { change_type: string }[] };
      installs.push(performance.now() - started);
      if (out.changes.filter((c) => c.change_type === "create_table").length !== 20) throw new Error("the install did not create 20 tables");
    }
    const resyncs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const out = (await api(core.url, "POST", "/api/v1/apps", installManifest("bench_install_0"), token)) as { changes: unknown[] };
      resyncs.push(performance.now() - started);
      if (out.changes.length) throw new Error(`re-sync of an unchanged manifest applied ${out.changes.length} changes`);
    }

    const getVsMin = ratio(rps(m.coreGet), rps(m.minGet));
    const getVs4 = ratio(rps(m.coreGet), rps(m.plain4Get));
    const getVs1 = ratio(rps(m.coreGet), rps(m.plain1Get));
    const filterVs1 = ratio(rps(m.coreFilter), rps(m.plain1Filter));
    const heavyVsOne = ratio(rps(m.heavyGet), rps(m.coreGet));
    const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
    const ratios = (a: Sample[], b: Sample[]) => range(a.map((x, i) => x.rps / b[i]!.rps));
    const plainNote = (n: string) => `node:http + pg, plain-setting policy, ${n}, pool ${POOL}`;
    const listVsMin = ratio(rps(m.coreList), rps(m.minList));
    const conns = `${CONNECTIONS} conns, ${ROUNDS}×${DURATION_S}s`;
    const minimalNote = `the Core's executor and SQL without its REST layer, pool ${POOL}`;
    const pgbenchNote = `pgbench, ${POOL} clients, same SQL; claims signed once per connection`;
    return [
      { metric: `governed GET by id req/s (100k rows, random ids, ${conns})`, value: mean(rps(m.coreGet)).toFixed(0), baseline: `${mean(rps(m.minGet)).toFixed(0)} (${minimalNote})`, ratio: `${getVsMin.toFixed(2)}× (median of rounds)`, target: "≥ 0.80×", pass: getVsMin >= 0.8 },
      { metric: "governed GET by id vs the 4-statement handler", value: mean(rps(m.coreGet)).toFixed(0), baseline: `${mean(rps(m.plain4Get)).toFixed(0)} (${plainNote("4 round trips")})`, ratio: `${getVs4.toFixed(2)}× (rounds ${ratios(m.coreGet, m.plain4Get)})`, target: "≥ 1.5×", pass: getVs4 >= 1.5 },
      { metric: "governed GET by id vs the 1-statement handler", value: mean(rps(m.coreGet)).toFixed(0), baseline: `${mean(rps(m.plain1Get)).toFixed(0)} (${plainNote("one multi-statement query")})`, ratio: `${getVs1.toFixed(2)}× (rounds ${ratios(m.coreGet, m.plain1Get)})`, target: "≥ 0.90×", pass: getVs1 >= 0.9 },
      { metric: `GET by id as a user holding ${HEAVY_ROLES * KEYS_PER_ROLE + 1} keys`, value: mean(rps(m.heavyGet)).toFixed(0), baseline: `${mean(rps(m.coreGet)).toFixed(0)} (a user holding 1 key)`, ratio: `${heavyVsOne.toFixed(2)}× (rounds ${ratios(m.heavyGet, m.coreGet)})`, target: "≥ 0.80×", pass: heavyVsOne >= 0.8 },
      { metric: `GET by id p99 at 70% of the Core's peak (${getRate} req/s, ${ROUNDS} runs)`, value: tails.map((t) => `${t.core.toFixed(0)}`).join(" / ") + " ms", baseline: `${tails.map((t) => t.plain.toFixed(0)).join(" / ")} ms (1-statement handler, same rate)`, ratio: `${range(tailRatios)}×`, target: "≤ 1.5× in every run", pass: tailRatios.length > 0 && tailRatios.every((t) => t <= 1.5) },
      { metric: "governed GET by id: Core vs pgbench", value: mean(rps(m.coreGet)).toFixed(0), baseline: `${mean(m.pgGet).toFixed(0)} tps (${pgbenchNote})`, ratio: `${ratio(rps(m.coreGet), m.pgGet).toFixed(2)}×`, target: "reported", pass: true },
      { metric: "GET by id: server process CPU per request (median; system part)", value: `${cpu(m.coreGet).toFixed(0)} µs (${sys(m.coreGet)})`, baseline: `${cpu(m.minGet).toFixed(0)} µs (${sys(m.minGet)}) (minimal server)`, ratio: `${(cpu(m.coreGet) / cpu(m.minGet)).toFixed(2)}×`, target: "reported", pass: true },
      { metric: `governed list of 50 req/s (${LIST_QUERY}, ${conns})`, value: mean(rps(m.coreList)).toFixed(0), baseline: `${mean(rps(m.minList)).toFixed(0)} (${minimalNote})`, ratio: `${listVsMin.toFixed(2)}× (median of rounds)`, target: "≥ 0.80×", pass: listVsMin >= 0.8 },
      { metric: `governed list of 50 with a filter (${FILTER_QUERY})`, value: mean(rps(m.coreFilter)).toFixed(0), baseline: `${mean(rps(m.plain1Filter)).toFixed(0)} (${plainNote("one multi-statement query")})`, ratio: `${filterVs1.toFixed(2)}× (rounds ${ratios(m.coreFilter, m.plain1Filter)})`, target: "≥ 0.90×", pass: filterVs1 >= 0.9 },
      { metric: "governed list of 50: Core vs pgbench", value: mean(rps(m.coreList)).toFixed(0), baseline: `${mean(m.pgList).toFixed(0)} tps (${pgbenchNote})`, ratio: `${ratio(rps(m.coreList), m.pgList).toFixed(2)}×`, target: "reported", pass: true },
      { metric: "list of 50: server process CPU per request (median; system part)", value: `${cpu(m.coreList).toFixed(0)} µs (${sys(m.coreList)})`, baseline: `${cpu(m.minList).toFixed(0)} µs (${sys(m.minList)}) (minimal server)`, ratio: `${(cpu(m.coreList) / cpu(m.minList)).toFixed(2)}×`, target: "reported", pass: true },
      { metric: `list of 50 p99 at 70% of the Core's peak (${listRate} req/s)`, value: `${listP99.toFixed(1)} ms`, baseline: `${minimalP99.toFixed(1)} ms (minimal server, same rate)`, ratio: "", target: "< 50 ms", pass: listP99 < 50 },
      { metric: "install of a 20-entity manifest (median of 3)", value: `${(median(installs) / 1000).toFixed(2)} s`, baseline: "", ratio: "", target: "reported", pass: true },
      { metric: "re-sync of the unchanged manifest (median of 5)", value: `${median(resyncs).toFixed(0)} ms`, baseline: "", ratio: "", target: "reported", pass: true },
    ];
  } finally {
    await minimal?.stop();
    await plain4?.stop();
    await plain1?.stop();
    await core?.stop();
    await su.end();
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
