import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

// What the SQL console's role (rootcx_db_reader) can reach that the Core itself coordinates with: advisory
// locks, notifications, other backends, settings. Each is tried as a console user and must be refused.
let core: TestCore;
let admin: Session;

const call = (method: string, path: string, body?: unknown) => api(core, method, `/api/v1${path}`, body, admin.accessToken);
const query = (sql: string) => call("POST", "/db/query", { sql });
const owner = <R extends Record<string, unknown>>(sql: string, params: unknown[] = []) => core.core.db.pool.query<R>(sql, params);
/** The chain's lock, taken by rootcx_system.audit_append (migration 0004). */
const AUDIT_LOCK = 7367617;

async function refused(sql: string, reason: RegExp): Promise<void> {
  const r = await query(sql);
  expect({ sql, status: r.status }).toEqual({ sql, status: 400 });
  expect(r.body.error).toMatch(reason);
}

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@console-isolation.test");
  const app = await call("POST", "/apps", { appId: "iso_app", name: "Iso", dataContract: [{ entityName: "note", fields: [{ name: "body", type: "text" }] }] });
  expect(app.status).toBe(200);
});
afterAll(async () => {
  await core?.dispose();
});

describe("advisory locks", () => {
  it("refuses every advisory-lock function, transaction and session level, exclusive and shared", async () => {
    const calls = [
      `pg_advisory_xact_lock(${AUDIT_LOCK})`,
      `pg_advisory_xact_lock_shared(${AUDIT_LOCK})`,
      `pg_try_advisory_xact_lock(${AUDIT_LOCK})`,
      `pg_try_advisory_xact_lock_shared(${AUDIT_LOCK})`,
      `pg_advisory_lock(${AUDIT_LOCK})`,
      `pg_advisory_lock_shared(${AUDIT_LOCK})`,
      `pg_try_advisory_lock(${AUDIT_LOCK})`,
      `pg_try_advisory_lock_shared(${AUDIT_LOCK})`,
      "pg_advisory_xact_lock(1, 2)",
      "pg_advisory_lock(1, 2)",
      "pg_advisory_unlock(1)",
      "pg_advisory_unlock_shared(1)",
      "pg_advisory_unlock_all()",
    ];
    for (const fn of calls) {
      const name = fn.slice(0, fn.indexOf("("));
      await refused(`SELECT ${fn}, pg_sleep(2)`, new RegExp(`^permission denied for function ${name}$`));
    }
    // Through EXPLAIN ANALYZE (which runs the statement) and a CTE, the same.
    await refused(`EXPLAIN ANALYZE SELECT pg_advisory_xact_lock(${AUDIT_LOCK})`, /^permission denied for function pg_advisory_xact_lock$/);
    await refused(`WITH l AS (SELECT pg_advisory_xact_lock(${AUDIT_LOCK})) SELECT * FROM l`, /^permission denied for function pg_advisory_xact_lock$/);
  });

  it("leaves audited writes running, as the executor (Data API) and as the Core (roles), with the chain intact", async () => {
    const before = (await owner<{ id: string }>("SELECT coalesce(max(id), 0)::text AS id FROM rootcx_system.audit_log")).rows[0]!.id;
    const created = await call("POST", "/apps/iso_app/collections/note", { body: "after the refusals" });
    expect(created.status).toBe(201);
    expect((await call("POST", "/roles", { name: "iso_role", permissions: [] })).status).toBe(200);
    const rows = await owner<{ table_name: string; operation: string }>(
      "SELECT table_name, operation FROM rootcx_system.audit_log WHERE id > $1::bigint AND table_name IN ('note', 'rbac_roles') ORDER BY id",
      [before],
    );
    expect(rows.rows).toEqual([{ table_name: "note", operation: "INSERT" }, { table_name: "rbac_roles", operation: "INSERT" }]);
    const verify = await call("GET", "/audit/verify");
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true });
    // The Core's own advisory locks still work (first-user bootstrap lock, say): a registration goes through.
    await signUpAndIn(core, "second@console-isolation.test");
  });
});

describe("notifications", () => {
  it("refuses pg_notify on the Core's channels and any other", async () => {
    for (const channel of ["rootcx_auth", "rootcx_rbac", "rootcx_apps", "anything"]) {
      await refused(`SELECT pg_notify('${channel}', 'user:x')`, /^permission denied for function pg_notify$/);
    }
  });

  it("refuses NOTIFY and LISTEN, which are not read statements", async () => {
    for (const sql of ["NOTIFY rootcx_rbac", "LISTEN rootcx_auth", "UNLISTEN *"]) {
      await refused(sql, /^the console is read-only: (NOTIFY|LISTEN|UNLISTEN) statements are refused$/);
    }
  });
});

describe("other sessions and settings", () => {
  it("cannot cancel or terminate any backend: the Core's, the governed gateway's, or its own", async () => {
    const gateway = await owner<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE usename LIKE 'rootcx_gw_%' LIMIT 1");
    const core_ = await owner<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    const pids = [core_.rows[0]!.pid, ...(gateway.rows[0] ? [gateway.rows[0].pid] : [])];
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) {
      await refused(`SELECT pg_cancel_backend(${pid})`, /^permission denied for function pg_cancel_backend$/);
      await refused(`SELECT pg_terminate_backend(${pid})`, /^permission denied for function pg_terminate_backend$/);
    }
    await refused("SELECT pg_terminate_backend(pg_backend_pid())", /^permission denied for function pg_terminate_backend$/);
  });

  it("sees no other session's query text (literals can be secrets)", async () => {
    // A Core session with a recognisable statement in flight.
    const marker = "console_isolation_marker_41";
    const held = core.core.db.pool.query(`SELECT pg_sleep(1.5), '${marker}'`);
    await new Promise((r) => setTimeout(r, 300));
    const r = await query(
      "SELECT count(*)::int AS others, count(*) FILTER (WHERE query <> '<insufficient privilege>')::int AS visible FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND usename IS NOT NULL",
    );
    await held;
    expect(r.status).toBe(200);
    const [others, visible] = r.body.rows[0] as [number, number];
    expect(others).toBeGreaterThan(0);
    expect(visible).toBe(0);
    const text = await query(`SELECT count(*)::int FROM pg_stat_activity WHERE query LIKE '%${marker}%' AND pid <> pg_backend_pid()`);
    expect(text.body.rows).toEqual([[0]]);
  });

  it("cannot set settings (claims, role, search path) and reads no claims left by governed requests", async () => {
    expect((await call("GET", "/apps/iso_app/collections/note")).status).toBe(200);
    await refused("SELECT set_config('rootcx.claims', '{}', true)", /^permission denied for function set_config$/);
    await refused("SELECT set_config('role', 'postgres', true)", /^permission denied for function set_config$/);
    const claims = await query("SELECT coalesce(current_setting('rootcx.claims', true), '') AS claims, current_user AS who");
    expect(claims.status).toBe(200);
    expect(claims.body.rows).toEqual([["", "rootcx_db_reader"]]);
  });

  it("has no server-file, large-object or remote-connection escape", async () => {
    await refused("SELECT lo_import('/etc/passwd')", /^permission denied for function lo_import$/);
    await refused("SELECT lo_export(0, '/tmp/x')", /^permission denied for function lo_export$/);
    await refused("SELECT pg_read_file('/etc/passwd')", /^permission denied for function pg_read_file$/);
    await refused("SELECT pg_ls_dir('.')", /^permission denied for function pg_ls_dir$/);
    await refused("SELECT dblink('dbname=postgres', 'SELECT 1')", /^function dblink\(unknown, unknown\) does not exist$/);
    await refused("SELECT lo_create(0)", /read-only|permission denied/);
  });
});
