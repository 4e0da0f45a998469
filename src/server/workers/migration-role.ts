import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { quoteIdent } from "../apps/model.ts";
import type { Queryable } from "../db/queryable.ts";

/**
 * Deploy migrations are the archive's SQL: they run on a connection whose *session* user is the app's own
 * migration role, never the Core's superuser (a `SET ROLE` from the superuser could be undone by the file's own
 * `RESET ROLE`). The role may create in the app's schema and read or write its existing tables, and nothing else:
 * no `rootcx_system`, no other app's schema, no CREATE on the database (so no extension, no schema), no COPY to a
 * program, no superuser attribute. It logs in only while a deploy runs, with a password made for that deploy.
 */

/**
 * Roles are shared by every database of the cluster (several Cores, the test databases), so the name hashes the
 * database with the app id: `rootcx_deploy_` and 24 hex digits, far below PostgreSQL's 63.
 */
export function migrationRoleName(database: string, appId: string): string {
  return `rootcx_deploy_${createHash("sha256").update(`${database}\0${appId}`).digest("hex").slice(0, 24)}`;
}

/**
 * Privileges on tables the role does not own: data only. Not TRIGGER (a trigger function of the role's on an entity
 * table would run as the Core's superuser whenever the Core writes that table), not TRUNCATE (row triggers, hence
 * the audit log, never see it), not MAINTAIN.
 */
const TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE, REFERENCES";

export interface MigrationLogin {
  role: string;
  /** The database URL with the role's name and this deploy's password. */
  url: string;
}

async function currentDatabase(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ db: string }>("SELECT current_database() AS db");
  return rows[0]!.db;
}

/**
 * Creates or refreshes the app's migration role (as the Core, a superuser) and opens its login for one deploy:
 * its attributes are set again each time, so nothing a previous migration changed on itself survives.
 */
export async function openMigrationRole(core: Queryable, databaseUrl: string, appId: string): Promise<MigrationLogin> {
  const database = await currentDatabase(core);
  const role = migrationRoleName(database, appId);
  const password = randomBytes(32).toString("hex");
  const r = quoteIdent(role);
  const schema = quoteIdent(appId);
  const exists = (await core.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rowCount;
  if (!exists) await core.query(`CREATE ROLE ${r}`);
  await core.query(`ALTER ROLE ${r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT BYPASSRLS CONNECTION LIMIT 2 PASSWORD '${password}'`);
  // Settings a previous migration may have attached to the role (ALTER ROLE … SET) go.
  await core.query(`ALTER ROLE ${r} RESET ALL`);
  await core.query(
    [
      `GRANT CONNECT ON DATABASE ${quoteIdent(database)} TO ${r}`,
      `GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${r}`,
      `GRANT ${TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA ${schema} TO ${r}`,
      `GRANT ALL ON ALL SEQUENCES IN SCHEMA ${schema} TO ${r}`,
      // Entity tables a later manifest install adds are the Core's: the role gets the same data privileges on them.
      `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT ${TABLE_PRIVILEGES} ON TABLES TO ${r}`,
      `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT ALL ON SEQUENCES TO ${r}`,
    ].join("; "),
  );
  const url = new URL(databaseUrl);
  url.username = encodeURIComponent(role);
  url.password = encodeURIComponent(password);
  return { role, url: url.toString() };
}

/**
 * Closes the role's login after the deploy: NOLOGIN and no password (a migration may have set one it knows), and
 * any session it still has is ended.
 */
export async function closeMigrationRole(core: Queryable, role: string): Promise<void> {
  const r = quoteIdent(role);
  await core.query(`ALTER ROLE ${r} NOLOGIN PASSWORD NULL`);
  await core.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()", [role]);
}

/** A connection whose session user is the migration role. */
export async function connectAs(login: MigrationLogin): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: login.url, application_name: "rootcx-deploy-migrations" });
  // A backend that goes away between statements must not crash the Core through an unhandled 'error'.
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/**
 * Uninstall: after the schema is dropped (which takes the role's tables and default privileges with it), what the
 * role still owns or holds in this database goes, then the role. Nothing when the app never ran a migration.
 */
export async function dropMigrationRole(core: Queryable, appId: string): Promise<void> {
  const role = migrationRoleName(await currentDatabase(core), appId);
  if (!(await core.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rowCount) return;
  const r = quoteIdent(role);
  await core.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", [role]);
  await core.query(`DROP OWNED BY ${r}`);
  await core.query(`DROP ROLE ${r}`);
}
