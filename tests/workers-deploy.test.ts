import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { appDir, deployArchiveDir, frontendDir } from "../src/server/workers/app-files.ts";
import { deployableManifest, installApp, upload } from "./deploy-helpers.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { filesTarGz } from "./tar-builder.ts";

let core: TestCore;
let admin: Session;
let user: Session;

/** A backend whose one RPC says which version of it is running. */
const backend = (version: string, extra: Record<string, string> = {}) =>
  filesTarGz({ "index.ts": `declare const serve: (h: unknown) => void;\nserve({ rpc: { version: () => ${JSON.stringify(version)} } });\n`, ...extra });

const deploy = (appId: string, archive: Buffer, token = admin.accessToken) => upload(core, `/api/v1/apps/${appId}/deploy`, archive, token);
const rpcVersion = async (appId: string) => (await api(core, "POST", `/api/v1/apps/${appId}/rpc`, { method: "version" }, admin.accessToken)).body;
const q = async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => (await core.core.db.pool.query<T>(text, params)).rows;

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@deploy.test");
  user = await signUpAndIn(core, "user@deploy.test");
}, 60_000);
afterAll(async () => core?.dispose());

describe("who may deploy what", () => {
  beforeAll(() => installApp(core, "guarded", admin.accessToken));

  it("refuses a user without admin:apps.deploy with 403 naming the key, before reading the archive", async () => {
    const res = await deploy("guarded", backend("v1"), user.accessToken);
    expect(res).toMatchObject({ status: 403, body: { error: "permission required: admin:apps.deploy" } });
    expect(existsSync(appDir(core.dataDir, "guarded"))).toBe(false);
    expect((await upload(core, "/api/v1/apps/guarded/frontend", backend("v1"), user.accessToken)).status).toBe(403);
    expect((await api(core, "POST", "/api/v1/apps/guarded/deploy/rollback", undefined, user.accessToken)).body).toEqual({ error: "permission required: admin:apps.deploy" });
    expect((await api(core, "GET", "/api/v1/apps/guarded/deploy/history", undefined, user.accessToken)).status).toBe(403);
    expect((await upload(core, "/api/v1/apps/guarded/deploy", backend("v1"), "not-a-token")).status).toBe(401);
  });

  it("refuses the reserved id core, invalid ids and apps that are not installed", async () => {
    expect(await deploy("core", backend("v1"))).toMatchObject({ status: 400, body: { error: 'app id "core" is reserved' } });
    expect((await deploy("Bad-Id", backend("v1"))).status).toBe(400);
    expect(await deploy("nowhere", backend("v1"))).toMatchObject({ status: 404, body: { error: "app nowhere is not installed; install its manifest (POST /apps) before deploying to it" } });
    expect(existsSync(appDir(core.dataDir, "nowhere"))).toBe(false);
  });

  it("answers 415 for a body that is not multipart, 400 for a missing field or a cut-off body", async () => {
    const json = await api(core, "POST", "/api/v1/apps/guarded/deploy", { archive: "x" }, admin.accessToken);
    expect(json).toMatchObject({ status: 415, body: { error: 'the body must be multipart/form-data with the file in the field "archive"' } });
    const wrongField = await upload(core, "/api/v1/apps/guarded/deploy", backend("v1"), admin.accessToken, "file");
    expect(wrongField).toMatchObject({ status: 400, body: { error: 'the multipart field "archive" holding the file is missing' } });
    const boundary = "XyZ";
    const cut = `--${boundary}\r\nContent-Disposition: form-data; name="archive"; filename="a.tar.gz"\r\nContent-Type: application/gzip\r\n\r\nabc`;
    const truncated = await fetch(`${core.url}/api/v1/apps/guarded/deploy`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin.accessToken}`, "content-type": `multipart/form-data; boundary=${boundary}` },
      body: cut,
    });
    expect(truncated.status).toBe(400);
    expect((await truncated.json()).error).toMatch(/^malformed or truncated multipart body: Unexpected end of form/);
  });

  it("answers 413 with a sentence for an upload past 50 MiB, and the Core still answers", async () => {
    const boundary = "B0undary";
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="archive"; filename="a.tar.gz"\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    // Declared too large: refused before a byte of the body is read.
    const big = Buffer.concat([head, Buffer.alloc(51 * 1024 * 1024, 1), tail]);
    const res = await fetch(`${core.url}/api/v1/apps/guarded/deploy`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin.accessToken}`, "content-type": `multipart/form-data; boundary=${boundary}` },
      body: big,
    }).catch((err: unknown) => err as Error);
    if (res instanceof Error) throw res;
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: "the upload is larger than 50 MiB" });
    // Within the slack of the declared length, the file itself passes 50 MiB: busboy's counter stops it.
    const edge = Buffer.concat([head, Buffer.alloc(50 * 1024 * 1024 + 4096, 1), tail]);
    const counted = await fetch(`${core.url}/api/v1/apps/guarded/deploy`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin.accessToken}`, "content-type": `multipart/form-data; boundary=${boundary}` },
      body: edge,
    });
    expect(counted.status).toBe(413);
    expect(await counted.json()).toEqual({ error: "the upload is larger than 50 MiB" });
    // Chunked (no Content-Length), the archive after 51 MiB in another file field: the body as a whole is bounded.
    const other = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="other"; filename="o.bin"\r\n\r\n`);
    const chunks = [other, Buffer.alloc(51 * 1024 * 1024, 2), Buffer.from("\r\n"), head.subarray(0), Buffer.from("abc"), tail];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(new Uint8Array(next));
        else controller.close();
      },
    });
    const chunked = await fetch(`${core.url}/api/v1/apps/guarded/deploy`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin.accessToken}`, "content-type": `multipart/form-data; boundary=${boundary}` },
      body: stream,
      duplex: "half",
    } as RequestInit).catch((err: unknown) => err as Error);
    if (chunked instanceof Error) throw chunked;
    expect(chunked.status).toBe(413);
    expect((await api(core, "GET", "/health")).status).toBe(200);
    expect(readdirSync(path.join(core.dataDir, "tmp", "uploads"))).toEqual([]);
  });
});

describe("deploy, migrations and the running worker", () => {
  beforeAll(() => installApp(core, "shop", admin.accessToken));

  it("deploys a backend, restarts its worker and answers {message, migrationsApplied}", async () => {
    const res = await deploy("shop", backend("v1"));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ message: "app shop deployed", migrationsApplied: [] });
    expect(res.body.install).toBeUndefined();
    expect(readFileSync(path.join(appDir(core.dataDir, "shop"), "index.ts"), "utf8")).toContain('"v1"');
    expect(await rpcVersion("shop")).toBe("v1");
    // Uploads, staging and kept archives are the Core's alone; the live tree is writable by its owner only, with no
    // setuid (the supervisor then hands read access to the app's worker group).
    for (const dir of ["tmp", "tmp/uploads", "tmp/staging", "deploys/shop"]) expect(statSync(path.join(core.dataDir, dir)).mode & 0o777, dir).toBe(0o700);
    for (const file of [appDir(core.dataDir, "shop"), path.join(appDir(core.dataDir, "shop"), "index.ts")]) expect(statSync(file).mode & 0o7022, file).toBe(0);
    const audit = await q<{ operation: string; record_id: string }>("SELECT operation, record_id FROM rootcx_system.audit_log WHERE operation = 'app.deploy'");
    expect(audit).toEqual([{ operation: "app.deploy", record_id: "shop" }]);
  });

  it("applies migrations in lexicographic order, once each, recorded in schema_migrations", async () => {
    const log = (name: string) => `INSERT INTO applied_log (name) VALUES ('${name}');`;
    const migrations = {
      "migrations/010_c.sql": log("010_c"),
      "migrations/001_a.sql": `CREATE TABLE applied_log (n serial PRIMARY KEY, name text NOT NULL);\n${log("001_a")}`,
      "migrations/002_b.sql": `${log("002_b")}\nCREATE TABLE widgets (id int PRIMARY KEY);`,
      "migrations/README.md": "not a migration",
    };
    const first = await deploy("shop", backend("v2", migrations));
    expect(first.body).toMatchObject({ migrationsApplied: ["001_a.sql", "002_b.sql", "010_c.sql"] });
    // Unqualified names land in the app's schema (its schema is first on the search path).
    expect(await q("SELECT name FROM shop.applied_log ORDER BY n")).toEqual([{ name: "001_a" }, { name: "002_b" }, { name: "010_c" }]);
    expect(await q("SELECT to_regclass('shop.widgets')::text AS t")).toEqual([{ t: "shop.widgets" }]);

    const second = await deploy("shop", backend("v3", { ...migrations, "migrations/011_d.sql": log("011_d") }));
    expect(second.body.migrationsApplied).toEqual(["011_d.sql"]);
    expect((await q("SELECT name FROM shop.applied_log ORDER BY n")).map((r) => r.name)).toEqual(["001_a", "002_b", "010_c", "011_d"]);
    expect((await q("SELECT name FROM shop.schema_migrations ORDER BY name")).map((r) => r.name)).toEqual(["001_a.sql", "002_b.sql", "010_c.sql", "011_d.sql"]);
    expect(await rpcVersion("shop")).toBe("v3");
  });

  it("a reinstall of the manifest does not offer to drop schema_migrations", async () => {
    await installApp(core, "plain", admin.accessToken);
    expect((await deploy("plain", filesTarGz({ "migrations/001.sql": "SELECT 1;" }))).body.migrationsApplied).toEqual(["001.sql"]);
    const verify = await api(core, "POST", "/api/v1/apps/schema/verify", deployableManifest("plain"), admin.accessToken);
    expect(verify.status, JSON.stringify(verify.body)).toBe(200);
    expect(verify.body).toMatchObject({ compliant: true, changes: [] });
  });

  it("a failing migration aborts the deploy with its name and PostgreSQL's message, and the previous deployment stays", async () => {
    const res = await deploy("shop", backend("broken", { "migrations/020_bad.sql": "INSERT INTO no_such_table VALUES (1);" }));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('migration 020_bad.sql failed: relation "no_such_table" does not exist; the deploy was stopped and the previous deployment is still in place');
    expect(readFileSync(path.join(appDir(core.dataDir, "shop"), "index.ts"), "utf8")).toContain('"v3"');
    expect(await rpcVersion("shop")).toBe("v3");
    expect((await q("SELECT count(*)::int AS n FROM shop.schema_migrations WHERE name = '020_bad.sql'"))[0]).toEqual({ n: 0 });
    const history = await api(core, "GET", "/api/v1/apps/shop/deploy/history", undefined, admin.accessToken);
    expect(history.body[0]).toMatchObject({ current: true, migrationsApplied: ["011_d.sql"] });
  });

  it("serialises two concurrent deploys: both succeed and each migration runs once", async () => {
    const slow = { "migrations/030_slow.sql": "SELECT pg_sleep(0.4); INSERT INTO applied_log (name) VALUES ('030_slow');" };
    const [a, b] = await Promise.all([deploy("shop", backend("c1", slow)), deploy("shop", backend("c2", slow))]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([...a.body.migrationsApplied, ...b.body.migrationsApplied]).toEqual(["030_slow.sql"]);
    expect((await q("SELECT count(*)::int AS n FROM shop.applied_log WHERE name = '030_slow'"))[0]).toEqual({ n: 1 });
    expect(["c1", "c2"]).toContain(await rpcVersion("shop"));
  });

  it("sweeps staging and upload leftovers older than an hour (a Core that died mid-deploy), not fresh ones", async () => {
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    const stale = path.join(core.dataDir, "tmp", "staging", "shop-dead");
    const fresh = path.join(core.dataDir, "tmp", "uploads", "upload-live");
    mkdirSync(path.join(stale, "tree"), { recursive: true });
    mkdirSync(fresh, { recursive: true });
    utimesSync(stale, old, old);
    expect((await deploy("shop", backend("v3"))).status).toBe(200);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    rmSync(fresh, { recursive: true });
  });

  it("reports a failed bun install and deploys all the same", async () => {
    const pkg = JSON.stringify({ name: "shop", dependencies: { "rootcx-no-such-package-zz9": "1.0.0" } });
    const res = await deploy("shop", backend("with-pkg", { "package.json": pkg }));
    expect(res.status).toBe(200);
    expect(res.body.install.ok).toBe(false);
    expect(res.body.install.output).toContain("rootcx-no-such-package-zz9");
    expect(await rpcVersion("shop")).toBe("with-pkg");
  });

  it("runs bun install for a package.json without dependencies", async () => {
    const res = await deploy("shop", backend("pkg-ok", { "package.json": JSON.stringify({ name: "shop", version: "1.0.0" }) }));
    expect(res.body.install).toMatchObject({ ok: true });
  });
});

describe("history and rollback", () => {
  beforeAll(() => installApp(core, "hist", admin.accessToken));

  it("has nothing to roll back to before a second deploy", async () => {
    expect(await api(core, "POST", "/api/v1/apps/hist/deploy/rollback", undefined, admin.accessToken)).toMatchObject({
      status: 409,
      body: { error: "app hist has no earlier deployment to roll back to" },
    });
    await deploy("hist", backend("h1"));
    expect((await api(core, "POST", "/api/v1/apps/hist/deploy/rollback", undefined, admin.accessToken)).status).toBe(409);
  });

  it("keeps the last 5 archives, newest first, the live one marked", async () => {
    for (const v of ["h2", "h3", "h4", "h5", "h6"]) expect((await deploy("hist", backend(v))).status).toBe(200);
    const history = (await api(core, "GET", "/api/v1/apps/hist/deploy/history", undefined, admin.accessToken)).body;
    expect(history).toHaveLength(5);
    expect(history.map((h: { current: boolean }) => h.current)).toEqual([true, false, false, false, false]);
    expect(history[0]).toMatchObject({ deployedBy: "admin@deploy.test", migrationsApplied: [] });
    expect(history[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(history[0].size).toBeGreaterThan(0);
    expect(Date.parse(history[0].deployedAt)).toBeGreaterThanOrEqual(Date.parse(history[4].deployedAt));
    const kept = readdirSync(deployArchiveDir(core.dataDir, "hist")).filter((n) => n.endsWith(".tar.gz"));
    expect(kept.sort()).toEqual(history.map((h: { id: string }) => `${h.id}.tar.gz`).sort());
  });

  it("rolls back one deploy at a time; the worker runs the old code", async () => {
    expect(await rpcVersion("hist")).toBe("h6");
    const before = (await api(core, "GET", "/api/v1/apps/hist/deploy/history", undefined, admin.accessToken)).body;
    const res = await api(core, "POST", "/api/v1/apps/hist/deploy/rollback", undefined, admin.accessToken);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ migrationsApplied: [], deployId: before[1].id });
    expect(res.body.message).toMatch(/^app hist rolled back to the deployment of /);
    expect(await rpcVersion("hist")).toBe("h5");
    expect(readFileSync(path.join(appDir(core.dataDir, "hist"), "index.ts"), "utf8")).toContain('"h5"');
    const after = (await api(core, "GET", "/api/v1/apps/hist/deploy/history", undefined, admin.accessToken)).body;
    expect(after.map((h: { current: boolean }) => h.current)).toEqual([false, true, false, false, false]);
    expect((await api(core, "POST", "/api/v1/apps/hist/deploy/rollback", undefined, admin.accessToken)).status).toBe(200);
    expect(await rpcVersion("hist")).toBe("h4");
    const audit = await q("SELECT count(*)::int AS n FROM rootcx_system.audit_log WHERE operation = 'app.rollback' AND record_id = 'hist'");
    expect(audit).toEqual([{ n: 2 }]);
    // A new deploy after a rollback is live, and on top.
    await deploy("hist", backend("h7"));
    expect(await rpcVersion("hist")).toBe("h7");
  });

  it("offers history and rollback over tRPC as workers.deployHistory and workers.rollback", async () => {
    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    const history = await client.workers.deployHistory.query({ appId: "hist" });
    expect(history[0]).toMatchObject({ current: true });
    const back = await client.workers.rollback.mutate({ appId: "hist" });
    // The archive listed just below the live one: h6 (h7 was deployed on top of the rolled-back h4).
    expect(back.deployId).toBe(history[1]!.id);
    expect(await rpcVersion("hist")).toBe("h6");
    const denied = createCoreClient(core.url, { headers: { authorization: `Bearer ${user.accessToken}` } });
    await expect(denied.workers.rollback.mutate({ appId: "hist" })).rejects.toThrow("permission required: admin:apps.deploy");
  });

  it("uninstall removes the app's backend, frontend and kept archives", async () => {
    await upload(core, "/api/v1/apps/hist/frontend", filesTarGz({ "index.html": "<p>hi</p>" }), admin.accessToken);
    for (const dir of [appDir, frontendDir, deployArchiveDir]) expect(existsSync(dir(core.dataDir, "hist"))).toBe(true);
    expect((await api(core, "DELETE", "/api/v1/apps/hist", undefined, admin.accessToken)).status).toBe(200);
    for (const dir of [appDir, frontendDir, deployArchiveDir]) expect(existsSync(dir(core.dataDir, "hist"))).toBe(false);
  });
});
