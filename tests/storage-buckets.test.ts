import { randomBytes } from "node:crypto";
import net from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { api, signUpAndIn, startTestCore, type Json, type Session, type TestCore } from "./harness.ts";

let core: TestCore;
let db: pg.Pool;
let admin: Session;

beforeAll(async () => {
  core = await startTestCore();
  db = new pg.Pool({ connectionString: core.database.url, max: 2 });
  admin = await signUpAndIn(core, "storage-admin@test.local");
});
afterAll(async () => {
  await db?.end();
  await core?.dispose();
});

const MiB = 1024 * 1024;
// A complete 1×1 PNG: the sniffer reads past the signature into the chunks, so random bytes after it would not do.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
const HTML = Buffer.from("<!doctype html><html><body><script>alert(document.cookie)</script></body></html>");

const v1 = (path: string) => `/api/v1${path}`;
const as = (s: Session | undefined, method: string, path: string, body?: unknown): Promise<Json> => api(core, method, v1(path), body, s?.accessToken);

interface Upload {
  bucket: string;
  name: string;
  bytes: Buffer;
  type?: string;
  parentId?: string;
  token?: string;
}

async function upload(u: Upload): Promise<Json> {
  const form = new FormData();
  if (u.parentId) form.append("parent_id", u.parentId);
  form.append("file", new Blob([new Uint8Array(u.bytes)], { type: u.type ?? "application/octet-stream" }), u.name);
  const res = await fetch(`${core.url}/api/v1/storage/objects/${u.bucket}/upload`, {
    method: "POST",
    headers: u.token ? { authorization: `Bearer ${u.token}` } : {},
    body: form,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Rows of every table that holds stored bytes or their owners: what a refused upload must leave unchanged. */
async function storedCounts(): Promise<{ objects: number; blobs: number; chunks: number }> {
  const { rows } = await db.query<{ objects: number; blobs: number; chunks: number }>(
    `SELECT (SELECT count(*)::int FROM rootcx_system.storage_objects) AS objects,
            (SELECT count(*)::int FROM rootcx_system.storage_blobs) AS blobs,
            (SELECT count(*)::int FROM rootcx_system.storage_blob_chunks) AS chunks`,
  );
  return rows[0]!;
}

const createBucket = (body: Record<string, unknown>, by: Session = admin): Promise<Json> => as(by, "POST", "/storage/buckets", body);

/** A signed-in user holding exactly `permissions` through a role of its own. */
async function userWith(tag: string, permissions: string[]): Promise<Session> {
  const user = await signUpAndIn(core, `${tag}@test.local`);
  if (permissions.length) {
    expect((await as(admin, "POST", "/roles", { name: `r_${tag}`, permissions })).status).toBe(200);
    expect((await as(admin, "POST", "/roles/assign", { userId: user.userId, role: `r_${tag}` })).status).toBe(200);
  }
  return user;
}

async function folder(bucket: string, name: string, parentId?: string): Promise<string> {
  const res = await as(admin, "POST", `/storage/objects/${bucket}`, { name, parent_id: parentId });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

describe("buckets", () => {
  it("lists the seeded default bucket, creates one with limits and types, refuses duplicates and bad names", async () => {
    const list = await as(admin, "GET", "/storage/buckets");
    expect(list.status).toBe(200);
    expect(list.body).toContainEqual(expect.objectContaining({ name: "default", public: false, max_file_size: null, allowed_types: [] }));

    const created = await createBucket({ name: "photos", public: false, max_file_size: 5 * MiB, allowed_types: ["image/*", "Application/PDF"] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "photos", public: false, max_file_size: 5 * MiB, allowed_types: ["image/*", "application/pdf"] });
    expect(new Date(created.body.created_at).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const again = await createBucket({ name: "photos" });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe("bucket photos already exists");

    for (const [name, reason] of [["Photos", "bucket names are 1 to 63"], ["my-bucket", "bucket names are 1 to 63"], ["", "bucket names are 1 to 63"], ["x".repeat(64), "bucket names are 1 to 63"]] as const) {
      const bad = await createBucket({ name });
      expect(bad.status, name).toBe(400);
      expect(bad.body.error).toContain(reason);
    }
    const tooBig = await createBucket({ name: "huge", max_file_size: 64 * MiB + 1 });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error).toContain("max_file_size must be at most 67108864 bytes");
    const badType = await createBucket({ name: "typed", allowed_types: ["images"] });
    expect(badType.status).toBe(400);
    expect(badType.body.error).toContain('allowed_types entries are media types like "image/png"');
  });

  it("keeps default, refuses to delete a bucket with objects (409), deletes an empty one, and audits both changes", async () => {
    const keep = await as(admin, "DELETE", "/storage/buckets/default");
    expect(keep.status).toBe(400);
    expect(keep.body.error).toBe("the bucket default cannot be deleted");

    expect((await createBucket({ name: "scratch" })).status).toBe(201);
    const id = await folder("scratch", "inside");
    const full = await as(admin, "DELETE", "/storage/buckets/scratch");
    expect(full.status).toBe(409);
    expect(full.body.error).toBe("bucket scratch is not empty; delete its objects first");

    expect((await as(admin, "DELETE", `/storage/objects/scratch/${id}`)).body).toEqual({ deleted: true });
    expect((await as(admin, "DELETE", "/storage/buckets/scratch")).body).toEqual({ deleted: true });
    const gone = await as(admin, "DELETE", "/storage/buckets/scratch");
    expect(gone.status).toBe(404);
    expect(gone.body.error).toBe("bucket scratch not found");

    const audit = await as(admin, "GET", "/audit?record_id=scratch");
    expect(audit.body.map((r: { operation: string }) => r.operation).sort()).toEqual(["bucket.create", "bucket.delete"]);
  });

  it("declares each bucket's permission keys while the bucket exists", async () => {
    expect((await createBucket({ name: "declared" })).status).toBe(201);
    const keys = async () => ((await as(admin, "GET", "/permissions/available")).body as { key: string }[]).map((k) => k.key);
    expect(await keys()).toEqual(expect.arrayContaining(["storage:read", "storage:write", "storage:delete", "storage:admin", "storage:default:read", "storage:declared:read", "storage:declared:admin"]));
    expect((await as(admin, "DELETE", "/storage/buckets/declared")).status).toBe(200);
    expect((await keys()).filter((k) => k.startsWith("storage:declared:"))).toEqual([]);
  });
});

describe("upload limits", () => {
  it("takes exactly the bucket's max_file_size and refuses one byte more with 413, storing nothing", async () => {
    expect((await createBucket({ name: "small", max_file_size: 1000 })).status).toBe(201);
    const exact = await upload({ bucket: "small", name: "exact.bin", bytes: randomBytes(1000), token: admin.accessToken });
    expect(exact.status, JSON.stringify(exact.body)).toBe(201);
    expect(exact.body).toMatchObject({ name: "exact.bin", size: 1000, is_folder: false, parent_id: null, content_type: "application/octet-stream" });

    const before = await storedCounts();
    const over = await upload({ bucket: "small", name: "over.bin", bytes: randomBytes(1001), token: admin.accessToken });
    expect(over.status).toBe(413);
    expect(over.body.error).toBe("the file exceeds the limit of 1000 bytes");
    expect(await storedCounts()).toEqual(before);
  });

  // Once while the body streams in, and once before the upload began reading at all: the bucket's table is
  // locked by the test, so the upload's first query waits until the client is long gone.
  for (const variant of ["while streaming", "before the upload read anything"] as const) {
    it(`leaves nothing behind, and no transaction open, when the client goes away ${variant}`, async () => {
      const before = await storedCounts();
      const blocker = variant === "while streaming" ? undefined : await db.connect();
      await blocker?.query("BEGIN; LOCK TABLE rootcx_system.storage_buckets IN ACCESS EXCLUSIVE MODE");
      const boundary = "----cut-off";
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
      const url = new URL(core.url);
      await new Promise<void>((resolve) => {
        const socket = net.connect(Number(url.port), url.hostname, () => {
          socket.write(`POST /api/v1/storage/objects/default/upload HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${admin.accessToken}\r\n` +
            `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${3 * MiB}\r\n\r\n${head}`);
          // More than a few chunks, so rows were written inside the transaction before the client vanished.
          socket.write(randomBytes(MiB + 12_345), () => setTimeout(() => socket.destroy(), 300));
        });
        socket.on("close", () => resolve());
        socket.on("error", () => resolve());
      });
      if (blocker) {
        await new Promise((r) => setTimeout(r, 200));
        await blocker.query("COMMIT");
        blocker.release();
      }
      const openTransactions = async () =>
        (await db.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'")).rows[0].n as number;
      // The upload may only begin its transaction after the lock is released (the server notices the client is gone
      // once it reads the body): a single zero could come before that, so none may be open for 500 ms in a row.
      const until = Date.now() + 5000;
      let quietSince = Date.now();
      while (Date.now() < until && Date.now() - quietSince < 500) {
        if ((await openTransactions()) > 0) quietSince = Date.now();
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await openTransactions()).toBe(0);
      expect(await storedCounts()).toEqual(before);
    });
  }

  it("holds the platform's 64 MiB in a bucket without a limit of its own", async () => {
    const exact = await upload({ bucket: "default", name: "exactly-64.bin", bytes: Buffer.alloc(64 * MiB, 7), token: admin.accessToken });
    expect(exact.status, JSON.stringify(exact.body)).toBe(201);
    expect(exact.body.size).toBe(64 * MiB);
    const before = await storedCounts();
    const over = await upload({ bucket: "default", name: "over-64.bin", bytes: Buffer.alloc(64 * MiB + 1, 7), token: admin.accessToken });
    expect(over.status).toBe(413);
    expect(over.body.error).toBe(`the file exceeds the limit of ${64 * MiB} bytes`);
    expect(await storedCounts()).toEqual(before);
    expect((await as(admin, "DELETE", `/storage/objects/default/${exact.body.id}`)).status).toBe(200);
  }, 60_000);
});

describe("content types", () => {
  it("refuses, in an images-only bucket, an HTML page declared as image/png, and types outside the list, storing nothing", async () => {
    expect((await createBucket({ name: "images", allowed_types: ["image/*"] })).status).toBe(201);
    const png = await upload({ bucket: "images", name: "real.png", bytes: PNG, type: "image/png", token: admin.accessToken });
    expect(png.status, JSON.stringify(png.body)).toBe(201);
    expect(png.body.content_type).toBe("image/png");

    const before = await storedCounts();
    const disguised = await upload({ bucket: "images", name: "cat.png", bytes: HTML, type: "image/png", token: admin.accessToken });
    expect(disguised.status).toBe(415);
    expect(disguised.body.error).toBe("the file's content does not match its declared type image/png");

    const declaredHtml = await upload({ bucket: "images", name: "page.html", bytes: HTML, type: "text/html", token: admin.accessToken });
    expect(declaredHtml.status).toBe(415);
    expect(declaredHtml.body.error).toBe("the file is declared as text/html, which the bucket images does not allow (allowed: image/*)");

    // Declaring nothing does not get past the list: the bytes (a PDF) decide.
    const pdf = Buffer.from("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n");
    const undeclared = await upload({ bucket: "images", name: "doc", bytes: pdf, type: "application/octet-stream", token: admin.accessToken });
    expect(undeclared.status).toBe(415);
    expect(undeclared.body.error).toBe("the file's bytes are application/pdf, which the bucket images does not allow (allowed: image/*)");
    expect(await storedCounts()).toEqual(before);
  });

  it("accepts any type in a bucket without allowed_types", async () => {
    const html = await upload({ bucket: "default", name: "page.html", bytes: HTML, type: "text/html", token: admin.accessToken });
    expect(html.status).toBe(201);
    expect(html.body.content_type).toBe("text/html");
    await as(admin, "DELETE", `/storage/objects/default/${html.body.id}`);
  });
});

describe("names", () => {
  const hostile: [string, string][] = [
    ["a/b", 'name must not contain "/" (folders are objects of their own)'],
    ["..", 'name must not be "." or ".."'],
    [".", 'name must not be "." or ".."'],
    ["nul\u0000byte", "name must not contain NUL or other control characters"],
    ["line\nbreak", "name must not contain NUL or other control characters"],
    ["tab\there", "name must not contain NUL or other control characters"],
    ["del\u007f", "name must not contain NUL or other control characters"],
    ["c1\u0085", "name must not contain NUL or other control characters"],
    ["x".repeat(256), "name must be at most 255 characters"],
    ["é".repeat(300), "name must be at most 255 characters"],
    ["", "name must not be empty"],
  ];

  it("refuses hostile folder names and renames with the reason, and takes 255 characters", async () => {
    for (const [name, reason] of hostile) {
      const res = await as(admin, "POST", "/storage/objects/default", { name });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(res.body.error).toBe(`name: ${reason}`);
    }
    const longest = await as(admin, "POST", "/storage/objects/default", { name: "é".repeat(255) });
    expect(longest.status).toBe(201);
    for (const [name, reason] of hostile) {
      const res = await as(admin, "PATCH", `/storage/objects/default/${longest.body.id}`, { name });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(res.body.error).toBe(`name: ${reason}`);
    }
    await as(admin, "DELETE", `/storage/objects/default/${longest.body.id}`);
  });

  it("refuses a hostile uploaded file name instead of shortening it, storing nothing", async () => {
    const before = await storedCounts();
    for (const [name, reason] of [["../../etc/passwd", 'name must not contain "/" (folders are objects of their own)'], ["..", 'name must not be "." or ".."'], ["x".repeat(300), "name must be at most 255 characters"]]) {
      const res = await upload({ bucket: "default", name: name!, bytes: Buffer.from("x"), token: admin.accessToken });
      expect(res.status, name).toBe(400);
      expect(res.body.error).toBe(`file name: ${reason}`);
    }
    expect(await storedCounts()).toEqual(before);
  });

  it("refuses hostile bucket names and ids in paths with 400", async () => {
    const res = await as(admin, "GET", "/storage/objects/..%2F..");
    expect(res.status).toBe(400);
    expect(res.body.error).toContain("bucket names are 1 to 63");
    const id = await as(admin, "GET", "/storage/objects/default/1;DROP/ancestors");
    expect(id.status).toBe(400);
    expect(id.body.error).toBe("object ids are UUIDs");
  });

  it("keeps names unique per folder, the root included, under concurrent creates and uploads", async () => {
    expect((await createBucket({ name: "race" })).status).toBe(201);
    for (const parentId of [undefined, await folder("race", "parent")]) {
      const creates = await Promise.all(Array.from({ length: 8 }, () => as(admin, "POST", "/storage/objects/race", { name: "same", parent_id: parentId })));
      expect(creates.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      for (const r of creates.filter((c) => c.status === 409)) expect(r.body.error).toBe('an object named "same" already exists in this folder');

      const before = await storedCounts();
      // Three: one caller's share of the upload slots (UPLOADS_PER_UPLOADER); a fourth at once would be 429.
      const uploads = await Promise.all(Array.from({ length: 3 }, () => upload({ bucket: "race", name: "same.txt", bytes: randomBytes(300_000), parentId, token: admin.accessToken })));
      expect(uploads.map((r) => r.status).sort()).toEqual([201, 409, 409]);
      for (const r of uploads.filter((c) => c.status === 409)) expect(r.body.error).toBe('an object named "same.txt" already exists in this folder');
      // Only the winner's blob is left: the losers' rolled back with their refusal.
      expect((await storedCounts()).blobs).toBe(before.blobs + 1);
    }
    const { rows } = await db.query("SELECT parent_id, name, count(*)::int AS n FROM rootcx_system.storage_objects WHERE bucket = 'race' GROUP BY 1, 2 HAVING count(*) > 1");
    expect(rows).toEqual([]);
  });
});

describe("folders", () => {
  it("lists a folder, moves and renames, and answers breadcrumbs", async () => {
    expect((await createBucket({ name: "tree" })).status).toBe(201);
    const a = await folder("tree", "a");
    const b = await folder("tree", "b", a);
    const file = await upload({ bucket: "tree", name: "notes.txt", bytes: Buffer.from("hello"), type: "text/plain", parentId: b, token: admin.accessToken });
    expect(file.status).toBe(201);
    expect(file.body.parent_id).toBe(b);

    const inB = await as(admin, "GET", `/storage/objects/tree?parent_id=${b}`);
    expect(inB.body.map((o: { name: string }) => o.name)).toEqual(["notes.txt"]);
    const root = await as(admin, "GET", "/storage/objects/tree");
    expect(root.body.map((o: { name: string }) => o.name)).toEqual(["a"]);
    expect((await as(admin, "GET", `/storage/objects/tree/${file.body.id}/ancestors`)).body).toEqual([
      { id: a, name: "a" },
      { id: b, name: "b" },
      { id: file.body.id, name: "notes.txt" },
    ]);

    const moved = await as(admin, "PATCH", `/storage/objects/tree/${file.body.id}`, { parent_id: null, name: "top.txt" });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ parent_id: null, name: "top.txt" });
    const intoFile = await as(admin, "PATCH", `/storage/objects/tree/${b}`, { parent_id: file.body.id });
    expect(intoFile.status).toBe(400);
    expect(intoFile.body.error).toBe("top.txt is a file, not a folder");
    const nowhere = await as(admin, "PATCH", `/storage/objects/tree/${b}`, { parent_id: "00000000-0000-4000-8000-000000000000" });
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.error).toBe("folder 00000000-0000-4000-8000-000000000000 not found in bucket tree");
    const nothing = await as(admin, "PATCH", `/storage/objects/tree/${b}`, {});
    expect(nothing.status).toBe(400);
    expect(nothing.body.error).toBe("give name, parent_id or both");
    const clash = await as(admin, "PATCH", `/storage/objects/tree/${b}`, { parent_id: null, name: "a" });
    expect(clash.status).toBe(409);
    expect(clash.body.error).toBe('an object named "a" already exists in this folder');
    const otherBucket = await as(admin, "PATCH", `/storage/objects/default/${b}`, { name: "x" });
    expect(otherBucket.status).toBe(404);
    expect(otherBucket.body.error).toBe(`object ${b} not found in bucket default`);
  });

  it("never moves a folder into itself or its own subtree", async () => {
    const top = await folder("tree", "top");
    const mid = await folder("tree", "mid", top);
    const low = await folder("tree", "low", mid);
    for (const into of [top, mid, low]) {
      const res = await as(admin, "PATCH", `/storage/objects/tree/${top}`, { parent_id: into });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("cannot move the folder top into itself or one of its own subfolders");
    }
    // Sideways and up is fine.
    expect((await as(admin, "PATCH", `/storage/objects/tree/${low}`, { parent_id: top })).status).toBe(200);
  });

  it("lets only one of two concurrent moves through when together they would make a loop", async () => {
    for (let round = 0; round < 15; round++) {
      const x = await folder("tree", `x${round}`);
      const y = await folder("tree", `y${round}`);
      const [xy, yx] = await Promise.all([
        as(admin, "PATCH", `/storage/objects/tree/${x}`, { parent_id: y }),
        as(admin, "PATCH", `/storage/objects/tree/${y}`, { parent_id: x }),
      ]);
      expect([xy.status, yx.status].sort()).toEqual([200, 400]);
      const refused = xy.status === 400 ? xy : yx;
      expect(refused.body.error).toMatch(/^cannot move the folder [xy]\d+ into itself or one of its own subfolders$/);
    }
    // Every object still reaches the root.
    const { rows } = await db.query(
      `WITH RECURSIVE up (id, start, parent_id) AS (
         SELECT id, id, parent_id FROM rootcx_system.storage_objects WHERE bucket = 'tree'
         UNION ALL SELECT o.id, up.start, o.parent_id FROM rootcx_system.storage_objects o JOIN up ON o.id = up.parent_id
       ) CYCLE id SET looped USING path
       SELECT start FROM up WHERE looped`,
    );
    expect(rows).toEqual([]);
  });

  it("deletes a folder with everything under it and frees every blob", async () => {
    const before = await storedCounts();
    const top = await folder("tree", "doomed");
    const sub = await folder("tree", "sub", top);
    for (const [name, parentId] of [["one.bin", top], ["two.bin", sub], ["three.bin", sub]] as const) {
      expect((await upload({ bucket: "tree", name, bytes: randomBytes(600_000), parentId, token: admin.accessToken })).status).toBe(201);
    }
    const during = await storedCounts();
    expect(during.objects).toBe(before.objects + 5);
    expect(during.blobs).toBe(before.blobs + 3);
    expect(during.chunks).toBeGreaterThan(before.chunks);

    expect((await as(admin, "DELETE", `/storage/objects/tree/${top}`)).body).toEqual({ deleted: true });
    expect(await storedCounts()).toEqual(before);
    const again = await as(admin, "DELETE", `/storage/objects/tree/${top}`);
    expect(again.status).toBe(404);
    expect(again.body.error).toBe(`object ${top} not found in bucket tree`);
  });
});

describe("permissions", () => {
  let readerAll: Session;
  let photosOnly: Session;
  let nobody: Session;
  let everything: Session;
  let fileInDefault: string;

  beforeAll(async () => {
    readerAll = await userWith("reader_all", ["storage:read"]);
    photosOnly = await userWith("photos_only", ["storage:photos:*"]);
    nobody = await userWith("nobody", []);
    everything = await userWith("everything", ["storage:*"]);
    const f = await upload({ bucket: "default", name: "shared.txt", bytes: Buffer.from("shared"), type: "text/plain", token: admin.accessToken });
    fileInDefault = f.body.id;
  });

  it("refuses a caller without the key with 403 naming both keys that would grant it", async () => {
    const list = await as(nobody, "GET", "/storage/objects/default");
    expect(list.status).toBe(403);
    expect(list.body.error).toBe("permission required: storage:default:read or storage:read");
    const up = await upload({ bucket: "default", name: "n.txt", bytes: Buffer.from("n"), token: nobody.accessToken });
    expect(up.status).toBe(403);
    expect(up.body.error).toBe("permission required: storage:default:write or storage:write");
    const del = await as(nobody, "DELETE", `/storage/objects/default/${fileInDefault}`);
    expect(del.status).toBe(403);
    expect(del.body.error).toBe("permission required: storage:default:delete or storage:delete");
    const mk = await as(nobody, "POST", "/storage/buckets", { name: "mine" });
    expect(mk.status).toBe(403);
    expect(mk.body.error).toBe("permission required: storage:mine:admin or storage:admin");
    const buckets = await as(nobody, "GET", "/storage/buckets");
    expect(buckets.status).toBe(200);
    expect(buckets.body.filter((b: { public: boolean }) => !b.public)).toEqual([]);
  });

  it("storage:read reads every bucket and writes none", async () => {
    expect((await as(readerAll, "GET", "/storage/objects/default")).status).toBe(200);
    expect((await as(readerAll, "GET", "/storage/objects/photos")).status).toBe(200);
    expect((await as(readerAll, "GET", `/storage/objects/default/${fileInDefault}/ancestors`)).status).toBe(200);
    const names = (await as(readerAll, "GET", "/storage/buckets")).body.map((b: { name: string }) => b.name);
    expect(names).toEqual(expect.arrayContaining(["default", "photos", "images"]));
    const mk = await as(readerAll, "POST", "/storage/objects/default", { name: "nope" });
    expect(mk.status).toBe(403);
    expect(mk.body.error).toBe("permission required: storage:default:write or storage:write");
    const rename = await as(readerAll, "PATCH", `/storage/objects/default/${fileInDefault}`, { name: "renamed.txt" });
    expect(rename.status).toBe(403);
  });

  it("a bucket's own keys (storage:photos:*) grant that bucket only", async () => {
    const made = await as(photosOnly, "POST", "/storage/objects/photos", { name: "album" });
    expect(made.status).toBe(201);
    const png = await upload({ bucket: "photos", name: "p.png", bytes: PNG, type: "image/png", parentId: made.body.id, token: photosOnly.accessToken });
    expect(png.status).toBe(201);
    expect((await as(photosOnly, "DELETE", `/storage/objects/photos/${made.body.id}`)).status).toBe(200);
    const other = await as(photosOnly, "GET", "/storage/objects/default");
    expect(other.status).toBe(403);
    expect(other.body.error).toBe("permission required: storage:default:read or storage:read");
    expect((await as(photosOnly, "GET", "/storage/buckets")).body.map((b: { name: string }) => b.name)).toContain("photos");
    expect((await as(photosOnly, "GET", "/storage/buckets")).body.map((b: { name: string }) => b.name)).not.toContain("default");
    // Its admin key lets it delete its own bucket only.
    const dropOther = await as(photosOnly, "DELETE", "/storage/buckets/images");
    expect(dropOther.status).toBe(403);
    expect(dropOther.body.error).toBe("permission required: storage:images:admin or storage:admin");
  });

  it("storage:* does everything, bucket creation included", async () => {
    const made = await as(everything, "POST", "/storage/buckets", { name: "everything_b" });
    expect(made.status).toBe(201);
    expect((await as(everything, "POST", "/storage/objects/everything_b", { name: "f" })).status).toBe(201);
    expect((await as(everything, "GET", "/storage/objects/everything_b")).body).toHaveLength(1);
  });

  it("a public bucket is readable without any token or permission, and writable by no one anonymous", async () => {
    expect((await createBucket({ name: "open", public: true })).status).toBe(201);
    const f = await upload({ bucket: "open", name: "hello.txt", bytes: Buffer.from("hello world"), type: "text/plain", token: admin.accessToken });
    expect(f.status).toBe(201);
    expect((await as(undefined, "GET", "/storage/objects/open")).body.map((o: { name: string }) => o.name)).toEqual(["hello.txt"]);
    expect((await as(undefined, "GET", `/storage/objects/open/${f.body.id}/ancestors`)).status).toBe(200);
    expect((await as(nobody, "GET", "/storage/objects/open")).status).toBe(200);
    expect((await as(nobody, "GET", "/storage/buckets")).body.map((b: { name: string }) => b.name)).toContain("open");

    const anonUpload = await upload({ bucket: "open", name: "x.txt", bytes: Buffer.from("x") });
    expect(anonUpload.status).toBe(401);
    expect(anonUpload.body.error).toBe("missing bearer token");
    const nobodyWrite = await as(nobody, "POST", "/storage/objects/open", { name: "x" });
    expect(nobodyWrite.status).toBe(403);
    // A private bucket, existing or not, tells an anonymous caller only that it must sign in.
    for (const bucket of ["default", "no_such_bucket"]) {
      const res = await as(undefined, "GET", `/storage/objects/${bucket}`);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe("missing bearer token");
    }
    // A token that is sent must be valid, even where none is needed.
    const forged = await api(core, "GET", v1("/storage/objects/open"), undefined, "eyJhbGciOiJIUzI1NiJ9.e30.forged");
    expect(forged.status).toBe(401);
  });

  it("serves the same services over tRPC", async () => {
    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${photosOnly.accessToken}` } });
    const f = await client.storage.objects.createFolder.mutate({ bucket: "photos", name: "via-trpc", parent_id: null });
    expect(f).toMatchObject({ name: "via-trpc", is_folder: true });
    expect((await client.storage.objects.rename.mutate({ bucket: "photos", id: f.id, name: "renamed" })).name).toBe("renamed");
    expect(await client.storage.objects.ancestors.query({ bucket: "photos", id: f.id })).toEqual([{ id: f.id, name: "renamed" }]);
    const denied = await client.storage.objects.list.query({ bucket: "default" }).catch((e: unknown) => e as Error);
    expect((denied as Error).message).toBe("permission required: storage:default:read or storage:read");
    expect(await client.storage.objects.delete.mutate({ bucket: "photos", id: f.id })).toEqual({ deleted: true });
  });
});

describe("downloads and signed links", () => {
  const bytes = randomBytes(700_000);
  let fileId: string;
  let reader: Session;

  beforeAll(async () => {
    expect((await createBucket({ name: "docs" })).status).toBe(201);
    const f = await upload({ bucket: "docs", name: "résumé 2026.bin", bytes, type: "application/octet-stream", token: admin.accessToken });
    expect(f.status).toBe(201);
    fileId = f.body.id;
    reader = await userWith("docs_reader", ["storage:docs:read"]);
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${core.url}/api/v1${path}`, { headers });

  it("streams the file back byte for byte, as an attachment with nosniff and its SHA-256 as ETag, and serves ranges", async () => {
    const res = await get(`/storage/objects/docs/${fileId}`, { authorization: `Bearer ${reader.accessToken}` });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="r?sum? 2026.bin"; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.bin`);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-length")).toBe(String(bytes.length));
    const { rows } = await db.query("SELECT sha256 FROM rootcx_system.storage_objects WHERE id = $1", [fileId]);
    expect(res.headers.get("etag")).toBe(`"${rows[0].sha256}"`);

    const part = await get(`/storage/objects/docs/${fileId}`, { authorization: `Bearer ${reader.accessToken}`, range: "bytes=300000-300099" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 300000-300099/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(300000, 300100))).toBe(true);
  });

  it("refuses a folder, an anonymous caller and a caller without read, each with its reason", async () => {
    const dir = await folder("docs", "a-folder");
    const res = await get(`/storage/objects/docs/${dir}`, { authorization: `Bearer ${admin.accessToken}` });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe("a-folder is a folder; only files can be downloaded");
    const anon = await get(`/storage/objects/docs/${fileId}`);
    expect(anon.status).toBe(401);
    expect((await anon.json()).error).toBe("missing bearer token");
    const other = await userWith("docs_outsider", ["storage:photos:read"]);
    const denied = await get(`/storage/objects/docs/${fileId}`, { authorization: `Bearer ${other.accessToken}` });
    expect(denied.status).toBe(403);
    expect((await denied.json()).error).toBe("permission required: storage:docs:read or storage:read");
  });

  it("serves a public bucket's files without a token", async () => {
    const f = await upload({ bucket: "open", name: "pub.bin", bytes: bytes.subarray(0, 1000), token: admin.accessToken });
    const res = await get(`/storage/objects/open/${f.body.id}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(0, 1000))).toBe(true);
  });

  it("signs a link that works without a token until it expires, for that object only, and not after a key rotation", async () => {
    const minted = await as(reader, "POST", `/storage/objects/docs/${fileId}/signed-url`, { expiresInSeconds: 600 });
    expect(minted.status).toBe(200);
    expect(minted.body.url).toMatch(new RegExp(`^/api/v1/storage/objects/docs/${fileId}/signed\\?expires=\\d+&signature=[A-Za-z0-9_-]{43}$`));
    expect(new Date(minted.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 590_000);
    const ok = await fetch(core.url + minted.body.url);
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer()).equals(bytes)).toBe(true);

    const other = await upload({ bucket: "docs", name: "other.bin", bytes: Buffer.from("other"), token: admin.accessToken });
    const replayed = await fetch(core.url + minted.body.url.replace(fileId, other.body.id));
    expect(replayed.status).toBe(403);
    expect((await replayed.json()).error).toBe("the signed URL's signature is not valid (altered, or its signing key was rotated)");

    const outsider = await userWith("docs_signer", []);
    const refused = await as(outsider, "POST", `/storage/objects/docs/${fileId}/signed-url`, {});
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe("permission required: storage:docs:read or storage:read");

    const short = await as(reader, "POST", `/storage/objects/docs/${fileId}/signed-url`, { expiresInSeconds: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await fetch(core.url + short.body.url);
    expect(expired.status).toBe(403);
    expect((await expired.json()).error).toMatch(/^the signed URL expired at /);

    expect((await as(admin, "POST", "/storage/signing-key/rotate")).status).toBe(200);
    const rotated = await fetch(core.url + minted.body.url);
    expect(rotated.status).toBe(403);
    expect((await rotated.json()).error).toBe("the signed URL's signature is not valid (altered, or its signing key was rotated)");
  });

  it("signs through tRPC for the Studio", async () => {
    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${reader.accessToken}` } });
    const link = await client.storage.signedUrl.mutate({ bucket: "docs", id: fileId });
    expect(link.url).toContain(`/api/v1/storage/objects/docs/${fileId}/signed?`);
    expect((await fetch(core.url + link.url)).status).toBe(200);
  });
});
