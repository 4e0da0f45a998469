import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frontendDir } from "../src/server/workers/app-files.ts";
import { installApp, upload } from "./deploy-helpers.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { filesTarGz } from "./tar-builder.ts";

let core: TestCore;
let admin: Session;
const INDEX = "<!doctype html><title>web</title><script src='assets/app.3f2a.js'></script>";
const JS = "console.log('web app');";
const big = randomBytes(5 * 1024 * 1024);
/** Planted where a traversal would reach it: the data dir's config/ and another app's frontend. */
const SECRET = `secret-${randomBytes(8).toString("hex")}`;

/** GET exactly as written on the wire (fetch would normalise `..` and reject some bytes): status and body. */
function rawGet(target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(core.url);
    const socket = net.connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf("\r\n\r\n") + 4) });
    });
    socket.write(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  });
}

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@frontend.test");
  await installApp(core, "web", admin.accessToken);
  await installApp(core, "other", admin.accessToken);
  await installApp(core, "bare", admin.accessToken);
  const res = await upload(core, "/api/v1/apps/web/frontend", filesTarGz({ "index.html": INDEX, "assets/app.3f2a.js": JS, "assets/big.bin": big, "docs/index.html": "<p>docs</p>" }), admin.accessToken);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ message: "frontend of app web deployed", url: "/apps/web/" });
  expect((await upload(core, "/api/v1/apps/other/frontend", filesTarGz({ "index.html": "other", "secret.txt": SECRET }), admin.accessToken)).status).toBe(200);
  mkdirSync(path.join(core.dataDir, "config"), { recursive: true });
  writeFileSync(path.join(core.dataDir, "config", "planted.txt"), SECRET);
}, 60_000);
afterAll(async () => core?.dispose());

describe("static serving of an app's frontend", () => {
  it("serves index.html at /apps/{id}/ with the HTML cache policy", async () => {
    const res = await fetch(`${core.url}/apps/web/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(INDEX);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=60, must-revalidate");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(INDEX)));
  });

  it("serves assets as immutable for a year, with their type and length", async () => {
    const res = await fetch(`${core.url}/apps/web/assets/app.3f2a.js`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(JS);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("content-length")).toBe(String(JS.length));
  });

  it("streams a large file intact", async () => {
    const res = await fetch(`${core.url}/apps/web/assets/big.bin`);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    const body = Buffer.from(await res.arrayBuffer());
    expect(createHash("sha256").update(body).digest("hex")).toBe(createHash("sha256").update(big).digest("hex"));
  });

  it("answers If-None-Match with 304 and no body; HEAD with headers only", async () => {
    const first = await fetch(`${core.url}/apps/web/assets/app.3f2a.js`);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    const again = await fetch(`${core.url}/apps/web/assets/app.3f2a.js`, { headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect((await fetch(`${core.url}/apps/web/assets/app.3f2a.js`, { headers: { "if-none-match": '"other"' } })).status).toBe(200);
    const head = await fetch(`${core.url}/apps/web/assets/app.3f2a.js`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(JS.length));
    expect(await head.text()).toBe("");
  });

  it("falls back to index.html for paths without a file (single-page apps); a directory serves its own index.html", async () => {
    for (const p of ["/apps/web/customers/42", "/apps/web/assets/missing.js", "/apps/web/assets"]) {
      const res = await fetch(core.url + p);
      expect(res.status, p).toBe(200);
      expect(await res.text(), p).toBe(INDEX);
      expect(res.headers.get("cache-control")).toBe("public, max-age=60, must-revalidate");
    }
    expect(await (await fetch(`${core.url}/apps/web/docs/`)).text()).toBe("<p>docs</p>");
  });

  it("redirects /apps to the Studio's /applications and /apps/{id} to /apps/{id}/", async () => {
    const apps = await fetch(`${core.url}/apps`, { redirect: "manual" });
    expect(apps.status).toBe(308);
    expect(apps.headers.get("location")).toBe("/applications");
    const web = await fetch(`${core.url}/apps/web?x=1`, { redirect: "manual" });
    expect(web.status).toBe(308);
    expect(web.headers.get("location")).toBe("/apps/web/?x=1");
  });

  it("answers 404 JSON for an app without a frontend or an unknown app, 405 for other methods", async () => {
    for (const p of ["/apps/bare/", "/apps/nosuchapp/x", "/apps/core/", "/apps/Bad-Id/"]) {
      const res = await fetch(core.url + p);
      expect(res.status, p).toBe(404);
      expect((await res.json()).error, p).toMatch(/has no frontend$/);
    }
    const post = await fetch(`${core.url}/apps/web/`, { method: "POST" });
    expect(post.status).toBe(405);
  });

  it("never serves a file outside the frontend: encoded dots and slashes, NUL, backslashes", async () => {
    const attempts = [
      "/apps/web/..%2f..%2fconfig/planted.txt",
      "/apps/web/..%2F..%2F..%2Fconfig%2Fplanted.txt",
      "/apps/web/%2e%2e/%2e%2e/config/planted.txt",
      "/apps/web/../../config/planted.txt",
      "/apps/web/../other/secret.txt",
      "/apps/web/..%2fother%2fsecret.txt",
      "/apps/web/index.html%00.js",
      "/apps/web/..%5c..%5cconfig%5cplanted.txt",
      "/apps/web/..\\..\\config\\planted.txt",
      "/apps/web/%E0%A4%A",
      "/apps/web/./index.html",
    ];
    for (const target of attempts) {
      const res = await rawGet(target);
      expect([400, 404], target).toContain(res.status);
      expect(res.body, target).not.toContain(SECRET);
    }
    // Encoded twice, it is decoded once: a file literally named "%2e%2e" does not exist, so the SPA page answers.
    const twice = await rawGet("/apps/web/%252e%252e/%252e%252e/config/planted.txt");
    expect(twice.status).toBe(200);
    expect(twice.body).toBe(INDEX);
  });

  it("does not follow a symlink out of the frontend directory", async () => {
    // Archives cannot hold one (refused at upload); this one is planted by hand.
    symlinkSync(path.join(core.dataDir, "config", "planted.txt"), path.join(frontendDir(core.dataDir, "web"), "leak.txt"));
    symlinkSync(path.join(core.dataDir, "config"), path.join(frontendDir(core.dataDir, "web"), "confdir"));
    for (const p of ["/apps/web/leak.txt", "/apps/web/confdir/planted.txt"]) {
      const res = await rawGet(p);
      expect(res.body, p).not.toContain(SECRET);
      expect(res.body, p).toBe(INDEX);
    }
  });

  it("a new upload replaces the whole frontend at once", async () => {
    const res = await upload(core, "/api/v1/apps/web/frontend", filesTarGz({ "index.html": "<p>v2</p>" }), admin.accessToken);
    expect(res.status).toBe(200);
    expect(await (await fetch(`${core.url}/apps/web/`)).text()).toBe("<p>v2</p>");
    expect(existsSync(path.join(frontendDir(core.dataDir, "web"), "assets"))).toBe(false);
    expect(await (await fetch(`${core.url}/apps/web/assets/app.3f2a.js`)).text()).toBe("<p>v2</p>");
    const audit = await core.core.db.pool.query("SELECT count(*)::int AS n FROM rootcx_system.audit_log WHERE operation = 'app.frontend' AND record_id = 'web'");
    expect(audit.rows[0]).toEqual({ n: 2 });
  });

  it("refuses an archive whose index.html is in a folder (tar czf fe.tgz -C fe dist), or absent, and keeps the live frontend", async () => {
    const nested = await upload(core, "/api/v1/apps/web/frontend", filesTarGz({ "dist/index.html": "<p>v3</p>", "dist/assets/a.js": JS }), admin.accessToken);
    expect(nested).toMatchObject({ status: 400, body: { error: "no index.html at the archive's root; it holds dist/index.html — archive the folder's contents: tar czf fe.tgz -C dist ." } });
    const none = await upload(core, "/api/v1/apps/web/frontend", filesTarGz({ "app.js": JS }), admin.accessToken);
    expect(none.status).toBe(400);
    expect(none.body.error).toMatch(/^the archive holds no index\.html at its root/);
    expect(await (await fetch(`${core.url}/apps/web/`)).text()).toBe("<p>v2</p>");
  });

  it("lists the app with hasFrontend", async () => {
    const apps = (await api(core, "GET", "/api/v1/apps", undefined, admin.accessToken)).body as { id: string; hasFrontend: boolean }[];
    expect(Object.fromEntries(apps.map((a) => [a.id, a.hasFrontend]))).toEqual({ bare: false, other: true, web: true });
  });
});
