import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appDir } from "../src/server/workers/app-files.ts";
import { principalOf } from "../src/server/workers/identity.ts";
import { migrationRoleName } from "../src/server/workers/migration-role.ts";
import { installApp, upload } from "./deploy-helpers.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { filesTarGz } from "./tar-builder.ts";

/**
 * Deploy migrations are the archive's SQL: they must run with the app's own migration role, never the Core's
 * superuser. Each attack below is a migration an `admin:apps.deploy` holder could ship.
 */

let core: TestCore;
let admin: Session;
let user: Session;
let database: string;
let superuser: string;

const backend = (version: string, extra: Record<string, string> = {}) =>
  filesTarGz({ "index.ts": `declare const serve: (h: unknown) => void;\nserve({ rpc: { version: () => ${JSON.stringify(version)} } });\n`, ...extra });
const deploy = (appId: string, archive: Buffer) => upload(core, `/api/v1/apps/${appId}/deploy`, archive, admin.accessToken);
const q = async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => (await core.core.db.pool.query<T>(text, params)).rows;
const rpcVersion = async (appId: string) => (await api(core, "POST", `/api/v1/apps/${appId}/rpc`, { method: "version" }, admin.accessToken)).body;
const proof = `/tmp/rootcx-copy-program-${process.pid}`;

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@migrations.test");
  user = await signUpAndIn(core, "user@migrations.test");
  const [who] = await q<{ database: string; superuser: string }>("SELECT current_database() AS database, current_user AS superuser");
  ({ database, superuser } = who!);
  await installApp(core, "victim", admin.accessToken);
  await installApp(core, "other", admin.accessToken);
  await q("INSERT INTO other.note (body) VALUES ('other app row')");
  expect((await deploy("victim", backend("v1"))).status).toBe(200);
}, 60_000);
afterAll(async () => core?.dispose());

describe("a migration runs as the app's migration role, not the Core's superuser", () => {
  const attacks: Array<[string, string, string]> = [
    ["assigns itself admin", "INSERT INTO rootcx_system.rbac_assignments (user_id, role) SELECT id, 'admin' FROM rootcx_system.users;", "permission denied for schema rootcx_system"],
    ["runs a program through COPY", `COPY (SELECT 1) TO PROGRAM 'id > ${proof}';`, "permission denied to COPY to or from an external program"],
    ["reads the Core's users", "CREATE TABLE loot AS SELECT email, password_hash FROM rootcx_system.users;", "permission denied for schema rootcx_system"],
    ["writes another app's table", "INSERT INTO other.note (body) VALUES ('planted');", "permission denied for schema other"],
    ["climbs back with RESET ROLE / SET ROLE", "RESET ROLE; SET ROLE %SUPERUSER%; INSERT INTO rootcx_system.rbac_assignments (user_id, role) SELECT id, 'admin' FROM rootcx_system.users;", 'permission denied to set role "%SUPERUSER%"'],
    ["makes itself superuser", "ALTER ROLE CURRENT_USER SUPERUSER;", "permission denied to alter role"],
    ["creates an extension", "CREATE EXTENSION IF NOT EXISTS pgcrypto;", 'permission denied to create extension "pgcrypto"'],
    ["creates in the public schema", "CREATE TABLE public.planted (id int);", "permission denied for schema public"],
    ["reads a server file", "SELECT pg_read_file('/etc/passwd');", "permission denied for function pg_read_file"],
  ];

  for (const [what, sql, reason] of attacks) {
    it(`refuses a migration that ${what}, with PostgreSQL's reason, and changes nothing`, async () => {
      const before = await q("SELECT user_id::text, role FROM rootcx_system.rbac_assignments ORDER BY 1, 2");
      const text = sql.replaceAll("%SUPERUSER%", superuser);
      const res = await deploy("victim", backend("attack", { "migrations/001_attack.sql": text }));
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      const expected = reason.replaceAll("%SUPERUSER%", superuser);
      expect(res.body.error).toMatch(new RegExp(`^migration 001_attack\\.sql failed: ${expected.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
      expect(res.body.error).toMatch(/; the deploy was stopped and the previous deployment is still in place$/);
      expect(await q("SELECT user_id::text, role FROM rootcx_system.rbac_assignments ORDER BY 1, 2")).toEqual(before);
      expect(await q("SELECT role FROM rootcx_system.rbac_assignments WHERE user_id = $1 AND role = 'admin'", [user.userId])).toEqual([]);
      expect(await q("SELECT body FROM other.note")).toEqual([{ body: "other app row" }]);
      expect(await q("SELECT count(*)::int AS n FROM victim.schema_migrations")).toEqual([{ n: 0 }]);
      expect(await q("SELECT to_regclass('public.planted') AS t, to_regclass('victim.loot') AS l")).toEqual([{ t: null, l: null }]);
      expect(existsSync(proof)).toBe(false);
      expect(readFileSync(path.join(appDir(core.dataDir, "victim"), "index.ts"), "utf8")).toContain('"v1"');
      expect(await rpcVersion("victim")).toBe("v1");
      // The role is no superuser, and logs in only while a deploy runs.
      const [role] = await q<{ rolsuper: boolean; rolcanlogin: boolean; rolcreatedb: boolean; rolcreaterole: boolean }>(
        "SELECT rolsuper, rolcanlogin, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = $1",
        [migrationRoleName(database, "victim")],
      );
      expect(role).toEqual({ rolsuper: false, rolcanlogin: false, rolcreatedb: false, rolcreaterole: false });
    });
  }

  it("explains that the manifest's tables change through the manifest when a migration alters one", async () => {
    const res = await deploy("victim", backend("alter", { "migrations/001_alter.sql": "ALTER TABLE note ADD COLUMN extra text;" }));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(
      "migration 001_alter.sql failed: must be owner of table note (migrations run as the app's own database role: they may create and change their own tables, functions and indexes, and read and write the app's entity tables, but the entity tables belong to the Core and change only through the manifest, POST /apps); the deploy was stopped and the previous deployment is still in place",
    );
    expect(await q("SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'victim' AND table_name = 'note' AND column_name = 'extra'")).toEqual([{ n: 0 }]);
  });

  it("still runs a normal migration: its own table, index and function, seed rows in an entity table, audited", async () => {
    const migrations = {
      "migrations/001_tables.sql": "CREATE TABLE tag (id serial PRIMARY KEY, label text NOT NULL);\nCREATE INDEX tag_label_idx ON tag (label);",
      "migrations/002_function.sql": "CREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(t) $$;\nINSERT INTO tag (label) VALUES (shout('first'));",
      "migrations/003_seed.sql": "INSERT INTO note (body) VALUES ('seeded one'), ('seeded two');\nUPDATE note SET body = body || '!' WHERE body = 'seeded two';",
    };
    const res = await deploy("victim", backend("v2", migrations));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ message: "app victim deployed", migrationsApplied: ["001_tables.sql", "002_function.sql", "003_seed.sql"] });
    expect(await q("SELECT label FROM victim.tag")).toEqual([{ label: "FIRST" }]);
    expect(await q("SELECT indexname FROM pg_indexes WHERE schemaname = 'victim' AND tablename = 'tag' ORDER BY 1")).toEqual([{ indexname: "tag_label_idx" }, { indexname: "tag_pkey" }]);
    expect(await q("SELECT body FROM victim.note ORDER BY body")).toEqual([{ body: "seeded one" }, { body: "seeded two!" }]);
    // The entity table's audit trigger saw the seed rows, as it sees any write.
    const audited = await q<{ operation: string }>("SELECT operation FROM rootcx_system.audit_log WHERE table_schema = 'victim' AND table_name = 'note' ORDER BY id");
    expect(audited.map((r) => r.operation)).toEqual(["INSERT", "INSERT", "UPDATE"]);
    expect((await q("SELECT count(*)::int AS n FROM rootcx_system.audit_log WHERE operation = 'app.deploy' AND record_id = 'victim'"))[0]!.n).toBeGreaterThanOrEqual(2);
    // The tables it made are the role's, not the Core's.
    expect(await q("SELECT tableowner FROM pg_tables WHERE schemaname = 'victim' AND tablename = 'tag'")).toEqual([{ tableowner: migrationRoleName(database, "victim") }]);
    expect(await rpcVersion("victim")).toBe("v2");
  });

  it("a table a migration makes can be shared with the app's own workers only, by a policy on the app's keys (the documented pattern)", async () => {
    const migrations = {
      "migrations/010_shared.sql": [
        "CREATE TABLE app_config (k text PRIMARY KEY, v text);",
        "INSERT INTO app_config VALUES ('greeting', 'hello');",
        "ALTER TABLE app_config ENABLE ROW LEVEL SECURITY; ALTER TABLE app_config FORCE ROW LEVEL SECURITY;",
        // plpgsql resolves the Core's check_access when it runs, as the executor, which may call it.
        "CREATE FUNCTION app_can(k text) RETURNS boolean LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN rootcx_system.check_access(k); END $$;",
        "CREATE POLICY app_config_read ON app_config FOR SELECT USING ((SELECT app_can('app:victim:invoke')));",
        "GRANT SELECT ON app_config TO rootcx_app_executor;",
      ].join("\n"),
    };
    const res = await deploy("victim", backend("v-shared", migrations));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const read = (who: Session | null) =>
      core.core.governed.run(who ? principalOf({ kind: "user", userId: who.userId, email: who.email }) : null, { searchPath: "victim" }, async (c) => (await c.query("SELECT v FROM app_config")).rows);
    expect(await read(admin)).toEqual([{ v: "hello" }]);
    expect(await read(user)).toEqual([]);
    expect(await read(null)).toEqual([]);
  });

  it("a password a migration gives its own role is of no use after the deploy: the role cannot log in", async () => {
    const res = await deploy("victim", backend("v2", { "migrations/003b_password.sql": "ALTER ROLE CURRENT_USER PASSWORD 'known-by-the-archive';" }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const url = new URL(core.database.url);
    url.username = migrationRoleName(database, "victim");
    url.password = "known-by-the-archive";
    const client = new pg.Client({ connectionString: url.toString() });
    await expect(client.connect()).rejects.toThrow(/password authentication failed|is not permitted to log in/);
    await client.end().catch(() => undefined);
  });

  it("a later entity table the manifest adds is writable by the next deploy's migrations", async () => {
    const manifest = { appId: "victim", name: "App victim", version: "1.1.0", dataContract: [
      { entityName: "note", fields: [{ name: "body", type: "text" }] },
      { entityName: "label", fields: [{ name: "name", type: "text" }] },
    ] };
    const install = await api(core, "POST", "/api/v1/apps", manifest, admin.accessToken);
    expect(install.status, JSON.stringify(install.body)).toBe(200);
    const res = await deploy("victim", backend("v3", { "migrations/004_label.sql": "INSERT INTO label (name) VALUES ('seeded');" }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await q("SELECT name FROM victim.label")).toEqual([{ name: "seeded" }]);
  });

  it("uninstall drops the app's migration role", async () => {
    const role = migrationRoleName(database, "victim");
    expect(await q("SELECT rolname FROM pg_roles WHERE rolname = $1", [role])).toHaveLength(1);
    expect((await api(core, "DELETE", "/api/v1/apps/victim", undefined, admin.accessToken)).status).toBe(200);
    expect(await q("SELECT rolname FROM pg_roles WHERE rolname = $1", [role])).toEqual([]);
    // An app that never ran a migration has no role to drop.
    expect((await api(core, "DELETE", "/api/v1/apps/other", undefined, admin.accessToken)).status).toBe(200);
  });
});

describe("the entry point rule", () => {
  beforeAll(async () => {
    await installApp(core, "nested", admin.accessToken);
    expect((await deploy("nested", backend("live"))).status).toBe(200);
  });

  it("refuses an archive whose entry point is one folder down, naming it and the command that makes it right", async () => {
    const res = await deploy("nested", filesTarGz({ "myapp/index.ts": "serve({ rpc: {} });\n", "myapp/package.json": "{}" }));
    expect(res).toMatchObject({
      status: 400,
      body: { error: "no entry point at the archive's root (index.ts, index.js, main.ts, main.js, src/index.ts, src/index.js); it holds myapp/index.ts — archive the folder's contents: tar czf app.tgz -C myapp ." },
    });
    expect(await rpcVersion("nested")).toBe("live");
  });

  it("refuses an archive whose entry point is two folders down, naming the path found", async () => {
    const res = await deploy("nested", filesTarGz({ "a/b/index.ts": "serve({ rpc: {} });\n", "a/README.md": "x" }));
    expect(res).toMatchObject({
      status: 400,
      body: { error: "no entry point at the archive's root (index.ts, index.js, main.ts, main.js, src/index.ts, src/index.js); it holds a/b/index.ts — archive the folder's contents: tar czf app.tgz -C a/b ." },
    });
    expect(await rpcVersion("nested")).toBe("live");
  });

  it("refuses an archive with no entry point and no migrations, naming the accepted entry points", async () => {
    const res = await deploy("nested", filesTarGz({ "README.md": "hello", "lib/util.ts": "export {};\n" }));
    expect(res).toMatchObject({
      status: 400,
      body: { error: "the archive holds no backend entry point at its root (one of index.ts, index.js, main.ts, main.js, src/index.ts, src/index.js) and no migrations/*.sql: nothing to deploy" },
    });
    expect(await rpcVersion("nested")).toBe("live");
  });

  it("deploys a migrations-only archive and says it has no backend", async () => {
    const res = await deploy("nested", filesTarGz({ "migrations/001.sql": "CREATE TABLE kv (k text PRIMARY KEY);" }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      message: "app nested deployed without a backend: the archive has migrations and no entry point, so no worker runs",
      migrationsApplied: ["001.sql"],
    });
  });
});
