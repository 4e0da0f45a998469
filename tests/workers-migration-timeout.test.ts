import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrationRoleName } from "../src/server/workers/migration-role.ts";
import { installApp, upload } from "./deploy-helpers.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { filesTarGz } from "./tar-builder.ts";

/**
 * A deploy migration has a time limit (ROOTCX_MIGRATION_TIMEOUT_SECONDS, 1 s here): a file that sleeps is cancelled,
 * the deploy answers 400 naming it, the app's deploy lock is free again and the migration role cannot log in.
 */

let core: TestCore;
let admin: Session;
let database: string;

const backend = (version: string, extra: Record<string, string> = {}) =>
  filesTarGz({ "index.ts": `declare const serve: (h: unknown) => void;\nserve({ rpc: { version: () => ${JSON.stringify(version)} } });\n`, ...extra });
const deploy = (archive: Buffer) => upload(core, "/api/v1/apps/slow/deploy", archive, admin.accessToken);
const canLogin = async () =>
  (await core.core.db.pool.query<{ rolcanlogin: boolean }>("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", [migrationRoleName(database, "slow")])).rows[0]
    ?.rolcanlogin;

beforeAll(async () => {
  core = await startTestCore({ env: { ROOTCX_MIGRATION_TIMEOUT_SECONDS: "1" } });
  admin = await signUpAndIn(core, "admin@migration-timeout.test");
  database = (await core.core.db.pool.query<{ db: string }>("SELECT current_database() AS db")).rows[0]!.db;
  await installApp(core, "slow", admin.accessToken);
  expect((await deploy(backend("v1"))).status).toBe(200);
}, 60_000);
afterAll(async () => core?.dispose());

describe("deploy migrations have a time limit", () => {
  for (const [what, sql] of [
    ["sleeps past the limit", "SELECT pg_sleep(30);"],
    ["turns its own statement timeout off, then sleeps", "SET statement_timeout = 0; SELECT pg_sleep(30);"],
  ] as const) {
    it(`cancels a migration that ${what}, naming the file; the lock is released and the role cannot log in`, async () => {
      const started = Date.now();
      const res = await deploy(backend("v2", { "migrations/001_first.sql": "CREATE TABLE IF NOT EXISTS quick (id int);", "migrations/002_slow.sql": sql }));
      const took = Date.now() - started;
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error).toMatch(/^migration 002_slow\.sql failed: it ran longer than the migration time limit of 1 s \(ROOTCX_MIGRATION_TIMEOUT_SECONDS\) and was cancelled/);
      expect(res.body.error).toMatch(/the previous deployment is still in place$/);
      expect(took).toBeLessThan(10_000);
      expect(await canLogin()).toBe(false);
      // The deploy lock is free: a deploy without the slow file goes through at once.
      const ok = await deploy(backend("v3"));
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect((await api(core, "POST", "/api/v1/apps/slow/rpc", { method: "version" }, admin.accessToken)).body).toBe("v3");
      expect(await canLogin()).toBe(false);
    }, 30_000);
  }
});
