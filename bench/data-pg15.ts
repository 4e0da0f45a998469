// BENCH_PG=15 runs the data suite on Debian's PostgreSQL 15 instead of the embedded 18 (issue 19 asks for both):
// a throwaway cluster in the suite's temporary directory, run as the `postgres` OS user (initdb refuses root),
// on a free port, local TCP trusted (the gateway's password is then not checked; nothing else listens).
import { execFile } from "node:child_process";
import { chmodSync, chownSync, mkdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "../src/server/db/embedded.ts";

const run = promisify(execFile);
const BIN = "/usr/lib/postgresql/15/bin";

export interface BenchCluster {
  url: string;
  stop(): Promise<void>;
}

export async function startPg15(dataDir: string): Promise<BenchCluster> {
  const dir = path.join(dataDir, "pg15");
  chmodSync(dataDir, 0o711); // the postgres user must reach its cluster inside the suite's directory
  mkdirSync(dir);
  const { stdout } = await run("id", ["-u", "postgres"]);
  const { stdout: gid } = await run("id", ["-g", "postgres"]);
  chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  const as = (cmd: string, args: string[]) => run("runuser", ["-u", "postgres", "--", path.join(BIN, cmd), ...args]);
  await as("initdb", ["-D", dir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"]);
  const port = await freePort();
  // The same memory the embedded cluster gets by default is not tuned either; shared_buffers as the reference runs.
  await as("pg_ctl", ["-D", dir, "-w", "-l", path.join(dir, "server.log"), "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_connections=200`, "start"]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => void (await as("pg_ctl", ["-D", dir, "-w", "-m", "fast", "stop"]).catch(() => undefined)),
  };
}
