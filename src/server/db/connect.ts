import pg from "pg";
import type { Logger } from "pino";

export const MIN_SERVER_VERSION_NUM = 150000;

/** The database cannot be used; the message is meant for the operator and never holds the password. */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
}

export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "the configured database";
  }
}

/**
 * Opens the Core's connection pool and checks, once, that PostgreSQL answers and is 15 or newer.
 * Pool errors on idle clients (the server restarting, say) are logged instead of crashing the process.
 */
export async function openPool(url: string, log: Logger, max = 20): Promise<{ pool: pg.Pool; serverVersion: string }> {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: "rootcx-core",
  });
  pool.on("error", (err) => log.warn({ err: err.message }, "idle database connection failed"));
  try {
    const { rows } = await pool.query<{ v: string; version: string; superuser: boolean; role: string }>(
      `SELECT current_setting('server_version_num') AS v, current_setting('server_version') AS version,
              (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser, current_user AS role`,
    );
    const num = Number(rows[0]?.v);
    if (num < MIN_SERVER_VERSION_NUM) {
      throw new DatabaseUnavailableError(
        `PostgreSQL ${rows[0]?.version} at ${describeUrl(url)} is too old: the Core needs PostgreSQL 15 or newer`,
      );
    }
    // The governance migrations create roles and revoke set_config from PUBLIC (a pg_catalog function),
    // which only a superuser may do; better to say so now than fail half-way through a migration.
    if (!rows[0]?.superuser) {
      throw new DatabaseUnavailableError(
        `the database role "${rows[0]?.role}" at ${describeUrl(url)} is not a superuser: the Core needs one (it creates its executor role and locks down set_config)`,
      );
    }
    return { pool, serverVersion: rows[0]?.version ?? "unknown" };
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof DatabaseUnavailableError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new DatabaseUnavailableError(
      `cannot reach PostgreSQL at ${describeUrl(url)}: ${e.code ? `${e.code} ` : ""}${e.message.replace(url, "<DATABASE_URL>")}`,
    );
  }
}
