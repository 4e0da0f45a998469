import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { quoteIdent } from "../apps/model.ts";
import { CoreError } from "../errors.ts";

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

/**
 * Applies the files of `root/migrations` not yet recorded in `"{app}".schema_migrations`, each in its own
 * transaction as the database owner, with the app's schema first on the search path. A failing file rolls back
 * alone and stops the deploy with its name and PostgreSQL's message; the files before it stay applied.
 */
export async function applyMigrations(client: pg.PoolClient, appId: string, root: string): Promise<string[]> {
  const schema = quoteIdent(appId);
  await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  const done = new Set((await client.query<{ name: string }>(`SELECT name FROM ${schema}.schema_migrations`)).rows.map((r) => r.name));
  const applied: string[] = [];
  for (const name of await migrationFiles(root)) {
    if (done.has(name)) continue;
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
      const message = (err as Error).message;
      throw new CoreError("BAD_REQUEST", `migration ${name} failed: ${message}; the deploy was stopped and the previous deployment is still in place`, { cause: err });
    }
    applied.push(name);
  }
  return applied;
}
