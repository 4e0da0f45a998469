import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../src/server/auth/principal.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

let core: TestCore;
let owner: pg.Client;
let admin: Session;
let writer: Session;

const write = (n: number) =>
  core.core.governed.run({ userId: writer.userId, email: writer.email, sessionId: undefined, displayName: null, createdAt: new Date() } satisfies Principal, {}, async (c) => {
    for (let i = 0; i < n; i++) await c.query("INSERT INTO inv.items (name) VALUES ($1)", [`item ${i}`]);
  });

beforeAll(async () => {
  core = await startTestCore();
  owner = new pg.Client({ connectionString: core.database.url });
  await owner.connect();
  await owner.query(`CREATE SCHEMA inv; CREATE TABLE inv.items (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text);
    SELECT rootcx_system.govern_table('inv.items', 'inv', 'items');`);
  admin = await signUpAndIn(core, "admin@audit.test");
  writer = await signUpAndIn(core, "writer@audit.test");
  await api(core, "POST", "/api/v1/roles", { name: "inv_writer", permissions: ["app:inv:*"] }, admin.accessToken);
  await api(core, "POST", "/api/v1/roles/assign", { userId: writer.userId, role: "inv_writer" }, admin.accessToken);
});
afterAll(async () => {
  await owner?.end();
  await core?.dispose();
});

/**
 * Runs `npm run audit:verify`'s script in a child process without blocking: the Core runs on this test's event loop,
 * and a loop held up (spawnSync) past the server's keep-alive timeout makes the next request race the server closing
 * its idle connection (ECONNRESET; nodejs/node#54293).
 */
function verifyScript(): Promise<{ status: number | null; out: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/audit-verify.ts"], {
    env: { ...process.env, DATABASE_URL: core.database.url, ROOTCX_DATA_DIR: core.dataDir, LOG_LEVEL: "warn" },
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, out }));
  });
}

describe("verification and retention", () => {
  it("reports an intact chain over REST and from npm run audit:verify", async () => {
    await write(5);
    // Registration, the role and its assignment are audited too.
    const total = (await owner.query("SELECT count(*)::int AS n FROM rootcx_system.audit_log")).rows[0].n as number;
    expect(total).toBeGreaterThanOrEqual(5);
    const r = await api(core, "GET", "/api/v1/audit/verify", undefined, admin.accessToken);
    expect(r.body).toEqual({ ok: true, checked: total });
    expect(await api(core, "GET", "/api/v1/audit/verify", undefined, writer.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: admin:audit.read" } });
    const script = await verifyScript();
    expect(script.status).toBe(0);
    expect(JSON.parse(script.out.trim().split("\n").pop()!)).toEqual({ ok: true, checked: total });
  });

  it("archives old rows to a file, moves the anchor, records itself, and stays verifiable", async () => {
    expect(await api(core, "POST", "/api/v1/audit/archive", { before: new Date().toISOString() }, writer.accessToken)).toMatchObject({ status: 403, body: { error: "admin role required" } });
    expect(await api(core, "POST", "/api/v1/audit/archive", { before: "last tuesday" }, admin.accessToken)).toMatchObject({ status: 400, body: { error: "before: before must be an ISO 8601 date-time" } });

    const total = (await owner.query("SELECT count(*)::int AS n FROM rootcx_system.audit_log")).rows[0].n as number;
    const r = await api(core, "POST", "/api/v1/audit/archive", { before: new Date(Date.now() + 1000).toISOString() }, admin.accessToken);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ removed: total, archive_file: expect.stringMatching(/^audit-\d+-\d+\.jsonl$/) });
    const file = path.join(core.dataDir, "audit-archive", r.body.archive_file);
    expect(existsSync(file)).toBe(true);
    const archived = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(archived).toHaveLength(total);

    const { rows } = await owner.query("SELECT operation, new_record, table_name FROM rootcx_system.audit_log ORDER BY id");
    expect(rows).toEqual([{ operation: "ARCHIVE", table_name: "audit_log", new_record: expect.objectContaining({ removed: total, requested_by: admin.userId }) }]);
    await write(3);
    expect((await api(core, "GET", "/api/v1/audit/verify", undefined, admin.accessToken)).body).toEqual({ ok: true, checked: 4 });
    expect((await verifyScript()).status).toBe(0);

    // Nothing left to archive: a no-op.
    expect((await api(core, "POST", "/api/v1/audit/archive", { before: "2000-01-01T00:00:00Z" }, admin.accessToken)).body).toMatchObject({ removed: 0 });
  });

  it("makes npm run audit:verify fail after forced tampering", async () => {
    await owner.query("BEGIN; SET LOCAL session_replication_role = replica");
    await owner.query("UPDATE rootcx_system.audit_log SET record_id = 'forged' WHERE id = (SELECT max(id) FROM rootcx_system.audit_log)");
    await owner.query("COMMIT");
    const script = await verifyScript();
    expect(script.status).toBe(1);
    expect(script.out).toMatch(/"ok":false/);
    expect(script.out).toMatch(/content altered/);
  });
});
