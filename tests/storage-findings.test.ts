import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { installApp } from "./deploy-helpers.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { download, multipartBody, uploadFile, type Answer } from "./storage-helpers.ts";

// Issue 16's black-box findings F3-F7, F9, F10: each refusal is checked with its reason.
const APP = "files";
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
const HTML = Buffer.from("<!doctype html><html><body><script>alert(document.cookie)</script></body></html>");
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
const BYTES_38 = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyzAB");

let core: TestCore;
let admin: Session;

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "findings-admin@example.com");
  await installApp(core, APP, admin.accessToken);
  for (const bucket of [
    { name: "pics", allowed_types: ["image/*"] },
    { name: "svgs", allowed_types: ["image/svg+xml"] },
    { name: "open" },
    { name: "pub", public: true },
  ]) {
    const made = await api(core, "POST", "/api/v1/storage/buckets", bucket, admin.accessToken);
    if (made.status !== 201) throw new Error(`bucket ${bucket.name}: ${made.status} ${JSON.stringify(made.body)}`);
  }
}, 60_000);

afterAll(async () => {
  await core?.dispose();
});

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** A bucket upload built byte for byte, so names with spaces and format characters arrive exactly as given. */
async function put(bucket: string, name: string, type: string, bytes: Buffer, token: string | undefined = admin.accessToken): Promise<Answer> {
  const mp = multipartBody(name, type, bytes);
  const res = await fetch(`${core.url}/api/v1/storage/objects/${bucket}/upload`, {
    method: "POST",
    headers: { "content-type": mp.contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: new Uint8Array(mp.body),
  });
  return answer(res);
}

const folder = (bucket: string, name: string) => api(core, "POST", `/api/v1/storage/objects/${bucket}`, { name }, admin.accessToken);

describe("F3: content that is not what an image bucket allows", () => {
  it("refuses HTML declared as SVG or an unknown image type, and SVG under image/*, with the reason", async () => {
    const asSvg = await put("pics", "x.html", "image/svg+xml", HTML);
    expect(asSvg).toMatchObject({ status: 415, body: { error: "the file is declared as image/svg+xml, which the bucket pics does not allow (allowed: image/*)" } });
    const asFoo = await put("pics", "x.html", "image/x-foo", HTML);
    expect(asFoo.status).toBe(415);
    expect(asFoo.body.error).toBe("the file's content is markup or script (HTML, XML, SVG), which its declared type image/x-foo is not");
    const fooText = await put("pics", "x.foo", "image/x-foo", Buffer.from("plain words, no image"));
    expect(fooText).toMatchObject({ status: 415, body: { error: "the file is declared as image/x-foo but its bytes are not an image format the bucket pics recognises" } });
    const svg = await put("pics", "x.svg", "image/svg+xml", SVG);
    expect(svg.status).toBe(415);
    expect((await put("pics", "ok.png", "image/png", PNG)).status).toBe(201);
  });

  it("lets SVG into a bucket that lists image/svg+xml explicitly", async () => {
    expect((await put("svgs", "ok.svg", "image/svg+xml", SVG)).status).toBe(201);
  });

  it("never takes markup under a non-text type, in any bucket and in app files; text types keep it", async () => {
    const bucket = await put("open", "x.bin", "application/x-foo", HTML);
    expect(bucket).toMatchObject({ status: 415, body: { error: "the file's content is markup or script (HTML, XML, SVG), which its declared type application/x-foo is not" } });
    const app = await uploadFile(core, APP, admin.accessToken, "x.png", "image/x-foo", HTML);
    expect(app).toMatchObject({ status: 415, body: { error: "the file's content is markup or script (HTML, XML, SVG), which its declared type image/x-foo is not" } });
    expect((await put("open", "page.html", "text/html", HTML)).status).toBe(201);
    expect((await uploadFile(core, APP, admin.accessToken, "page.html", "text/html", HTML)).status).toBe(201);
  });
});

describe("F4, F7: names", () => {
  it("refuses leading or trailing white space (NBSP included) in app file and folder names", async () => {
    const reason = "name must not start or end with white space";
    for (const name of [" lead.txt", "x ", "\u00a0y.txt"]) {
      expect(await uploadFile(core, APP, admin.accessToken, name, "text/plain", Buffer.from("x"))).toMatchObject({ status: 400, body: { error: `file name: ${reason}` } });
    }
    for (const name of [" x", "x ", "\u00a0"]) {
      const made = await folder("open", name);
      expect(made.status).toBe(400);
      expect(made.body.error).toContain(reason);
    }
  });

  it("refuses bidi controls, invisible format characters and backslashes, with reasons", async () => {
    const cases: [string, string][] = [
      ["invoice\u202efdp.exe", "bidirectional control characters"],
      ["a\u2066b", "bidirectional control characters"],
      ["zero\u200bwidth", "invisible format characters"],
      ["bom\ufeff", "invisible format characters"],
      ["a\\b", 'name must not contain "\\"'],
    ];
    for (const [name, reason] of cases) {
      const made = await folder("open", name);
      expect(made.status).toBe(400);
      expect(made.body.error).toContain(reason);
      const up = await uploadFile(core, APP, admin.accessToken, name, "text/plain", Buffer.from("x"));
      expect(up.status).toBe(400);
      expect(up.body.error).toContain(reason);
    }
  });

  it("stores names in NFC, so the two spellings of é are one name in a folder", async () => {
    const composed = await folder("open", "caf\u00e9");
    expect(composed).toMatchObject({ status: 201, body: { name: "caf\u00e9" } });
    const decomposed = await folder("open", "cafe\u0301");
    expect(decomposed).toMatchObject({ status: 409, body: { error: 'an object named "caf\u00e9" already exists in this folder' } });
    const uploaded = await put("open", "re\u0301sume\u0301.txt", "text/plain", Buffer.from("cv"));
    expect(uploaded).toMatchObject({ status: 201, body: { name: "r\u00e9sum\u00e9.txt" } });
    const twin = await put("open", "r\u00e9sum\u00e9.txt", "text/plain", Buffer.from("cv"));
    expect(twin.status).toBe(409);
    const appFile = await uploadFile(core, APP, admin.accessToken, "e\u0301.txt", "text/plain", Buffer.from("x"));
    expect(appFile).toMatchObject({ status: 201, body: { name: "\u00e9.txt" } });
  });
});

describe("F5: ranges and HEAD", () => {
  let objectId: string;
  let fileId: string;
  beforeAll(async () => {
    objectId = (await put("open", "38.txt", "text/plain", BYTES_38)).body.id;
    fileId = (await uploadFile(core, APP, admin.accessToken, "38.txt", "text/plain", BYTES_38)).body.file_id;
  });

  it("answers a suffix longer than the file with the whole file (206) and ignores a range whose end is before its start", async () => {
    const path = `/api/v1/storage/objects/open/${objectId}`;
    const suffix = await download(core, path, admin.accessToken, { range: "bytes=-39" });
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get("content-range")).toBe("bytes 0-37/38");
    expect(suffix.bytes.equals(BYTES_38)).toBe(true);
    const backwards = await download(core, path, admin.accessToken, { range: "bytes=5-2" });
    expect(backwards.status).toBe(200);
    expect(backwards.bytes.equals(BYTES_38)).toBe(true);
    const tail = await download(core, path, admin.accessToken, { range: "bytes=-3" });
    expect(tail.status).toBe(206);
    expect(tail.bytes.toString()).toBe("zAB");
    const beyond = await download(core, path, admin.accessToken, { range: "bytes=38-" });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe("bytes */38");
  });

  async function head(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: string }> {
    const res = await fetch(core.url + path, { method: "HEAD", headers: { authorization: `Bearer ${admin.accessToken}`, ...headers } });
    return { status: res.status, headers: res.headers, body: await res.text() };
  }

  it("answers HEAD on every download route with the GET's headers and no body", async () => {
    const bucketSigned = (await api(core, "POST", `/api/v1/storage/objects/open/${objectId}/signed-url`, {}, admin.accessToken)).body.url as string;
    const appSigned = (await api(core, "POST", `/api/v1/apps/${APP}/storage/${fileId}/signed-url`, {}, admin.accessToken)).body.url as string;
    const paths = [`/api/v1/storage/objects/open/${objectId}`, `/api/v1/apps/${APP}/storage/${fileId}`, bucketSigned, appSigned];
    for (const path of paths) {
      const h = await head(path);
      expect({ path, status: h.status, length: h.headers.get("content-length"), body: h.body }).toEqual({ path, status: 200, length: "38", body: "" });
      expect(h.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/);
    }
    const ranged = await head(paths[0]!, { range: "bytes=0-9" });
    expect([ranged.status, ranged.headers.get("content-range"), ranged.headers.get("content-length")]).toEqual([206, "bytes 0-9/38", "10"]);
  });

  it("a HEAD on a download nonce leaves the nonce unspent", async () => {
    const minted = await api(core, "POST", `/api/v1/apps/${APP}/storage/${fileId}/download-url`, undefined, admin.accessToken);
    const url = minted.body.url as string;
    const h = await head(url);
    expect([h.status, h.headers.get("content-length"), h.body]).toEqual([200, "38", ""]);
    const got = await download(core, url);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(BYTES_38)).toBe(true);
    const spent = await head(url);
    expect(spent.status).toBe(404);
  });
});

describe("F6: one spelling per signed URL", () => {
  it("refuses a leading zero in expires, a flipped unused bit in the signature, and padding, with the reason", async () => {
    const id = (await put("open", "signed.txt", "text/plain", Buffer.from("signed"))).body.id as string;
    const url = (await api(core, "POST", `/api/v1/storage/objects/open/${id}/signed-url`, {}, admin.accessToken)).body.url as string;
    const q = new URL(url, core.url).searchParams;
    const expires = q.get("expires")!;
    const signature = q.get("signature")!;
    const base = `/api/v1/storage/objects/open/${id}/signed`;
    const get = (e: string, s: string) => download(core, `${base}?expires=${e}&signature=${encodeURIComponent(s)}`);
    expect((await get(expires, signature)).status).toBe(200);

    const zero = await get(`0${expires}`, signature);
    expect(zero.status).toBe(403);
    expect(JSON.parse(zero.bytes.toString()).error).toBe("the signed URL's expires is not a time in seconds (decimal digits, no leading zeros)");

    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(signature.at(-1)!);
    const flipped = signature.slice(0, -1) + alphabet[last ^ 1];
    expect(Buffer.from(flipped, "base64url").equals(Buffer.from(signature, "base64url"))).toBe(true);
    const invalid = "the signed URL's signature is not valid (altered, or its signing key was rotated)";
    for (const spelling of [flipped, `${signature}=`, signature.replaceAll("-", "+").replaceAll("_", "/") + "="]) {
      const res = await get(expires, spelling);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.bytes.toString()).error).toBe(invalid);
    }
  });
});

describe("F9, F10: public buckets and ids", () => {
  it("lists a public bucket over tRPC without a token, as REST does", async () => {
    await put("pub", "shown.txt", "text/plain", Buffer.from("x"));
    const anonymous = createCoreClient(core.url);
    const listed = await anonymous.storage.objects.list.query({ bucket: "pub" });
    expect(listed.map((o) => o.name)).toEqual(["shown.txt"]);
    const forged = createCoreClient(core.url, { headers: { authorization: "Bearer forged" } });
    const refused = await forged.storage.objects.list.query({ bucket: "pub" }).then(() => undefined, (e: unknown) => e as Error);
    expect(refused?.message).toMatch(/token/);
    const privateList = await anonymous.storage.objects.list.query({ bucket: "open" }).then(() => undefined, (e: unknown) => e as Error);
    expect(privateList?.message).toBe("missing bearer token");
  });

  it("hides created_by from callers without read permission on a public bucket", async () => {
    const stranger = await signUpAndIn(core, "stranger@example.com");
    const anonymous = await api(core, "GET", "/api/v1/storage/objects/pub");
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.length).toBeGreaterThan(0);
    expect(anonymous.body.map((o: { created_by: string | null }) => o.created_by)).toEqual(anonymous.body.map(() => null));
    const viaStranger = await api(core, "GET", "/api/v1/storage/objects/pub", undefined, stranger.accessToken);
    expect(viaStranger.body.map((o: { created_by: string | null }) => o.created_by)).toEqual(viaStranger.body.map(() => null));
    const viaTrpc = await createCoreClient(core.url).storage.objects.list.query({ bucket: "pub" });
    expect(viaTrpc.map((o) => o.created_by)).toEqual(viaTrpc.map(() => null));
    const reader = await api(core, "GET", "/api/v1/storage/objects/pub", undefined, admin.accessToken);
    expect(reader.body.map((o: { created_by: string | null }) => o.created_by)).toEqual(reader.body.map(() => admin.userId));
  });

  async function formUpload(fields: [string, string][]): Promise<Answer> {
    const form = new FormData();
    for (const [k, v] of fields) form.append(k, v);
    form.append("file", new Blob([new Uint8Array(Buffer.from("in a folder"))], { type: "text/plain" }), `f${fields.length}-${Math.random()}.txt`);
    return answer(await fetch(`${core.url}/api/v1/storage/objects/open/upload`, { method: "POST", headers: { authorization: `Bearer ${admin.accessToken}` }, body: form }));
  }

  // parent_id is a uuid column, so PostgreSQL already stores and answers the lower-case form; the check guards that.
  it("refuses a repeated parent_id and stores an upper-case one in its lower-case form", async () => {
    const a = (await folder("open", "folder-a")).body.id as string;
    const b = (await folder("open", "folder-b")).body.id as string;
    const twice = await formUpload([["parent_id", a], ["parent_id", b]]);
    expect(twice).toMatchObject({ status: 400, body: { error: 'the field "parent_id" is given more than once' } });
    const upper = await formUpload([["parent_id", a.toUpperCase()]]);
    expect(upper.status).toBe(201);
    expect(upper.body.parent_id).toBe(a);
  });

  it("refuses an upper-case UUID in a manifest field of type file", async () => {
    const DOCS = "docs";
    const m = { appId: DOCS, name: "Docs", version: "1.0.0", dataContract: [{ entityName: "doc", fields: [{ name: "title", type: "text" }, { name: "attachment", type: "file" }] }] };
    expect((await api(core, "POST", "/api/v1/apps", m, admin.accessToken)).status).toBe(200);
    const own = (await uploadFile(core, DOCS, admin.accessToken, "own.txt", "text/plain", Buffer.from("own"))).body.file_id as string;
    const upper = await api(core, "POST", `/api/v1/apps/${DOCS}/collections/doc`, { title: "u", attachment: own.toUpperCase() }, admin.accessToken);
    expect(upper).toMatchObject({ status: 400, body: { error: `field "attachment": file ids are lower-case UUIDs (${JSON.stringify(own.toUpperCase())} is not)` } });
    expect((await api(core, "POST", `/api/v1/apps/${DOCS}/collections/doc`, { title: "l", attachment: own }, admin.accessToken)).status).toBe(201);
  });
});
