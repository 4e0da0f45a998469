import { randomBytes } from "node:crypto";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installApp } from "./deploy-helpers.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { multipartBody, settled, storageCounts, uploadFile, userWith } from "./storage-helpers.ts";
import { mintUploadNonce } from "../src/server/storage/nonces.ts";
import { UPLOAD_SLOTS, UPLOADS_PER_UPLOADER } from "../src/server/storage/upload-slots.ts";

const APP = "capacity";
const IDLE_MS = 1500;

let core: TestCore;
let admin: Session;
let writer: Session;
let other: Session;

beforeAll(async () => {
  core = await startTestCore({ env: { ROOTCX_UPLOAD_IDLE_TIMEOUT_MS: String(IDLE_MS) } });
  admin = await signUpAndIn(core, "admin@example.com");
  await installApp(core, APP, admin.accessToken);
  writer = await userWith(core, admin, "writer", [`app:${APP}:note.create`]);
  other = await userWith(core, admin, "other", [`app:${APP}:note.create`]);
}, 60_000);

afterAll(async () => {
  await core?.dispose();
});

const pool = () => core.core.db.pool;

interface Stalled {
  socket: net.Socket;
  /** The answer's status and body text, once the server answers (0 if it closed without one). */
  answer: Promise<{ status: number; body: string }>;
}

/**
 * A multipart upload that sends its headers, the file part's head and `sent` bytes of a body announced much
 * longer, then nothing more: a stalled client that keeps its connection open.
 */
function stallUpload(path: string, token: string, sent = 1000): Stalled {
  const mp = multipartBody("stalled.bin", "application/octet-stream", Buffer.alloc(0));
  const head = mp.body.subarray(0, mp.body.indexOf("\r\n\r\n") + 4);
  return stallRaw(path, { "content-type": mp.contentType, authorization: `Bearer ${token}` }, Buffer.concat([head, Buffer.alloc(sent, 1)]), 10_000_000);
}

function stallRaw(path: string, headers: Record<string, string>, prefix: Buffer, announced: number): Stalled {
  const url = new URL(core.url);
  const socket = net.connect(Number(url.port), url.hostname);
  const answer = new Promise<{ status: number; body: string }>((resolve) => {
    let text = "";
    socket.on("data", (c) => (text += c.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      const m = /^HTTP\/1\.1 (\d{3})[^]*?\r\n\r\n([^]*)$/.exec(text);
      resolve(m ? { status: Number(m[1]), body: m[2]! } : { status: 0, body: text });
    });
  });
  socket.on("connect", () => {
    const lines = Object.entries({ ...headers, "content-length": String(announced) }).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${lines}\r\n`);
    socket.write(prefix);
  });
  return { socket, answer };
}

async function idleInTransaction(): Promise<number> {
  const { rows } = await pool().query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
  );
  return rows[0]!.n;
}

describe("idle upload bodies", () => {
  it("a stalled app upload is answered 408 with its reason once its body stops arriving, and leaves nothing", async () => {
    const before = await storageCounts(pool());
    const started = Date.now();
    const stalled = stallUpload(`/api/v1/apps/${APP}/storage/upload`, writer.accessToken, 300_000);
    const answer = await stalled.answer;
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body).error).toMatch(/stopped arriving: nothing was received for 1\.5 s, so nothing was stored/);
    expect(Date.now() - started).toBeLessThan(IDLE_MS + 5_000);
    await settled(pool());
    expect(await storageCounts(pool())).toEqual(before);
  }, 20_000);

  it("a stalled bucket upload likewise", async () => {
    const before = await storageCounts(pool());
    const stalled = stallUpload("/api/v1/storage/objects/default/upload", admin.accessToken);
    const answer = await stalled.answer;
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body).error).toMatch(/stopped arriving/);
    await settled(pool());
    expect(await storageCounts(pool())).toEqual(before);
    const objects = await api(core, "GET", "/api/v1/storage/objects/default", undefined, admin.accessToken);
    expect(objects.body).not.toContainEqual(expect.objectContaining({ name: "stalled.bin" }));
  }, 20_000);

  it("a stalled worker upload (nonce, raw body) likewise", async () => {
    const before = await storageCounts(pool());
    const { nonce } = await mintUploadNonce(pool(), { appId: APP, name: "w.bin", contentType: "application/octet-stream", maxSize: 100_000, createdBy: null });
    const stalled = stallRaw(`/api/v1/storage/upload/${nonce}`, { "content-type": "application/octet-stream" }, Buffer.alloc(10, 1), 100_000);
    const answer = await stalled.answer;
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body).error).toMatch(/stopped arriving/);
    await settled(pool());
    expect(await storageCounts(pool())).toEqual(before);
  }, 20_000);
});

describe("upload slots", () => {
  it("25 stalled bucket uploads by several users hold at most the upload slots' connections; other requests still answer", async () => {
    const users = await Promise.all(Array.from({ length: 9 }, (_, i) => userWith(core, admin, `bucketeer${i}`, ["storage:write"])));
    const stalled = Array.from({ length: 25 }, (_, i) => stallUpload("/api/v1/storage/objects/default/upload", users[i % users.length]!.accessToken));
    try {
      await sleep(500);
      expect(await idleInTransaction()).toBeLessThanOrEqual(UPLOAD_SLOTS);
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => api(core, "GET", i % 2 ? "/api/v1/storage/buckets" : "/api/v1/apps", undefined, admin.accessToken)));
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
      // Every one is answered (408 once its turn came and its body stayed silent), none with a 5xx.
      const statuses = (await Promise.all(stalled.map((s) => s.answer))).map((a) => a.status);
      expect(statuses).toEqual(Array(25).fill(408));
    } finally {
      for (const s of stalled) s.socket.destroy();
    }
    await settled(pool());
  }, 60_000);

  it("one user's stalled uploads take only their share: a further one is 429 with Retry-After, another user's goes through", async () => {
    const mine = Array.from({ length: UPLOADS_PER_UPLOADER }, () => stallUpload(`/api/v1/apps/${APP}/storage/upload`, writer.accessToken));
    try {
      await sleep(300);
      const refused = await uploadFile(core, APP, writer.accessToken, "one-more.bin", "application/octet-stream", randomBytes(100));
      expect(refused.status).toBe(429);
      expect(refused.body.error).toBe(`too many uploads at once: at most ${UPLOADS_PER_UPLOADER} per caller may be in progress; wait for one to finish`);
      expect(refused.headers.get("retry-after")).toBe("5");
      const theirs = await uploadFile(core, APP, other.accessToken, "theirs.bin", "application/octet-stream", randomBytes(100));
      expect(theirs.status).toBe(201);
      expect((await Promise.all(mine.map((s) => s.answer))).map((a) => a.status)).toEqual(Array(UPLOADS_PER_UPLOADER).fill(408));
      // The share is given back once the stalled ones are answered.
      const again = await uploadFile(core, APP, writer.accessToken, "again.bin", "application/octet-stream", randomBytes(100));
      expect(again.status).toBe(201);
    } finally {
      for (const s of mine) s.socket.destroy();
    }
  }, 30_000);
});

describe("a file deleted during its download", () => {
  it("cuts the body and is logged as a deletion, not as damaged bytes", async () => {
    const size = 20 * 1024 * 1024;
    const up = await uploadFile(core, APP, admin.accessToken, "big.bin", "application/octet-stream", randomBytes(size));
    expect(up.status).toBe(201);
    const res = await fetch(`${core.url}/api/v1/apps/${APP}/storage/${up.body.file_id}`, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let received = (await reader.read()).value?.length ?? 0;
    const del = await api(core, "DELETE", `/api/v1/apps/${APP}/storage/${up.body.file_id}`, undefined, admin.accessToken);
    expect(del.status).toBe(200);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
      }
    } catch {
      // the cut body: fetch reports the connection closing before Content-Length was reached
    }
    expect(received).toBeLessThan(size);
    await sleep(100);
    const logged = core.logs.filter((l) => l.includes("deleted during download"));
    expect(logged.length).toBe(1);
    expect(JSON.parse(logged[0]!).level).toBe(30);
    expect(core.logs.filter((l) => l.includes("stored bytes damaged") || l.includes("BlobIntegrityError"))).toEqual([]);
  }, 60_000);
});
