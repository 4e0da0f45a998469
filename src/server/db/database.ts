import type pg from "pg";
import type { Logger } from "pino";
import { openPool } from "./connect.ts";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "./embedded.ts";
import { migrate } from "./migrate.ts";
import { createSystemPrisma, type SystemPrisma } from "./prisma.ts";

export interface DatabaseInfo {
  embedded: boolean;
  host: string;
  port: number;
  /** The embedded cluster's directory; undefined for an external database. */
  dataDir: string | undefined;
  serverVersion: string;
}

export interface Database {
  pool: pg.Pool;
  /** The connection URL (with its password): for the few dedicated connections, never for logs. */
  url: string;
  prisma: SystemPrisma;
  info: DatabaseInfo;
  close(): Promise<void>;
}

/** Connects to DATABASE_URL, or starts the embedded cluster when it is unset, then brings the system schema up to date. */
export async function openDatabase(opts: { databaseUrl: string | undefined; dataDir: string }, log: Logger): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  if (!opts.databaseUrl) embedded = await startEmbeddedDatabase(opts.dataDir, log);
  const url = opts.databaseUrl ?? embedded!.url;
  try {
    const { pool, serverVersion } = await openPool(url, log);
    await migrate(pool, log);
    const prisma = createSystemPrisma(pool);
    const u = new URL(url);
    return {
      pool,
      url,
      prisma,
      info: { embedded: !!embedded, host: u.hostname, port: Number(u.port || 5432), dataDir: embedded?.dataDir, serverVersion },
      async close() {
        await prisma.$disconnect().catch(() => undefined);
        await pool.end().catch(() => undefined);
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}
