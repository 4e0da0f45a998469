import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { quoteIdent } from "../apps/model.ts";
import { CoreError } from "../errors.ts";
import { closeMigrationRole, connectAs, openMigrationRole } from "./migration-role.ts";

/**
 * One deploy's hold on its app: a session advisory lock on `hashtextextended('{schema}.schema_migrations', 0)`
 * (spec §2.5), on a connection of its own, held from the migrations to the swap of the files, so two deploys of
 * one app never interleave. Migrations run on the same connection.
 */
export interface DeployLock {
  client: pg.PoolClient;
  release(): Promise<void>;
}

/** `key`: `{schema}.schema_migrations` for backend deploys, `{schema}.frontend` for frontend uploads. */
export async function lockDeploys(pool: pg.Pool, key: string): Promise<DeployLock> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [key]);
  } catch (err) {
    client.release(err as Error);
    throw err;
  }
  return {
    client,
    async release() {
      try {
        await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]);
        client.release();
      } catch (err) {
        // A connection that cannot unlock is closed: the session lock goes with it.
        client.release(err as Error);
      }
    },
  };
}

/** The `migrations/*.sql` files of an extracted deployment, in lexicographic (byte) order. */
export async function migrationFiles(root: string): Promise<string[]> {
  const dir = path.join(root, "migrations");
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT" || err.code === "ENOTDIR") return [];
    throw err;
  });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".sql"))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** PostgreSQL's refusal to alter a table the migration role does not own, said in the deploy's own terms. */
function explain(err: unknown): string {
  const message = (err as Error).message;
  if ((err as { code?: string }).code === "42501" && /^must be owner of /.test(message)) {
    return `${message} (migrations run as the app's own database role: they may create and change their own tables, functions and indexes, and read and write the app's entity tables, but the entity tables belong to the Core and change only through the manifest, POST /apps)`;
  }
  return message;
}

/**
 * Applies the files of `root/migrations` not yet recorded in `"{app}".schema_migrations`, each in its own
 * transaction, on a connection of the app's migration role (migration-role.ts), never the Core's: whatever the
 * archive's SQL tries, it has that role's rights. `core` is the deploy lock's connection (the Core's own role): it
 * creates the bookkeeping table and opens and closes the role. The app's schema comes first on the search path.
 * A failing file rolls back alone and stops the deploy with its name and PostgreSQL's message; the files before it
 * stay applied.
 */
export async function applyMigrations(core: pg.PoolClient, databaseUrl: string, appId: string, root: string): Promise<string[]> {
  const files = await migrationFiles(root);
  if (files.length === 0) return [];
  const schema = quoteIdent(appId);
  await core.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  const done = new Set((await core.query<{ name: string }>(`SELECT name FROM ${schema}.schema_migrations`)).rows.map((r) => r.name));
  const pending = files.filter((name) => !done.has(name));
  if (pending.length === 0) return [];
  const login = await openMigrationRole(core, databaseUrl, appId);
  const applied: string[] = [];
  try {
    const client = await connectAs(login);
    try {
      for (const name of pending) {
        const text = await readFile(path.join(root, "migrations", name), "utf8");
        try {
          await client.query("BEGIN");
          await client.query(`SET LOCAL search_path TO ${schema}, public`);
          // Simple protocol (no parameters): a migration file may hold several statements.
          await client.query(text);
          await client.query(`INSERT INTO ${schema}.schema_migrations (name) VALUES ($1)`, [name]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw new CoreError("BAD_REQUEST", `migration ${name} failed: ${explain(err)}; the deploy was stopped and the previous deployment is still in place`, { cause: err });
        }
        applied.push(name);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    await closeMigrationRole(core, login.role);
  }
  return applied;
}
