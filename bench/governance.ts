import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Principal } from "../src/server/auth/principal.ts";
import { startCore } from "../src/server/boot.ts";
import { resolvePermissions } from "../src/server/governance/permissions.ts";
import { createLogger } from "../src/server/log.ts";
import { DURATION_S, opsPerSecond, removeOnFailure, type Row } from "./lib.ts";

const ROWS = 100_000;
const CONCURRENCY = 16;

/** Operations per second with CONCURRENCY callers, after a one-second warm-up. */
async function rate(op: () => Promise<unknown>, seconds: number): Promise<number> {
  await opsPerSecond(op, 1, CONCURRENCY);
  return opsPerSecond(op, seconds, CONCURRENCY);
}

async function perCall(op: () => Promise<unknown>, n: number): Promise<number> {
  for (let i = 0; i < 20; i++) await op();
  const started = performance.now();
  for (let i = 0; i < n; i++) await op();
  return (performance.now() - started) / n;
}

/**
 * The governed transaction against the same primary-key read without claims or role switch; permission
 * resolution for a user with 50 roles and 500 keys against one with a single role; and the audit trigger's
 * cost per write against the same insert into an unaudited table.
 */
export async function governanceBench(): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-bench-gov-"));
  const running = await removeOnFailure(dataDir, startCore({ studio: false, logger: createLogger("warn"), env: { ROOTCX_DATA_DIR: dataDir, PORT: "0" } }));
  const { pool } = running.core.db;
  const governed = running.core.governed;
  try {
    await pool.query(`CREATE SCHEMA bench;
      CREATE TABLE bench.items (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
      CREATE TABLE bench.plain_writes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
      CREATE TABLE bench.audited_writes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
      INSERT INTO bench.items (name) SELECT 'item ' || g FROM generate_series(1, ${ROWS}) g;
      ANALYZE bench.items;`);
    await pool.query("SELECT rootcx_system.govern_table('bench.items', 'bench', 'items'), rootcx_system.govern_table('bench.audited_writes', 'bench', 'audited_writes')");
    const ids = (await pool.query<{ id: string }>("SELECT id FROM bench.items")).rows.map((r) => r.id);
    const pick = () => ids[Math.floor(Math.random() * ids.length)]!;

    const mkUser = async (email: string, roles: { name: string; permissions: string[] }[]): Promise<Principal> => {
      const id = randomUUID();
      await pool.query("INSERT INTO rootcx_system.users (id, email) VALUES ($1, $2)", [id, email]);
      for (const r of roles) {
        await pool.query("INSERT INTO rootcx_system.rbac_roles (name, permissions) VALUES ($1, $2) ON CONFLICT DO NOTHING", [r.name, r.permissions]);
        await pool.query("INSERT INTO rootcx_system.rbac_assignments (user_id, role) VALUES ($1, $2)", [id, r.name]);
      }
      return { userId: id, email, sessionId: undefined, displayName: null, createdAt: new Date() };
    };
    const reader = await mkUser("reader@bench.local", [{ name: "bench_all", permissions: ["app:bench:*"] }]);
    const heavy = await mkUser(
      "heavy@bench.local",
      Array.from({ length: 50 }, (_, r) => ({ name: `heavy_${r}`, permissions: Array.from({ length: 10 }, (_, k) => `app:other${r}:entity${k}.read`) })),
    );
    await pool.query("INSERT INTO rootcx_system.rbac_assignments (user_id, role) VALUES ($1, 'bench_all')", [heavy.userId]);

    const sql = "SELECT id, name FROM bench.items WHERE id = $1";
    const plain = await rate(() => pool.query(sql, [pick()]), DURATION_S);
    const one = await rate(() => governed.runOne(reader, { readOnly: true }, sql, [pick()]), DURATION_S);
    const multi = await rate(() => governed.run(reader, { readOnly: true }, (c) => c.query(sql, [pick()])), DURATION_S);
    const heavyRead = await rate(() => governed.runOne(heavy, { readOnly: true }, sql, [pick()]), DURATION_S);

    const resolveLight = await perCall(() => resolvePermissions(pool, reader.userId), 500);
    const resolveHeavy = await perCall(() => resolvePermissions(pool, heavy.userId), 500);
    const heavyKeys = (await resolvePermissions(pool, heavy.userId)).permissions.length;

    let n = 0;
    const plainWrite = await perCall(() => pool.query("INSERT INTO bench.plain_writes (name) VALUES ($1)", [`w${n++}`]), 2000);
    const auditedWrite = await perCall(() => pool.query("INSERT INTO bench.audited_writes (name) VALUES ($1)", [`w${n++}`]), 2000);

    const ratio = one / plain;
    return [
      { metric: `governed PK read, 1 round trip (100k rows, ${CONCURRENCY} callers)`, value: `${one.toFixed(0)}/s`, baseline: `${plain.toFixed(0)}/s (same read, no claims or role)`, ratio: `${ratio.toFixed(2)}× (cost ${(1 / ratio).toFixed(2)}×)`, target: "cost ≤ 2×", pass: ratio >= 0.5 },
      { metric: "governed PK read, BEGIN/statement/COMMIT (run)", value: `${multi.toFixed(0)}/s`, baseline: `${plain.toFixed(0)}/s`, ratio: `${(multi / plain).toFixed(2)}×`, target: "reported", pass: true },
      { metric: "governed PK read as a user with 50 roles + admin-like role", value: `${heavyRead.toFixed(0)}/s`, baseline: `${one.toFixed(0)}/s (1 role)`, ratio: `${(heavyRead / one).toFixed(2)}×`, target: "reported", pass: true },
      { metric: `permission resolution, 51 roles / ${heavyKeys} keys`, value: `${resolveHeavy.toFixed(3)} ms`, baseline: `${resolveLight.toFixed(3)} ms (1 role)`, ratio: `${(resolveHeavy / resolveLight).toFixed(2)}×`, target: "reported", pass: true },
      { metric: "insert with audit row (hash-chained)", value: `${(auditedWrite * 1000).toFixed(0)} µs`, baseline: `${(plainWrite * 1000).toFixed(0)} µs (no trigger)`, ratio: `+${((auditedWrite - plainWrite) * 1000).toFixed(0)} µs/write`, target: "reported", pass: true },
    ];
  } finally {
    await running.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
