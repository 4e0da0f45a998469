import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installApp } from "./deploy-helpers.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { abandonUpload, download, multipartBody, settled, storageCounts, uploadFile, userWith } from "./storage-helpers.ts";

const APP = "files";
const LIMIT = 50 * 1024 * 1024;
// A real 1×1 PNG.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

let core: TestCore;
let admin: Session;
let reader: Session;
let writer: Session;
let nobody: Session;

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@example.com");
  await installApp(core, APP, admin.accessToken);
  reader = await userWith(core, admin, "reader", [`app:${APP}:note.read`]);
  writer = await userWith(core, admin, "writer", [`app:${APP}:note.create`]);
  nobody = await userWith(core, admin, "nobody", []);
}, 60_000);

afterAll(async () => {
  await core?.dispose();
});

const pool = () => core.core.db.pool;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("upload and download", () => {
  it("stores the first file part and gives it back byte for byte with attachment, nosniff, length and the SHA-256 as ETag", async () => {
    const bytes = randomBytes(600_000); // several 256 KiB chunks, the last one short
    const up = await uploadFile(core, APP, writer.accessToken, "report é 2026.bin", "application/octet-stream", bytes);
    expect(up.status).toBe(201);
    expect(up.body).toEqual({ file_id: expect.any(String), name: "report é 2026.bin", content_type: "application/octet-stream", size: bytes.length, sha256: sha(bytes) });
    const got = await download(core, `/api/v1/apps/${APP}/storage/${up.body.file_id}`, reader.accessToken);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(bytes)).toBe(true);
    expect(got.headers.get("content-length")).toBe(String(bytes.length));
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");
    expect(got.headers.get("etag")).toBe(`"${sha(bytes)}"`);
    expect(got.headers.get("content-disposition")).toBe(`attachment; filename="report ? 2026.bin"; filename*=UTF-8''report%20%C3%A9%202026.bin`);
    const again = await download(core, `/api/v1/apps/${APP}/storage/${up.body.file_id}`, reader.accessToken, { "if-none-match": `"${sha(bytes)}"` });
    expect(again.status).toBe(304);
  });

  it("takes only the first of several file parts", async () => {
    const a = multipartBody("first.txt", "text/plain", Buffer.from("first"));
    const b = multipartBody("second.txt", "text/plain", Buffer.from("second"));
    const boundaryA = a.contentType.split("boundary=")[1]!;
    const boundaryB = b.contentType.split("boundary=")[1]!;
    // Both parts under one boundary: a's part, then b's part re-framed with a's boundary.
    const body = Buffer.concat([a.body.subarray(0, a.body.length - `--${boundaryA}--\r\n`.length), Buffer.from(b.body.toString("latin1").replaceAll(boundaryB, boundaryA), "latin1")]);
    const res = await fetch(`${core.url}/api/v1/apps/${APP}/storage/upload`, { method: "POST", headers: { "content-type": a.contentType, authorization: `Bearer ${writer.accessToken}` }, body });
    const json = (await res.json()) as { name: string; size: number };
    expect(res.status).toBe(201);
    expect(json).toMatchObject({ name: "first.txt", size: 5 });
  });

  it("accepts exactly 50 MiB and refuses one byte more with 413, leaving no row and no chunk", async () => {
    const exact = Buffer.alloc(LIMIT, 1);
    const ok = await uploadFile(core, APP, writer.accessToken, "exact.bin", "application/octet-stream", exact);
    expect(ok.status).toBe(201);
    expect(ok.body.size).toBe(LIMIT);
    const before = await storageCounts(pool());
    const over = await uploadFile(core, APP, writer.accessToken, "over.bin", "application/octet-stream", Buffer.alloc(LIMIT + 1, 1));
    expect(over.status).toBe(413);
    expect(over.body.error).toBe(`the file exceeds the limit of ${LIMIT} bytes`);
    await settled(pool());
    expect(await storageCounts(pool())).toEqual(before);
    const del = await api(core, "DELETE", `/api/v1/apps/${APP}/storage/${ok.body.file_id}`, undefined, admin.accessToken);
    expect(del.status).toBe(200);
  }, 60_000);

  it("leaves nothing behind when the client goes away half-way through its upload", async () => {
    const before = await storageCounts(pool());
    const mp = multipartBody("half.bin", "application/octet-stream", Buffer.alloc(0));
    const head = mp.body.subarray(0, mp.body.indexOf("\r\n\r\n") + 4);
    await abandonUpload(core, `/api/v1/apps/${APP}/storage/upload`, { "content-type": mp.contentType, authorization: `Bearer ${writer.accessToken}` }, head, 20 * 1024 * 1024, 3 * 1024 * 1024);
    await settled(pool());
    expect(await storageCounts(pool())).toEqual(before);
  });

  it("refuses a body that is not multipart, and one without a file part, with the reason", async () => {
    const json = await api(core, "POST", `/api/v1/apps/${APP}/storage/upload`, { a: 1 }, writer.accessToken);
    expect(json.status).toBe(415);
    expect(json.body.error).toBe("the body must be multipart/form-data with a file part");
    const form = new FormData();
    form.append("note", "no file here");
    const res = await fetch(`${core.url}/api/v1/apps/${APP}/storage/upload`, { method: "POST", headers: { authorization: `Bearer ${writer.accessToken}` }, body: form });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("the multipart body has no file part");
  });
});

describe("hostile and edge-case bodies", () => {
  const post = (contentType: string, body: Buffer | string) =>
    fetch(`${core.url}/api/v1/apps/${APP}/storage/upload`, { method: "POST", headers: { "content-type": contentType, authorization: `Bearer ${writer.accessToken}` }, body: typeof body === "string" ? body : new Uint8Array(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: string } }));

  it("refuses a multipart type without a boundary, and a body cut before its closing boundary, storing nothing", async () => {
    const before = await storageCounts(pool());
    expect(await post("multipart/form-data; charset=utf-8", "x")).toEqual({ status: 400, body: { error: "malformed multipart body: Multipart: Boundary not found" } });
    const mp = multipartBody("cut.bin", "application/octet-stream", Buffer.alloc(300_000, 3));
    const cut = await post(mp.contentType, mp.body.subarray(0, mp.body.length - 40));
    expect(cut).toEqual({ status: 400, body: { error: "malformed or truncated multipart body: Unexpected end of form" } });
    await settled(pool());
    expect(await storageCounts(pool())).toEqual(before);
  });

  it("stores and serves an empty file (a range of it is 416)", async () => {
    const up = await uploadFile(core, APP, writer.accessToken, "empty.txt", "text/plain", Buffer.alloc(0));
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ size: 0, sha256: sha(Buffer.alloc(0)) });
    const got = await download(core, `/api/v1/apps/${APP}/storage/${up.body.file_id}`, reader.accessToken);
    expect(got.status).toBe(200);
    expect(got.bytes.length).toBe(0);
    expect(got.headers.get("content-length")).toBe("0");
    expect((await download(core, `/api/v1/apps/${APP}/storage/${up.body.file_id}`, reader.accessToken, { range: "bytes=0-0" })).status).toBe(416);
  });

  it("concurrent uploads each store their own bytes", async () => {
    const files = Array.from({ length: 6 }, (_, i) => randomBytes(100_000 + i * 70_000));
    // Two uploaders, three each: one caller's share of the upload slots (a fourth at once would be 429).
    const ups = await Promise.all(files.map((b, i) => uploadFile(core, APP, (i % 2 ? writer : admin).accessToken, `c${i}.bin`, "application/octet-stream", b)));
    for (const [i, up] of ups.entries()) {
      expect(up.status).toBe(201);
      expect((await download(core, `/api/v1/apps/${APP}/storage/${up.body.file_id}`, reader.accessToken)).bytes.equals(files[i]!)).toBe(true);
    }
  });
});

describe("names and content types", () => {
  const refused: [string, string][] = [
    ["a/b.txt", 'file name: name must not contain "/" (folders are objects of their own)'],
    ["..", 'file name: name must not be "." or ".."'],
    ["../etc", 'file name: name must not contain "/" (folders are objects of their own)'],
    ["a\u0000b.txt", "file name: name must not contain NUL or other control characters"],
    ["a\u0007b.txt", "file name: name must not contain NUL or other control characters"],
    ["line\nbreak.txt", "file name: name must not contain NUL or other control characters"],
    ["x".repeat(300), "file name: name must be at most 255 characters"],
  ];
  it.each(refused)("refuses the name %j with its reason and stores nothing", async (name, reason) => {
    const before = await storageCounts(pool());
    const res = await uploadFile(core, APP, writer.accessToken, name, "text/plain", Buffer.from("hello"));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(reason);
    await settled(pool());
    expect(await storageCounts(pool())).toEqual(before);
  });

  it("refuses an HTML page declared as image/png (415) and keeps a real PNG", async () => {
    const before = await storageCounts(pool());
    const fake = await uploadFile(core, APP, writer.accessToken, "cat.png", "image/png", Buffer.from("<!doctype html><script>alert(1)</script>"));
    expect(fake.status).toBe(415);
    expect(fake.body.error).toBe("the file's content does not match its declared type image/png");
    await settled(pool());
    expect(await storageCounts(pool())).toEqual(before);
    const real = await uploadFile(core, APP, writer.accessToken, "cat.png", "image/png", PNG);
    expect(real.status).toBe(201);
    expect(real.body.content_type).toBe("image/png");
  });

  it("stores the detected type when the part declares none", async () => {
    const res = await uploadFile(core, APP, writer.accessToken, "unnamed", "application/octet-stream", PNG);
    expect(res.status).toBe(201);
    expect(res.body.content_type).toBe("image/png");
  });
});

describe("permissions", () => {
  let fileId: string;
  beforeAll(async () => {
    fileId = (await uploadFile(core, APP, writer.accessToken, "shared.txt", "text/plain", Buffer.from("shared"))).body.file_id;
  });

  it("uploading needs a create or update permission of the app", async () => {
    for (const who of [reader, nobody]) {
      const res = await uploadFile(core, APP, who.accessToken, "x.txt", "text/plain", Buffer.from("x"));
      expect(res.status).toBe(403);
      expect(res.body.error).toBe(`permission required: a create or update permission of the app (app:${APP}:<entity>.create or .update)`);
    }
    expect((await uploadFile(core, APP, undefined, "x.txt", "text/plain", Buffer.from("x"))).status).toBe(401);
  });

  it("reading needs a read permission of the app", async () => {
    const denied = await api(core, "GET", `/api/v1/apps/${APP}/storage/${fileId}`, undefined, nobody.accessToken);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe(`permission required: a read permission of the app (app:${APP}:<entity>.read)`);
    expect((await download(core, `/api/v1/apps/${APP}/storage/${fileId}`, reader.accessToken)).bytes.toString()).toBe("shared");
    // The writer holds only note.create: it may upload, not read.
    expect((await api(core, "GET", `/api/v1/apps/${APP}/storage/${fileId}`, undefined, writer.accessToken)).status).toBe(403);
  });

  it("an unknown app or file is a 404, a malformed id a 400", async () => {
    const noApp = await api(core, "GET", `/api/v1/apps/nosuch/storage/${fileId}`, undefined, admin.accessToken);
    expect(noApp.status).toBe(404);
    expect(noApp.body.error).toBe('app "nosuch" not found');
    const noFile = await api(core, "GET", `/api/v1/apps/${APP}/storage/00000000-0000-4000-8000-000000000000`, undefined, admin.accessToken);
    expect(noFile.status).toBe(404);
    expect(noFile.body.error).toBe(`file 00000000-0000-4000-8000-000000000000 not found in app "${APP}"`);
    const bad = await api(core, "GET", `/api/v1/apps/${APP}/storage/not-a-uuid`, undefined, admin.accessToken);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("file ids are UUIDs");
  });

  it("deleting is for the uploader or an app administrator", async () => {
    const byReader = await api(core, "DELETE", `/api/v1/apps/${APP}/storage/${fileId}`, undefined, reader.accessToken);
    expect(byReader.status).toBe(403);
    expect(byReader.body.error).toBe(`only the file's uploader or an administrator of the app (app:${APP}:*) may delete it`);
    const other = (await uploadFile(core, APP, writer.accessToken, "other.txt", "text/plain", Buffer.from("o"))).body.file_id as string;
    const appAdmin = await userWith(core, admin, "appadmin", [`app:${APP}:*`]);
    const byAppAdmin = await api(core, "DELETE", `/api/v1/apps/${APP}/storage/${other}`, undefined, appAdmin.accessToken);
    expect(byAppAdmin).toMatchObject({ status: 200, body: { deleted: true } });
    // The writer cannot read the app, so it cannot find its file to delete it either.
    const mixed = await userWith(core, admin, "mixed", [`app:${APP}:note.read`, `app:${APP}:note.create`]);
    const own = (await uploadFile(core, APP, mixed.accessToken, "own.txt", "text/plain", Buffer.from("own"))).body.file_id as string;
    expect((await api(core, "DELETE", `/api/v1/apps/${APP}/storage/${own}`, undefined, mixed.accessToken)).status).toBe(200);
    expect((await api(core, "GET", `/api/v1/apps/${APP}/storage/${own}`, undefined, mixed.accessToken)).status).toBe(404);
  });
});

describe("range requests", () => {
  const bytes = randomBytes(700_000);
  let path: string;
  beforeAll(async () => {
    path = `/api/v1/apps/${APP}/storage/${(await uploadFile(core, APP, writer.accessToken, "ranges.bin", "application/octet-stream", bytes)).body.file_id}`;
  });

  it.each([
    ["bytes=0-9", 0, 9],
    ["bytes=262140-262150", 262_140, 262_150], // across a chunk boundary
    ["bytes=-5", 700_000 - 5, 700_000 - 1],
    ["bytes=699990-", 699_990, 699_999],
    ["bytes=100-99999999", 100, 699_999],
  ])("%s → 206 with the bytes and Content-Range", async (range, start, end) => {
    const got = await download(core, path, reader.accessToken, { range });
    expect(got.status).toBe(206);
    expect(got.headers.get("content-range")).toBe(`bytes ${start}-${end}/700000`);
    expect(got.headers.get("content-length")).toBe(String(end - start + 1));
    expect(got.bytes.equals(bytes.subarray(start, end + 1))).toBe(true);
  });

  it("answers 416 for a range outside the file, and the whole file for a malformed one or a stale If-Range", async () => {
    const outside = await download(core, path, reader.accessToken, { range: "bytes=800000-" });
    expect(outside.status).toBe(416);
    expect(outside.headers.get("content-range")).toBe("bytes */700000");
    expect(JSON.parse(outside.bytes.toString())).toEqual({ error: "the range is outside the file's 700000 bytes" });
    const malformed = await download(core, path, reader.accessToken, { range: "bytes=zz" });
    expect(malformed.status).toBe(200);
    expect(malformed.bytes.length).toBe(700_000);
    const stale = await download(core, path, reader.accessToken, { range: "bytes=0-9", "if-range": '"0000"' });
    expect(stale.status).toBe(200);
  });
});

describe("integrity", () => {
  it("a download whose stored bytes were altered fails instead of delivering them", async () => {
    const bytes = randomBytes(300_000);
    const up = await uploadFile(core, APP, writer.accessToken, "fragile.bin", "application/octet-stream", bytes);
    await pool().query(
      `UPDATE rootcx_system.storage_blob_chunks c SET data = overlay(data PLACING '\\xff'::bytea FROM 10 FOR 1)
       FROM rootcx_system.app_files f WHERE f.id = $1 AND c.blob_id = f.blob_id AND c.seq = 0`,
      [up.body.file_id],
    );
    const res = await fetch(`${core.url}/api/v1/apps/${APP}/storage/${up.body.file_id}`, { headers: { authorization: `Bearer ${reader.accessToken}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(bytes.length));
    await expect(res.arrayBuffer()).rejects.toThrow();
    await sleep(100);
    expect(core.logs.some((l) => l.includes("stored bytes damaged") && l.includes("do not match their SHA-256"))).toBe(true);
    // A range read does not verify (it cannot), but still reads the altered byte where it is.
    const part = await download(core, `/api/v1/apps/${APP}/storage/${up.body.file_id}`, reader.accessToken, { range: "bytes=9-9" });
    expect(part.bytes[0]).toBe(0xff);
  });

  it("deleting the file deletes its blob and chunks; uninstalling the app deletes its files", async () => {
    const up = await uploadFile(core, APP, writer.accessToken, "gone.bin", "application/octet-stream", randomBytes(300_000));
    const { rows } = await pool().query<{ blob_id: string }>("SELECT blob_id FROM rootcx_system.app_files WHERE id = $1", [up.body.file_id]);
    const blobId = rows[0]!.blob_id;
    expect((await api(core, "DELETE", `/api/v1/apps/${APP}/storage/${up.body.file_id}`, undefined, admin.accessToken)).status).toBe(200);
    const left = await pool().query("SELECT 1 FROM rootcx_system.storage_blob_chunks WHERE blob_id = $1 UNION ALL SELECT 1 FROM rootcx_system.storage_blobs WHERE id = $1", [blobId]);
    expect(left.rowCount).toBe(0);

    await installApp(core, "scratch", admin.accessToken);
    await uploadFile(core, "scratch", admin.accessToken, "s.bin", "application/octet-stream", randomBytes(1000));
    const before = await storageCounts(pool());
    const un = await api(core, "DELETE", "/api/v1/apps/scratch", undefined, admin.accessToken);
    expect(un.status).toBe(200);
    const after = await storageCounts(pool());
    expect(after.files).toBe(before.files - 1);
    expect(after.blobs).toBe(before.blobs - 1);
  });
});

describe("signed URLs", () => {
  let fileId: string;
  const bytes = Buffer.from("signed content");
  beforeAll(async () => {
    fileId = (await uploadFile(core, APP, writer.accessToken, "signed.txt", "text/plain", bytes)).body.file_id;
  });
  const sign = (token: string, body: unknown) => api(core, "POST", `/api/v1/apps/${APP}/storage/${fileId}/signed-url`, body, token);

  it("downloads without a token until it expires, and not after", async () => {
    const signed = await sign(reader.accessToken, { expiresInSeconds: 2 });
    expect(signed.status).toBe(200);
    expect(signed.body.url).toMatch(new RegExp(`^/api/v1/apps/${APP}/storage/${fileId}/signed\\?expires=\\d+&signature=[A-Za-z0-9_-]{43}$`));
    expect(Date.parse(signed.body.expiresAt)).toBeGreaterThan(Date.now());
    const ok = await download(core, signed.body.url);
    expect(ok.status).toBe(200);
    expect(ok.bytes.equals(bytes)).toBe(true);
    expect(ok.headers.get("content-disposition")).toContain("attachment");
    await sleep(Date.parse(signed.body.expiresAt) - Date.now() + 50);
    const late = await api(core, "GET", signed.body.url);
    expect(late.status).toBe(403);
    expect(late.body.error).toBe(`the signed URL expired at ${signed.body.expiresAt}`);
  });

  it("refuses an altered URL: another file, a later expiry, a changed signature, a missing part", async () => {
    const signed = (await sign(reader.accessToken, { expiresInSeconds: 600 })).body.url as string;
    const url = new URL(signed, core.url);
    const expires = Number(url.searchParams.get("expires"));
    const other = (await uploadFile(core, APP, writer.accessToken, "other-signed.txt", "text/plain", Buffer.from("x"))).body.file_id as string;
    const invalid = "the signed URL's signature is not valid (altered, or its signing key was rotated)";
    for (const path of [signed.replace(fileId, other), signed.replace(`expires=${expires}`, `expires=${expires + 1000}`), signed.slice(0, -2) + (signed.endsWith("AA") ? "AB" : "AA")]) {
      const res = await api(core, "GET", path);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe(invalid);
    }
    const bare = await api(core, "GET", `/api/v1/apps/${APP}/storage/${fileId}/signed`);
    expect(bare.status).toBe(403);
    expect(bare.body.error).toBe("a signed URL needs both expires and signature");
  });

  it("signing needs a read permission of the app and a sane lifetime", async () => {
    const denied = await sign(nobody.accessToken, { expiresInSeconds: 60 });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe(`permission required: a read permission of the app (app:${APP}:<entity>.read)`);
    const tooLong = await sign(reader.accessToken, { expiresInSeconds: 8 * 24 * 3600 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toContain("expiresInSeconds must be at most 604800 (7 days)");
    const zero = await sign(reader.accessToken, { expiresInSeconds: 0 });
    expect(zero.status).toBe(400);
    expect(zero.body.error).toContain("expiresInSeconds must be at least 1");
  });

  it("rotating the signing key (admin only, audited) revokes every URL signed before", async () => {
    const before = (await sign(reader.accessToken, { expiresInSeconds: 600 })).body.url as string;
    expect((await download(core, before)).status).toBe(200);
    const notAdmin = await api(core, "POST", "/api/v1/storage/signing-key/rotate", undefined, reader.accessToken);
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body.error).toBe("admin role required");
    const rotated = await api(core, "POST", "/api/v1/storage/signing-key/rotate", undefined, admin.accessToken);
    expect(rotated.status).toBe(200);
    expect(rotated.body.generation).toBeGreaterThan(1);
    const revoked = await api(core, "GET", before);
    expect(revoked.status).toBe(403);
    expect(revoked.body.error).toBe("the signed URL's signature is not valid (altered, or its signing key was rotated)");
    const after = (await sign(reader.accessToken, { expiresInSeconds: 600 })).body.url as string;
    expect((await download(core, after)).status).toBe(200);
    const audit = await api(core, "GET", "/api/v1/audit?operation=storage.signing_key_rotate", undefined, admin.accessToken);
    expect(audit.status).toBe(200);
    expect(audit.body.data ?? audit.body).toEqual(expect.arrayContaining([expect.objectContaining({ operation: "storage.signing_key_rotate", actor_uid: admin.userId, record_id: String(rotated.body.generation) })]));
  });
});

describe("manifest fields of type file", () => {
  const DOCS = "docs";
  let own: string;
  let foreign: string;
  beforeAll(async () => {
    const m = { appId: DOCS, name: "Docs", version: "1.0.0", dataContract: [{ entityName: "doc", fields: [{ name: "title", type: "text" }, { name: "attachment", type: "file" }] }] };
    expect((await api(core, "POST", "/api/v1/apps", m, admin.accessToken)).status).toBe(200);
    own = (await uploadFile(core, DOCS, admin.accessToken, "own.txt", "text/plain", Buffer.from("own"))).body.file_id;
    foreign = (await uploadFile(core, APP, admin.accessToken, "foreign.txt", "text/plain", Buffer.from("foreign"))).body.file_id;
  });
  const base = `/api/v1/apps/${DOCS}/collections/doc`;
  const notAFile = (where: string, id: string) => `${where}: ${JSON.stringify(id)} is not a file of app ${DOCS} (upload it with POST /apps/${DOCS}/storage/upload)`;

  it("accept a file of the app and null, refuse another app's file or an unknown id naming the field", async () => {
    const ok = await api(core, "POST", base, { title: "a", attachment: own }, admin.accessToken);
    expect(ok.status).toBe(201);
    expect(ok.body.attachment).toBe(own);
    expect((await api(core, "POST", base, { title: "b", attachment: null }, admin.accessToken)).status).toBe(201);
    const other = await api(core, "POST", base, { title: "c", attachment: foreign }, admin.accessToken);
    expect(other).toMatchObject({ status: 400, body: { error: notAFile('field "attachment"', foreign) } });
    const unknown = await api(core, "PATCH", `${base}/${ok.body.id}`, { attachment: "not-a-file" }, admin.accessToken);
    expect(unknown).toMatchObject({ status: 400, body: { error: notAFile('field "attachment"', "not-a-file") } });
    const bulk = await api(core, "POST", `${base}/bulk`, [{ title: "d", attachment: own }, { title: "e", attachment: foreign }], admin.accessToken);
    expect(bulk).toMatchObject({ status: 400, body: { error: notAFile('record 1, field "attachment"', foreign) } });
    const { rows } = await pool().query("SELECT title FROM docs.doc ORDER BY title");
    expect(rows.map((r) => r.title)).toEqual(["a", "b"]);
  });
});

describe("slow uploads", () => {
  it("30 stalled uploads neither starve other requests nor leave anything behind once they give up", async () => {
    const before = await storageCounts(pool());
    const mp = multipartBody("slow.bin", "application/octet-stream", Buffer.alloc(0));
    const head = mp.body.subarray(0, mp.body.indexOf("\r\n\r\n") + 4);
    const url = new URL(core.url);
    const sockets = await Promise.all(
      Array.from({ length: 30 }, () =>
        new Promise<net.Socket>((resolve) => {
          const s = net.connect(Number(url.port), url.hostname, () => {
            s.write(`POST /api/v1/apps/${APP}/storage/upload HTTP/1.1\r\nHost: localhost\r\ncontent-type: ${mp.contentType}\r\nauthorization: Bearer ${writer.accessToken}\r\ncontent-length: 10000000\r\n\r\n`);
            s.write(head);
            s.write(Buffer.alloc(300_000, 1));
            resolve(s);
          });
          s.on("error", () => undefined);
        }),
      ),
    );
    try {
      await sleep(500);
      // Every pooled connection an upload held would be one less for these.
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => api(core, "GET", i % 2 ? "/api/v1/roles" : `/api/v1/apps/${APP}/collections/note`, undefined, i % 2 ? admin.accessToken : reader.accessToken)));
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const s of sockets) s.destroy();
    }
    await settled(pool());
    expect(await storageCounts(pool())).toEqual(before);
  }, 30_000);
});
