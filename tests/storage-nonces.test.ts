import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { mintUploadNonce } from "../src/server/storage/nonces.ts";
import { workerUploadUrl } from "../src/server/storage/worker-upload.ts";
import { download, settled, storageCounts, uploadFile, userWith } from "./storage-helpers.ts";
import { manifest, placeFixture } from "./workers-helpers.ts";

// Nonces are minted here the way the worker path mints them (the same service functions, against this Core's
// database), so their reuse and expiry can be tested without a worker in between; one test goes through a real
// worker's ctx.uploadFile.
const APP = "kit";
let core: TestCore;
let admin: Session;
let caller: Session;
let reader: Session;

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@nonces.test");
  expect((await api(core, "POST", "/api/v1/apps", manifest(APP), admin.accessToken)).status).toBe(200);
  placeFixture(core, "kit", APP);
  caller = await userWith(core, admin, "caller", [`app:${APP}:invoke`]);
  reader = await userWith(core, admin, "reader", [`app:${APP}:note.read`]);
}, 60_000);

afterAll(async () => {
  await core?.dispose();
});

const pool = () => core.core.db.pool;
const post = (path: string, body: Buffer | string, contentType = "application/octet-stream") =>
  fetch(core.url + path, { method: "POST", headers: { "content-type": contentType }, body: typeof body === "string" ? body : new Uint8Array(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

async function uploadUrl(size: number, name = "n.txt", contentType = "text/plain"): Promise<string> {
  return (await workerUploadUrl(core.core, APP, { kind: "user", userId: caller.userId, email: caller.email }, { name, content_type: contentType, size })).url;
}

describe("a worker's ctx.uploadFile", () => {
  it("stores the bytes through a single-use nonce, owned by the user the worker serves", async () => {
    const content = "héllo from the worker 🌍";
    const res = await api(core, "POST", `/api/v1/apps/${APP}/rpc`, { method: "upload", params: { content, filename: "from-worker.txt", contentType: "text/plain" } }, caller.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const fileId = res.body as string;
    const { rows } = await pool().query("SELECT name, content_type, size::int AS size, uploaded_by, sha256 FROM rootcx_system.app_files WHERE id = $1", [fileId]);
    expect(rows[0]).toEqual({ name: "from-worker.txt", content_type: "text/plain", size: Buffer.byteLength(content), uploaded_by: caller.userId, sha256: createHash("sha256").update(content).digest("hex") });
    const got = await download(core, `/api/v1/apps/${APP}/storage/${fileId}`, reader.accessToken);
    expect(got.bytes.toString()).toBe(content);
    // The nonce it used is spent.
    expect((await pool().query("SELECT count(*)::int AS n FROM rootcx_system.storage_nonces WHERE kind = 'upload' AND expires_at > now()")).rows[0].n).toBe(0);
  }, 30_000);

  it("a refusal reaches the worker as its reason", async () => {
    const res = await api(core, "POST", `/api/v1/apps/${APP}/rpc`, { method: "upload", params: { content: "x", filename: "../escape", contentType: "text/plain" } }, caller.accessToken);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(res.body)).toContain('file name: name must not contain \\"/\\" (folders are objects of their own)');
  }, 30_000);
});

describe("upload nonces", () => {
  it("are refused on reuse (404) and after expiry (403), with nothing stored", async () => {
    const url = await uploadUrl(5);
    expect((await post(url, "hello")).status).toBe(201);
    const before = await storageCounts(pool());
    const again = await post(url, "hello");
    expect(again).toEqual({ status: 404, body: { error: "unknown or already used upload nonce" } });

    const late = await uploadUrl(5);
    await pool().query("UPDATE rootcx_system.storage_nonces SET expires_at = now() - interval '1 second' WHERE kind = 'upload'");
    expect(await post(late, "hello")).toEqual({ status: 403, body: { error: "the upload nonce expired" } });
    // An expired nonce is spent too.
    expect((await post(late, "hello")).status).toBe(404);
    expect(await storageCounts(pool())).toEqual(before);
  });

  it("live 60 seconds in PostgreSQL, stored only as a hash", async () => {
    const url = await uploadUrl(1);
    const nonce = url.split("/").pop()!;
    const { rows } = await pool().query<{ nonce_hash: string; ttl: number }>("SELECT nonce_hash, extract(epoch FROM expires_at - created_at)::int AS ttl FROM rootcx_system.storage_nonces WHERE nonce_hash = $1", [
      createHash("sha256").update(nonce).digest("hex"),
    ]);
    expect(rows).toEqual([{ nonce_hash: expect.not.stringContaining(nonce), ttl: 60 }]);
  });

  it("accept exactly the announced size and refuse one byte more (413, nothing stored)", async () => {
    const exact = await post(await uploadUrl(10), Buffer.alloc(10, 65));
    expect(exact.status).toBe(201);
    expect(exact.body).toMatchObject({ name: "n.txt", size: 10 });
    const before = await storageCounts(pool());
    const over = await post(await uploadUrl(10), Buffer.alloc(11, 65));
    expect(over).toEqual({ status: 413, body: { error: "the file exceeds the limit of 10 bytes" } });
    // Without Content-Length the cut-off happens while streaming.
    const chunked = await fetch(core.url + (await uploadUrl(100_000)), {
      method: "POST",
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 4; i++) c.enqueue(new Uint8Array(40_000));
          c.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toEqual({ error: "the file exceeds the limit of 100000 bytes" });
    await settled(pool());
    expect(await storageCounts(pool())).toEqual(before);
  });

  it("one nonce used by two concurrent uploads stores one file", async () => {
    const url = await uploadUrl(3);
    const before = await storageCounts(pool());
    const results = await Promise.all([post(url, "abc"), post(url, "abc"), post(url, "abc")]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 404, 404]);
    expect((await storageCounts(pool())).files).toBe(before.files + 1);
  });

  it("refuse bytes that contradict the announced type", async () => {
    const before = await storageCounts(pool());
    const res = await post(await uploadUrl(40, "x.pdf", "application/pdf"), "<html>not a pdf</html>");
    expect(res).toEqual({ status: 415, body: { error: "the file's content does not match its declared type application/pdf" } });
    expect(await storageCounts(pool())).toEqual(before);
  });

  it("are not minted for what could never be stored", async () => {
    await expect(uploadUrl(50 * 1024 * 1024 + 1)).rejects.toThrow("the file's 52428801 bytes exceed the limit of 52428800 bytes");
    await expect(uploadUrl(1, "a\u0000b")).rejects.toThrow("file name: name must not contain NUL or other control characters");
    await expect(uploadUrl(1, "a.txt", "not a type")).rejects.toThrow('content type "not a type" is not a media type (type/subtype)');
  });

  it("a malformed nonce is a 400, an unknown one a 404", async () => {
    expect(await post("/api/v1/storage/upload/short", "x")).toEqual({ status: 400, body: { error: "malformed nonce" } });
    expect(await post(`/api/v1/storage/upload/${"A".repeat(43)}`, "x")).toEqual({ status: 404, body: { error: "unknown or already used upload nonce" } });
  });

  it("a nonce of another kind does not upload", async () => {
    const fileId = ((await post(await uploadUrl(1), "z")).body.file_id) as string;
    const minted = await api(core, "POST", `/api/v1/apps/${APP}/storage/${fileId}/download-url`, undefined, reader.accessToken);
    const nonce = (minted.body.url as string).split("/").pop()!;
    expect((await post(`/api/v1/storage/upload/${nonce}`, "z")).status).toBe(404);
  });

  it("a nonce minted for the lifecycle or anonymous worker stores a file with no uploader", async () => {
    const { nonce } = await mintUploadNonce(pool(), { appId: APP, name: "direct.bin", contentType: "application/octet-stream", maxSize: 4, createdBy: null });
    const res = await post(`/api/v1/storage/upload/${nonce}`, "1234");
    expect(res).toMatchObject({ status: 201, body: { name: "direct.bin", size: 4 } });
    const { rows } = await pool().query("SELECT uploaded_by FROM rootcx_system.app_files WHERE id = $1", [res.body.file_id]);
    expect(rows[0].uploaded_by).toBeNull();
  });
});

describe("download nonces", () => {
  let fileId: string;
  beforeAll(async () => {
    fileId = (await uploadFile(core, APP, admin.accessToken, "dl.txt", "text/plain", Buffer.from("download me"))).body.file_id;
  });

  it("are minted by a caller who may read the file, work once without a token for 300 s", async () => {
    const denied = await api(core, "POST", `/api/v1/apps/${APP}/storage/${fileId}/download-url`, undefined, caller.accessToken);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe(`permission required: a read permission of the app (app:${APP}:<entity>.read)`);
    const minted = await api(core, "POST", `/api/v1/apps/${APP}/storage/${fileId}/download-url`, undefined, reader.accessToken);
    expect(minted.status).toBe(200);
    expect(minted.body.url).toMatch(/^\/api\/v1\/storage\/download\/[A-Za-z0-9_-]{43}$/);
    const ttl = (Date.parse(minted.body.expiresAt) - Date.now()) / 1000;
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(300);
    const first = await download(core, minted.body.url);
    expect(first.status).toBe(200);
    expect(first.bytes.toString()).toBe("download me");
    expect(first.headers.get("content-disposition")).toBe("attachment; filename=dl.txt");
    const second = await api(core, "GET", minted.body.url);
    expect(second).toMatchObject({ status: 404, body: { error: "unknown or already used download nonce" } });
  });

  it("are refused after expiry", async () => {
    const minted = await api(core, "POST", `/api/v1/apps/${APP}/storage/${fileId}/download-url`, undefined, reader.accessToken);
    await pool().query("UPDATE rootcx_system.storage_nonces SET expires_at = now() - interval '1 second' WHERE kind = 'download'");
    const late = await api(core, "GET", minted.body.url);
    expect(late).toMatchObject({ status: 403, body: { error: "the download nonce expired" } });
  });

  it("die with their file", async () => {
    const minted = await api(core, "POST", `/api/v1/apps/${APP}/storage/${fileId}/download-url`, undefined, reader.accessToken);
    expect((await api(core, "DELETE", `/api/v1/apps/${APP}/storage/${fileId}`, undefined, admin.accessToken)).status).toBe(200);
    expect((await api(core, "GET", minted.body.url)).status).toBe(404);
  });
});
