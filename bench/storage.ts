import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort, startEmbeddedDatabase } from "../src/server/db/embedded.ts";
import { createLogger } from "../src/server/log.ts";
import { cpuSeconds, median, removeOnFailure, ROUNDS, rssMb, startProcess, type Row, type ServerProcess } from "./lib.ts";

const MiB = 1024 * 1024;
const FILE_BYTES = 50 * MiB;
/** How often the Core's RSS is read during a transfer. */
const SAMPLE_MS = 10;

interface Transfer {
  seconds: number;
  /** The Core's highest RSS during the transfer, in MiB above its RSS just before it. */
  peakAboveIdleMb: number;
  /** CPU seconds the Core's process used for the transfer: on a shared machine, what wall time cannot show. */
  cpuS: number;
}

/** Runs `transfer` while reading the Core's RSS every SAMPLE_MS; the peak is taken over the whole transfer. */
async function measured(pid: number, transfer: () => Promise<void>): Promise<Transfer> {
  const idle = rssMb(pid);
  const cpuBefore = cpuSeconds(pid);
  let peak = idle;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, SAMPLE_MS);
  const started = performance.now();
  try {
    await transfer();
  } finally {
    clearInterval(timer);
  }
  const seconds = (performance.now() - started) / 1000;
  peak = Math.max(peak, rssMb(pid));
  return { seconds, peakAboveIdleMb: peak - idle, cpuS: cpuSeconds(pid) - cpuBefore };
}

async function json(res: Response, what: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function signIn(url: string): Promise<string> {
  const credentials = { email: "admin@bench.local", password: "Bench-Password-2026" };
  const post = (p: string) => fetch(`${url}${p}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(credentials) });
  await json(await post("/api/v1/auth/register"), "register");
  return (await json(await post("/api/v1/auth/login"), "login")).accessToken as string;
}

/** Reads a response body to its end without keeping it; answers the byte count. */
async function drain(res: Response): Promise<number> {
  if (!res.ok || !res.body) throw new Error(`download: ${res.status} ${await res.text()}`);
  const reader = res.body.getReader();
  let bytes = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.byteLength;
  return bytes;
}

const mibPerSecond = (seconds: number) => FILE_BYTES / MiB / seconds;

/**
 * A 50 MiB file uploaded (multipart) and downloaded through the Core's bucket routes, against a plain `pg` insert
 * and select of the same bytes as one bytea row in the same PostgreSQL, in the same run; and the Core's peak RSS
 * above idle during each transfer, against the file's size.
 */
export async function storageBench(): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-bench-storage-"));
  const db = await removeOnFailure(dataDir, startEmbeddedDatabase(dataDir, createLogger("warn")));
  const plain = new pg.Client({ connectionString: db.url });
  let core: ServerProcess | undefined;
  let sink: ServerProcess | undefined;
  try {
    sink = await startProcess(["--import", "tsx", "bench/sink-server.ts"], {}, await freePort());
    core = await startProcess(["--import", "tsx", "bench/auth-server.ts"], { ROOTCX_DATA_DIR: dataDir, DATABASE_URL: db.url }, await freePort());
    const pid = core.child.pid!;
    const token = await signIn(core.url);
    const auth = { authorization: `Bearer ${token}` };
    const bytes = randomBytes(FILE_BYTES);
    const file = new Blob([bytes], { type: "application/octet-stream" });

    await plain.connect();
    // The baseline's column is stored as the blob store stores its chunks: out of line, not compressed.
    await plain.query("CREATE TABLE bench_bytes (id int PRIMARY KEY, data bytea NOT NULL); ALTER TABLE bench_bytes ALTER COLUMN data SET STORAGE EXTERNAL");

    const sinkPost: number[] = [];
    const pgInsert: number[] = [];
    const pgSelect: number[] = [];
    const uploads: Transfer[] = [];
    const downloads: Transfer[] = [];
    // One untimed round of each first: connections, JIT and the first allocation of every buffer are not the subject.
    for (let round = -1; round < ROUNDS; round++) {
      let t = performance.now();
      await plain.query("INSERT INTO bench_bytes (id, data) VALUES ($1, $2)", [round + 10, bytes]);
      const insertS = (performance.now() - t) / 1000;
      t = performance.now();
      // Text results (bytea as hex, decoded by pg), as the blob store reads its chunks.
      const back = await plain.query<{ data: Buffer }>("SELECT data FROM bench_bytes WHERE id = $1", [round + 10]);
      const selectS = (performance.now() - t) / 1000;
      if (!back.rows[0]!.data.equals(bytes)) throw new Error("the plain select did not return the inserted bytes");

      t = performance.now();
      const form = new FormData();
      form.append("file", file, "sink.bin");
      await json(await fetch(`${sink.url}/upload`, { method: "POST", body: form }), "sink");
      const sinkS = (performance.now() - t) / 1000;

      let objectId = "";
      const up = await measured(pid, async () => {
        const form = new FormData();
        form.append("file", file, `bench-${round + 1}.bin`);
        const res = await fetch(`${core!.url}/api/v1/storage/objects/default/upload`, { method: "POST", headers: auth, body: form });
        objectId = (await json(res, "upload")).id as string;
      });
      let received = 0;
      const down = await measured(pid, async () => {
        received = await drain(await fetch(`${core!.url}/api/v1/storage/objects/default/${objectId}`, { headers: auth }));
      });
      if (received !== FILE_BYTES) throw new Error(`the download returned ${received} bytes, not ${FILE_BYTES}`);
      await json(await fetch(`${core.url}/api/v1/storage/objects/default/${objectId}`, { method: "DELETE", headers: auth }), "delete");
      if (round < 0) continue;
      sinkPost.push(sinkS);
      pgInsert.push(insertS);
      pgSelect.push(selectS);
      uploads.push(up);
      downloads.push(down);
    }

    const size = `${FILE_BYTES / MiB} MiB`;
    const rate = (label: string, transfers: Transfer[], base: number[], baseName: string): Row => {
      const value = mibPerSecond(median(transfers.map((t) => t.seconds)));
      const baseline = mibPerSecond(median(base));
      const ratio = value / baseline;
      const cpu = median(transfers.map((t) => t.cpuS));
      return { metric: label, value: `${value.toFixed(1)} MiB/s (Core CPU ${cpu.toFixed(2)} s)`, baseline: `${baseline.toFixed(1)} MiB/s (${baseName})`, ratio: `${ratio.toFixed(2)}×`, target: "≥ 0.7×", pass: ratio >= 0.7 };
    };
    const memory = (label: string, transfers: Transfer[]): Row => {
      const peak = Math.max(...transfers.map((t) => t.peakAboveIdleMb));
      const ratio = peak / (FILE_BYTES / MiB);
      return { metric: label, value: `${peak.toFixed(1)} MiB above idle (worst of ${transfers.length})`, baseline: size, ratio: `${ratio.toFixed(2)}× file`, target: "< 3× file", pass: ratio < 3 };
    };
    return [
      rate(`upload ${size} through the Core (multipart → bucket object)`, uploads, pgInsert, "pg INSERT of one bytea row"),
      rate(`download ${size} through the Core (bucket object → HTTP)`, downloads, pgSelect, "pg SELECT of that row"),
      {
        metric: `the same multipart POST to a node:http server that only reads the body`,
        value: `${mibPerSecond(median(sinkPost)).toFixed(1)} MiB/s`,
        baseline: "(the transport alone)",
        ratio: "",
        target: "reported",
        pass: true,
      },
      memory("Core peak RSS during the upload", uploads),
      memory("Core peak RSS during the download", downloads),
    ];
  } finally {
    await plain.end().catch(() => undefined);
    await core?.stop();
    await sink?.stop();
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
