import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreProcesses, waitHealthy, type CoreProcess } from "./core-process.ts";
import { deployableManifest } from "./deploy-helpers.ts";
import { api, createTestDatabase, signUpAndIn, type TestDatabase } from "./harness.ts";
import { multipartBody } from "./storage-helpers.ts";

// The Core in a process of its own, so that its resident memory can be read from /proc while it streams a large
// file in and out. The bound is generous (3× the file above idle): it fails when a transfer holds the file, or
// several copies of it, in memory, not on allocator noise.
const MiB = 1024 * 1024;
const procs = new CoreProcesses();
let db: TestDatabase;
let proc: CoreProcess;
let url: string;
let token: string;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]) * 1024;
}

/** Runs `work` while sampling the Core's RSS every 10 ms; resolves the work's result and the peak seen. */
async function peakDuring<T>(work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  const pid = proc.child.pid!;
  let peak = rssBytes(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 10);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, rssBytes(pid)) };
  } finally {
    clearInterval(timer);
  }
}

/** Streams a multipart body of `size` pseudo-random bytes without building it first; returns its SHA-256 too. */
function streamedMultipart(name: string, size: number): { body: ReadableStream<Uint8Array>; contentType: string; sha256: string } {
  const empty = multipartBody(name, "application/octet-stream", Buffer.alloc(0));
  const split = empty.body.indexOf("\r\n\r\n") + 4;
  const head = empty.body.subarray(0, split);
  const tail = empty.body.subarray(split);
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const hash = createHash("sha256");
  for (let sent = 0; sent < size; sent += MiB) hash.update(block.subarray(0, Math.min(MiB, size - sent)));
  let sent = -1;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent === -1) {
        c.enqueue(new Uint8Array(head));
        sent = 0;
      } else if (sent < size) {
        const n = Math.min(MiB, size - sent);
        c.enqueue(new Uint8Array(block.subarray(0, n)));
        sent += n;
      } else {
        c.enqueue(new Uint8Array(tail));
        c.close();
      }
    },
  });
  return { body, contentType: empty.contentType, sha256: hash.digest("hex") };
}

async function upload(path: string, name: string, size: number): Promise<{ status: number; body: { file_id?: string; id?: string; sha256: string } ; sha256: string }> {
  const mp = streamedMultipart(name, size);
  const res = await fetch(url + path, { method: "POST", headers: { "content-type": mp.contentType, authorization: `Bearer ${token}` }, body: mp.body, duplex: "half" } as RequestInit);
  return { status: res.status, body: (await res.json()) as { file_id?: string; id?: string; sha256: string }, sha256: mp.sha256 };
}

/** Reads a download to its end, slowly enough that the Core must not buffer ahead, hashing what arrives. */
async function drain(path: string): Promise<{ status: number; size: number; sha256: string }> {
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${token}` } });
  const hash = createHash("sha256");
  let size = 0;
  for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(piece);
    size += piece.length;
  }
  return { status: res.status, size, sha256: hash.digest("hex") };
}

beforeAll(async () => {
  db = await createTestDatabase();
  const fresh = await procs.fresh("rootcx-storage-mem-");
  url = fresh.url;
  proc = procs.start("core", { DATABASE_URL: db.url, ROOTCX_DATA_DIR: fresh.dataDir, PORT: String(fresh.port), LOG_LEVEL: "warn" });
  await waitHealthy(url, proc);
  token = (await signUpAndIn({ url }, "admin@memory.test")).accessToken;
  expect((await api({ url }, "POST", "/api/v1/apps", deployableManifest("mem"), token)).status).toBe(200);
  // Warm up: the first transfer loads the multipart parser, the sniffer and the routes' code.
  const warm = await upload("/api/v1/apps/mem/storage/upload", "warm.bin", MiB);
  expect(warm.status).toBe(201);
  expect((await drain(`/api/v1/apps/mem/storage/${warm.body.file_id}`)).size).toBe(MiB);
}, 120_000);

afterAll(async () => {
  await procs.stopAll("SIGTERM");
  await procs.removeDirs();
  await db?.drop();
});

describe("the Core's memory while it streams a large file", () => {
  it.each([
    ["an app file of 50 MiB", "/api/v1/apps/mem/storage/upload", (id: string) => `/api/v1/apps/mem/storage/${id}`, 50 * MiB],
    ["a bucket object of 64 MiB", "/api/v1/storage/objects/default/upload", (id: string) => `/api/v1/storage/objects/default/${id}`, 64 * MiB],
  ])("%s: upload and download stay under 3× the file above idle, and a second round under the file's size", async (_what, uploadPath, downloadPath, size) => {
    // The first round may grow the heap (garbage of the chunks waits for the collector); the second reuses that
    // room, so a transfer holding the file, which the allocator maps afresh, would show in full. Each chunk read
    // leaves its hex text (twice the chunk) in V8's large-object space until a major collection, whose timing
    // depends on the heap's size: with the jobs, schedules and realtime subsystems loaded, a 50 MiB download peaks
    // at 36–43 MiB above idle in either round, so the second round's bound is the file itself, which a transfer
    // holding it cannot stay under.
    for (const [round, bound] of [["first", 3 * size], ["second", size]] as const) {
      const idle = rssBytes(proc.child.pid!);
      const up = await peakDuring(() => upload(uploadPath, `big-${round}.bin`, size));
      expect(up.result.status, JSON.stringify(up.result.body)).toBe(201);
      expect(up.result.body.sha256).toBe(up.result.sha256);
      const down = await peakDuring(() => drain(downloadPath(up.result.body.file_id ?? up.result.body.id!)));
      expect(down.result).toEqual({ status: 200, size, sha256: up.result.sha256 });
      const report = { idleMiB: +(idle / MiB).toFixed(1), uploadPeakAboveIdleMiB: +((up.peak - idle) / MiB).toFixed(1), downloadPeakAboveIdleMiB: +((down.peak - idle) / MiB).toFixed(1) };
      console.log(`storage memory, ${size / MiB} MiB, ${round} round: ${JSON.stringify(report)}`);
      expect(up.peak - idle, `${round} upload`).toBeLessThan(bound);
      expect(down.peak - idle, `${round} download`).toBeLessThan(bound);
    }
  }, 240_000);
});
