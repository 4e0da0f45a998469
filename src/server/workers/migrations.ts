import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { quoteIdent } from "../apps/model.ts";
import { CoreError } from "../errors.ts";
import { closeMigrationRole, connectAs, openMigrationRole } from "./migration-role.ts";

/** Ends every session of the migration role (a migration past its time limit that disabled its own timeout). */
function terminateSessions(core: pg.PoolClient, role: string) {
  return core.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", [role]);
}

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

/** The deploy's limit on one migration file, in milliseconds (ROOTCX_MIGRATION_TIMEOUT_SECONDS). */
export const DEFAULT_MIGRATION_TIMEOUT_MS = 300_000;

/** PostgreSQL's refusal to alter a table the migration role does not own, said in the deploy's own terms. */
function explain(err: unknown, timedOut: boolean, timeoutMs: number): string {
  const message = (err as Error).message;
  if (timedOut || (err as { code?: string }).code === "57014") {
    return `it ran longer than the migration time limit of ${timeoutMs / 1000} s (ROOTCX_MIGRATION_TIMEOUT_SECONDS) and was cancelled (${message})`;
  }
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
 * stay applied. Each file has `timeoutMs`: a migration that sleeps forever would otherwise hold the app's deploy
 * lock and keep the role able to log in.
 */
export async function applyMigrations(
  core: pg.PoolClient,
  databaseUrl: string,
  appId: string,
  root: string,
  timeoutMs = DEFAULT_MIGRATION_TIMEOUT_MS,
): Promise<string[]> {
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
      await client.query(`SET statement_timeout = ${timeoutMs}; SET idle_in_transaction_session_timeout = ${timeoutMs}`);
      for (const name of pending) {
        const text = await readFile(path.join(root, "migrations", name), "utf8");
        // The file may SET statement_timeout = 0 itself: past the limit (and a grace) its session is ended from outside.
        let timedOut = false;
        const watchdog = setTimeout(() => {
          timedOut = true;
          void terminateSessions(core, login.role).catch(() => undefined);
        }, timeoutMs + 1000);
        try {
          await client.query("BEGIN");
          await client.query(`SET LOCAL search_path TO ${schema}, public`);
          // Simple protocol (no parameters): a migration file may hold several statements.
          await client.query(text);
          await client.query(`INSERT INTO ${schema}.schema_migrations (name) VALUES ($1)`, [name]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw new CoreError("BAD_REQUEST", `migration ${name} failed: ${explain(err, timedOut, timeoutMs)}; the deploy was stopped and the previous deployment is still in place`, {
            cause: err,
          });
        } finally {
          clearTimeout(watchdog);
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
