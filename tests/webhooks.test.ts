import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { createCoreClient } from "../src/client/index.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreError } from "../src/server/errors.ts";
import { recordedMessage, webhookRpcFailure } from "../src/server/webhooks/rpc-failure.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { FIXTURES, placeFixture } from "./workers-helpers.ts";

// Inbound webhooks (issue 15 item 3, spec §6.3): tokens, signatures, limits, and what reaches the worker's RPC.
let core: TestCore;
let admin: Session;
let outsider: Session;
let db: pg.Pool;
const manifest = JSON.parse(readFileSync(path.join(FIXTURES, "hooked", "manifest.json"), "utf8")) as { webhooks: unknown[] } & Record<string, unknown>;

interface Listed {
  id: string;
  name: string;
  method: string;
  prefix: string;
  url: string;
  requireSignature: boolean;
  signatureRequiredBy: string | null;
  lastCall: { status: number; error: string | null } | null;
}

const list = async (): Promise<Listed[]> => {
  const res = await api(core, "GET", "/api/v1/apps/hooked/webhooks", undefined, admin.accessToken);
  expect(res.status).toBe(200);
  return res.body;
};
const idOf = async (name: string) => (await list()).find((w) => w.name === name)!.id;

async function rotate(name: string): Promise<{ token: string; secret: string; url: string; headers: Headers }> {
  const res = await api(core, "POST", `/api/v1/apps/hooked/webhooks/${await idOf(name)}/rotate`, undefined, admin.accessToken);
  expect(res.status).toBe(200);
  return { ...res.body, headers: res.headers };
}

function sign(secret: string, body: Buffer, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const hex = createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
  return { "x-webhook-timestamp": String(timestamp), "x-webhook-signature": `sha256=${hex}` };
}

async function call(token: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${core.url}/api/v1/hooks/${token}`, { method: "POST", headers, body: typeof body === "string" ? body : new Uint8Array(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** What the worker's on_call RPC has received so far (read through an RPC on the same identity's worker). */
async function received(): Promise<{ params: { name: string; headers: Record<string, string>; body: unknown; rawBody: string }; caller: { userId: string } }[]> {
  const res = await api(core, "POST", "/api/v1/apps/hooked/rpc", { method: "calls" }, admin.accessToken);
  expect(res.status).toBe(200);
  return res.body;
}

let inbound: { token: string; secret: string };
let strict: { token: string; secret: string };

beforeAll(async () => {
  core = await startTestCore({});
  admin = await signUpAndIn(core, "admin@example.com");
  outsider = await signUpAndIn(core, "outsider@example.com");
  expect((await api(core, "POST", "/api/v1/apps", manifest, admin.accessToken)).status).toBe(200);
  placeFixture(core, "hooked", "hooked");
  db = new pg.Pool({ connectionString: core.database.url, max: 2 });
  inbound = await rotate("inbound");
  strict = await rotate("strict");
}, 60_000);

afterAll(async () => {
  await db?.end();
  await core?.dispose();
});

describe("delivery", () => {
  it("hands a signed call to the RPC as its creator with {name, headers, body, rawBody}, rawBody byte for byte", async () => {
    const before = (await received()).length;
    const bytes = Buffer.from('{ "event" : "paid",\n  "amount": 12.50, "name": "Zoë ✓", "big": 12345678901234567890 }\r\n', "utf8");
    const res = await call(inbound.token, bytes, { "content-type": "application/json", "x-source": "billing", ...sign(inbound.secret, bytes) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: before + 1 });
    const got = (await received()).at(-1)!;
    expect(got.params.name).toBe("inbound");
    expect(Buffer.from(got.params.rawBody, "base64").equals(bytes)).toBe(true);
    expect(got.params.body).toMatchObject({ event: "paid", amount: 12.5, name: "Zoë ✓" });
    expect(got.params.headers["x-source"]).toBe("billing");
    expect(got.params.headers["content-type"]).toBe("application/json");
    expect(got.caller.userId).toBe(admin.userId);
    expect((await list()).find((w) => w.name === "inbound")!.lastCall).toMatchObject({ status: 200, signed: true, error: null });
  });

  it("passes a body that is not JSON as its text, and one that is not UTF-8 as null (rawBody still exact)", async () => {
    await call(inbound.token, "a=1&b=two", { "content-type": "application/x-www-form-urlencoded" });
    expect((await received()).at(-1)!.params.body).toBe("a=1&b=two");
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]);
    expect((await call(inbound.token, binary, { "content-type": "application/octet-stream" })).status).toBe(200);
    const got = (await received()).at(-1)!;
    expect(got.params.body).toBeNull();
    expect(Buffer.from(got.params.rawBody, "base64").equals(binary)).toBe(true);
  });

  it("answers the worker's failure as the RPC route does and records it", async () => {
    const { token } = await rotate("broken");
    const res = await call(token, "{}");
    expect(res.status).toBe(502);
    expect(res.body.error).toContain("the handler refused this delivery");
    expect((await list()).find((w) => w.name === "broken")!.lastCall).toMatchObject({ status: 502 });
  });
});

describe("signatures", () => {
  const body = Buffer.from('{"n":1}');

  async function refused(token: string, headers: Record<string, string>, reason: string) {
    const before = (await received()).length;
    const res = await call(token, body, headers);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe(`webhook signature refused: ${reason}`);
    // The RPC did not run: the worker's record is unchanged.
    expect((await received()).length).toBe(before);
  }

  it("refuses a wrong signature with 401 and makes no RPC", async () => {
    await refused(inbound.token, sign("whsec_not-the-secret", body), "signature mismatch");
    // Signed over other bytes than those sent.
    await refused(inbound.token, sign(inbound.secret, Buffer.from('{"n":2}')), "signature mismatch");
  });

  it("refuses an unsigned call to a webhook that requires a signature, and accepts it signed", async () => {
    await refused(strict.token, {}, "this webhook requires a signature: send x-webhook-signature and x-webhook-timestamp");
    expect((await call(strict.token, body, sign(strict.secret, body))).status).toBe(200);
  });

  it("refuses a timestamp more than 300 s away, either way", async () => {
    // 310, not 301: a second may tick between signing here and checking there.
    const reason = "x-webhook-timestamp is more than 300 seconds from the server's time";
    await refused(strict.token, sign(strict.secret, body, Math.floor(Date.now() / 1000) - 310), reason);
    await refused(strict.token, sign(strict.secret, body, Math.floor(Date.now() / 1000) + 310), reason);
    expect((await call(strict.token, body, sign(strict.secret, body, Math.floor(Date.now() / 1000) - 250))).status).toBe(200);
  });

  it("refuses half a signature and malformed headers", async () => {
    const full = sign(inbound.secret, body);
    await refused(inbound.token, { "x-webhook-signature": full["x-webhook-signature"]! }, "x-webhook-signature and x-webhook-timestamp must be sent together");
    await refused(inbound.token, { ...full, "x-webhook-signature": "md5=abc" }, "x-webhook-signature must be sha256=<64 hex digits>");
    await refused(inbound.token, { ...full, "x-webhook-timestamp": "yesterday" }, "x-webhook-timestamp must be unix seconds");
  });

  it("makes a signature mandatory by setting, but never lifts the manifest's requirement", async () => {
    const plainId = await idOf("plain");
    const { token } = await rotate("plain");
    // A webhook declared as a bare name calls the RPC named "POST" (spec §3), which this backend does not serve. The
    // sender holds a token, not a seat in the app: it is not told the backend's methods; the call record is.
    expect(await call(token, "{}")).toEqual({ status: 502, body: { error: "the app's backend does not serve this webhook's method" }, headers: expect.anything() });
    expect((await list()).find((w) => w.name === "plain")!.lastCall).toMatchObject({ status: 502, error: "unknown method: POST (the backend serves: on_call, failing, crash, calls, jobs)" });
    const set = await api(core, "PATCH", `/api/v1/apps/hooked/webhooks/${plainId}`, { requireSignature: true }, admin.accessToken);
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ requireSignature: true, signatureRequiredBy: "setting" });
    await refused(token, {}, "this webhook requires a signature: send x-webhook-signature and x-webhook-timestamp");
    const lift = await api(core, "PATCH", `/api/v1/apps/hooked/webhooks/${await idOf("strict")}`, { requireSignature: false }, admin.accessToken);
    expect(lift).toMatchObject({ status: 409, body: { error: "the manifest of hooked requires a signature for webhook strict; only a new manifest can lift it" } });
    expect((await api(core, "PATCH", `/api/v1/apps/hooked/webhooks/${plainId}`, { requireSignature: false }, admin.accessToken)).body.requireSignature).toBe(false);
  });
});

describe("tokens", () => {
  it("answers every unknown token with one 404, whether or not its prefix matches", async () => {
    const other = randomBytes(48).toString("base64url");
    const samePrefix = inbound.token.slice(0, 12) + other.slice(12);
    // Any shape and length of token is the webhook route's to answer, not the router's `no route for …`, which
    // would repeat the path: past 1000 characters (the router's former parameter cap), percent-encoded, a slash in it.
    const shapes = ["A".repeat(5000), "A".repeat(1001), `${inbound.token}A`, "x%2Fy", "%C3%A9t%C3%A9", "a b"];
    for (const token of [other, samePrefix, "short", inbound.token.toUpperCase(), ...shapes]) {
      const res = await call(token, "{}");
      expect(res.status, token.slice(0, 20)).toBe(404);
      expect(res.body, token.slice(0, 20)).toEqual({ error: "no webhook at this URL" });
    }
  });

  it("lists prefixes and masked URLs, never a full token", async () => {
    const rows = await list();
    expect(rows.map((w) => w.name).sort()).toEqual(["broken", "inbound", "plain", "strict"]);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(inbound.token);
    expect(text).not.toContain(strict.token);
    const row = rows.find((w) => w.name === "inbound")!;
    expect(row).toMatchObject({ method: "on_call", prefix: inbound.token.slice(0, 12), url: `/api/v1/hooks/${inbound.token.slice(0, 12)}...`, requireSignature: false });
    expect(rows.find((w) => w.name === "strict")).toMatchObject({ requireSignature: true, signatureRequiredBy: "manifest" });
    const { rows: stored } = await db.query<{ token_hash: string }>("SELECT token_hash FROM rootcx_system.webhooks");
    expect(stored.length).toBe(4);
    expect(JSON.stringify(stored)).not.toContain(inbound.token);
  });

  it("keeps tokens and secrets across a re-install, and deletes the webhooks a manifest drops", async () => {
    const plainId = await idOf("plain");
    const again = { ...manifest, version: "1.0.1", webhooks: manifest.webhooks.filter((w) => w !== "plain") };
    expect((await api(core, "POST", "/api/v1/apps", again, admin.accessToken)).status).toBe(200);
    const body = Buffer.from("{}");
    expect((await call(inbound.token, body, sign(inbound.secret, body))).status).toBe(200);
    expect((await list()).map((w) => w.name).sort()).toEqual(["broken", "inbound", "strict"]);
    const { rows } = await db.query("SELECT 1 FROM rootcx_system.secrets WHERE app_id = $1", [`webhook:${plainId}`]);
    expect(rows.length).toBe(0);
    expect((await api(core, "POST", "/api/v1/apps", manifest, admin.accessToken)).status).toBe(200);
  });

  it("rotates: the new URL and secret are shown once (no-store), the old URL stops working", async () => {
    const old = inbound;
    const fresh = await rotate("inbound");
    expect(fresh.headers.get("cache-control")).toBe("no-store");
    expect(fresh.token).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(fresh.url).toBe(`/api/v1/hooks/${fresh.token}`);
    expect(fresh.secret).not.toBe(old.secret);
    expect((await call(old.token, "{}")).status).toBe(404);
    const body = Buffer.from("{}");
    expect((await call(fresh.token, body, sign(old.secret, body))).body).toEqual({ error: "webhook signature refused: signature mismatch" });
    expect((await call(fresh.token, body, sign(fresh.secret, body))).status).toBe(200);
    inbound = fresh;
  });
});

describe("what the token leaves behind", () => {
  it("keeps no full token in the request log, the metrics or the answer, however the path spells it", async () => {
    const from = core.logs.length;
    const body = Buffer.from("{}");
    expect((await call(inbound.token, body, sign(inbound.secret, body))).status).toBe(200);
    // The router decodes the path before matching: a percent-encoded "hooks" reaches the same webhook.
    const encoded = await fetch(`${core.url}/api/v1/%68ooks/${inbound.token}?x=1`, { method: "POST", headers: sign(inbound.secret, body), body: new Uint8Array(body) });
    expect(encoded.status).toBe(200);
    const unknown = randomBytes(48).toString("base64url");
    expect((await call(unknown, "{}")).body).toEqual({ error: "no webhook at this URL" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = core.logs.slice(from).map((l) => JSON.parse(l) as { msg: string; path?: string; status?: number });
    const requests = lines.filter((l) => l.msg === "request");
    expect(requests.map((l) => [l.path, l.status])).toEqual([
      [`/api/v1/hooks/${inbound.token.slice(0, 12)}…`, 200],
      [`/api/v1/hooks/${inbound.token.slice(0, 12)}…`, 200],
      [`/api/v1/hooks/${unknown.slice(0, 12)}…`, 404],
    ]);
    // What follows the 12-character prefix (the part lists never show) appears nowhere in what was logged.
    const logged = core.logs.slice(from).join("\n");
    expect(logged).not.toContain(inbound.token.slice(12));
    expect(logged).not.toContain(unknown.slice(12));
    const metrics = await (await fetch(`${core.url}/metrics`)).text();
    expect(metrics).toContain('route="/api/v1/hooks/:token"');
    expect(metrics).not.toContain(inbound.token.slice(12));
    expect(metrics).not.toContain(unknown.slice(12));
  });
});

describe("what a failed call tells its sender", () => {
  it("gives the worker's own error as the app's answer, and only a plain sentence for a crash; the record keeps the reason", async () => {
    expect((await call((await rotate("broken")).token, "{}")).body).toEqual({ error: "worker error: the handler refused this delivery" });
    await db.query("UPDATE rootcx_system.webhooks SET method = 'crash' WHERE name = 'plain'");
    try {
      const { token } = await rotate("plain");
      const res = await call(token, "{}");
      expect(res).toMatchObject({ status: 502, body: { error: "the app's backend failed to handle this call" } });
      expect((await list()).find((w) => w.name === "plain")!.lastCall).toMatchObject({ status: 502, error: "worker crashed" });
    } finally {
      await db.query("UPDATE rootcx_system.webhooks SET method = 'POST' WHERE name = 'plain'");
    }
  });

  it("answers a timeout and a stopped backend with their status and a plain sentence", () => {
    const timeout = webhookRpcFailure(new CoreError("GATEWAY_TIMEOUT", "rpc timeout (30s): the worker never called serve(), so it runs as a v1 (legacy) worker"));
    expect([timeout.status, timeout.message, recordedMessage(timeout)]).toEqual([504, "the app's backend did not answer in time", "rpc timeout (30s): the worker never called serve(), so it runs as a v1 (legacy) worker"]);
    const stopped = webhookRpcFailure(new CoreError("NOT_READY", "app hooked's workers are stopped by an administrator"));
    expect([stopped.status, stopped.message, recordedMessage(stopped)]).toEqual([503, "the app's backend is not available right now; retry later", "app hooked's workers are stopped by an administrator"]);
  });
});

describe("limits and records", () => {
  it("refuses a body over 384 KiB with 413 and makes no RPC", async () => {
    const before = (await received()).length;
    const res = await call(inbound.token, Buffer.alloc(384 * 1024 + 1, 0x61));
    expect(res.status).toBe(413);
    expect(res.body.error).toBe("request body exceeds the limit of 393216 bytes");
    expect((await received()).length).toBe(before);
  });

  it("hands a body at the limit to the worker whole, and refuses one that would encode past the worker's 1 MiB message", async () => {
    const big = Buffer.from(JSON.stringify({ blob: "z".repeat(384 * 1024 - 20) }));
    expect(big.length).toBeLessThanOrEqual(384 * 1024);
    expect((await call(inbound.token, big, { "content-type": "application/json" })).status).toBe(200);
    expect(Buffer.from((await received()).at(-1)!.params.rawBody, "base64").equals(big)).toBe(true);
    const before = (await received()).length;
    // Not JSON, so it travels as text, where each control character is escaped as six characters.
    const res = await call(inbound.token, Buffer.alloc(200 * 1024, 0x01));
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/^this call is too large to hand to the app's backend: its headers and body \(sent parsed and as base64\) encode to \d+ bytes, more than 983040$/);
    expect((await received()).length).toBe(before);
  });

  it("refuses calls past the webhook's per-minute limit with 429 and Retry-After", async () => {
    const { id } = (await list()).find((w) => w.name === "broken")!;
    expect((await api(core, "PATCH", `/api/v1/apps/hooked/webhooks/${id}`, { rateLimitPerMinute: 2 }, admin.accessToken)).status).toBe(200);
    const { token } = await rotate("broken");
    // This minute's earlier calls (the delivery tests) would count: start from an empty budget.
    await db.query("DELETE FROM rootcx_system.rate_limits WHERE key = $1", [`webhook:${id}`]);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(token, "{}")).status);
    expect(statuses).toEqual([502, 502, 429]);
    const limited = await call(token, "{}");
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatch(/^this webhook takes at most 2 calls a minute; retry in \d+ s$/);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("records each call (status, duration, error) and keeps the last 100", async () => {
    const id = await idOf("inbound");
    const res = await api(core, "GET", `/api/v1/apps/hooked/webhooks/${id}/calls?limit=5`, undefined, admin.accessToken);
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(5);
    expect(res.body[0]).toMatchObject({ status: 413, error: expect.stringMatching(/^this call is too large to hand/), signed: false });
    expect(res.body.every((c: { durationMs: number }) => c.durationMs >= 0)).toBe(true);
    await db.query("INSERT INTO rootcx_system.webhook_calls (webhook_id, status, duration_ms) SELECT $1, 200, 1 FROM generate_series(1, 150)", [id]);
    await call(inbound.token, "{}");
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM rootcx_system.webhook_calls WHERE webhook_id = $1", [id]);
    expect(rows[0]!.n).toBe(100);
  });

  it("counts calls by status in rootcx_webhook_calls_total", async () => {
    const res = await fetch(`${core.url}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/rootcx_webhook_calls_total\{status="401"\} [1-9]/);
    expect(text).toMatch(/rootcx_webhook_calls_total\{status="404"\} [1-9]/);
  });
});

describe("permissions", () => {
  it("needs webhook.read to list and webhook.manage to rotate or change", async () => {
    const id = await idOf("inbound");
    expect(await api(core, "GET", "/api/v1/apps/hooked/webhooks", undefined, outsider.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: app:hooked:webhook.read" } });
    expect(await api(core, "POST", `/api/v1/apps/hooked/webhooks/${id}/rotate`, undefined, outsider.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: app:hooked:webhook.manage" } });
    expect(await api(core, "PATCH", `/api/v1/apps/hooked/webhooks/${id}`, { rateLimitPerMinute: 1 }, outsider.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: app:hooked:webhook.manage" } });
    expect(await api(core, "GET", `/api/v1/apps/hooked/webhooks/${id}/calls`, undefined, outsider.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: app:hooked:webhook.read" } });
  });

  it("refuses malformed ids and settings with 400", async () => {
    const id = await idOf("inbound");
    expect(await api(core, "POST", "/api/v1/apps/hooked/webhooks/not-a-uuid/rotate", undefined, admin.accessToken)).toMatchObject({ status: 400, body: { error: "invalid webhook id" } });
    expect(await api(core, "POST", "/api/v1/apps/hooked/webhooks/00000000-0000-4000-8000-000000000000/rotate", undefined, admin.accessToken)).toMatchObject({ status: 404, body: { error: "webhook 00000000-0000-4000-8000-000000000000 not found in app hooked" } });
    expect((await api(core, "PATCH", `/api/v1/apps/hooked/webhooks/${id}`, { token: "x" }, admin.accessToken)).status).toBe(400);
    expect((await api(core, "PATCH", `/api/v1/apps/hooked/webhooks/${id}`, { rateLimitPerMinute: 0 }, admin.accessToken)).status).toBe(400);
    expect((await api(core, "GET", `/api/v1/apps/hooked/webhooks/${id}/calls?limit=1000`, undefined, admin.accessToken)).status).toBe(400);
  });

  it("refuses a manifest whose webhooks are malformed, naming the entry", async () => {
    const bad = async (webhooks: unknown[]) => (await api(core, "POST", "/api/v1/apps", { ...manifest, webhooks }, admin.accessToken)).body;
    expect(await bad([{ name: "a b" }])).toEqual({ error: "webhooks[0].name: webhook names use A-Z, a-z, 0-9, _ and -, at most 64" });
    expect(await bad(["x", "x"])).toEqual({ error: 'webhooks[1].name: duplicate webhook "x"' });
    expect(await bad([{ name: "x", method: "agent" }])).toEqual({ error: 'webhooks[0].method: "agent" (calling the app\'s agent) is not supported yet; name a worker RPC' });
    expect((await bad([{ name: "x", extra: true }])).error).toMatch(/^webhooks\[0\]/);
    expect((await list()).map((w) => w.name).sort()).toEqual(["broken", "inbound", "plain", "strict"]);
  });

  it("makes no call for a creator who no longer holds app:{id}:invoke, is disabled or is gone", async () => {
    const member = await signUpAndIn(core, "member@example.com");
    expect((await api(core, "POST", "/api/v1/roles", { name: "hooked_reader", permissions: ["app:hooked:webhook.read"] }, admin.accessToken)).status).toBe(200);
    await db.query("UPDATE rootcx_system.webhooks SET created_by = $1 WHERE name = 'plain'", [member.userId]);
    const { token } = await rotate("plain");
    expect(await call(token, "{}")).toMatchObject({ status: 403, body: { error: "webhook plain's owner no longer holds app:hooked:invoke" } });
    await db.query("UPDATE rootcx_system.users SET disabled_at = now() WHERE id = $1", [member.userId]);
    expect(await call(token, "{}")).toMatchObject({ status: 403, body: { error: "webhook plain belongs to a disabled user" } });
    // The creator's row deleted: the foreign key leaves the webhook without an owner.
    await db.query("UPDATE rootcx_system.webhooks SET created_by = NULL WHERE name = 'plain'");
    expect(await call(token, "{}")).toMatchObject({ status: 403, body: { error: "webhook plain has no owner any more (its creator was deleted); reinstall the app to own it" } });
  });
});

describe("tRPC", () => {
  it("offers list, rotate, update and calls over the same services", async () => {
    const trpc = createCoreClient(core.url, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    const listed = await trpc.webhooks.list.query({ appId: "hooked" });
    const row = listed.find((w) => w.name === "inbound")!;
    expect(row.url).toBe(`/api/v1/hooks/${row.prefix}...`);
    const rotated = await trpc.webhooks.rotate.mutate({ appId: "hooked", webhookId: row.id });
    expect(rotated.url).toBe(`/api/v1/hooks/${rotated.token}`);
    const body = Buffer.from("{}");
    expect((await call(rotated.token, body, sign(rotated.secret, body))).status).toBe(200);
    expect((await trpc.webhooks.update.mutate({ appId: "hooked", webhookId: row.id, rateLimitPerMinute: 50 })).rateLimitPerMinute).toBe(50);
    expect((await trpc.webhooks.calls.query({ appId: "hooked", webhookId: row.id, limit: 1 }))[0]).toMatchObject({ status: 200, signed: true });
    const outsiderTrpc = createCoreClient(core.url, { headers: { authorization: `Bearer ${outsider.accessToken}` } });
    await expect(outsiderTrpc.webhooks.list.query({ appId: "hooked" })).rejects.toThrow("permission required: app:hooked:webhook.read");
  });
});

describe("uninstall", () => {
  it("takes the app's webhooks, their calls and their signing secrets along", async () => {
    const ids = (await list()).map((w) => w.id);
    expect(ids.length).toBe(4);
    const count = async (sql: string, params: unknown[]) => (await db.query<{ n: number }>(sql, params)).rows[0]!.n;
    expect(await count("SELECT count(*)::int AS n FROM rootcx_system.secrets WHERE app_id = ANY($1::text[])", [ids.map((id) => `webhook:${id}`)])).toBe(4);
    expect((await api(core, "DELETE", "/api/v1/apps/hooked", undefined, admin.accessToken)).status).toBe(200);
    expect(await count("SELECT count(*)::int AS n FROM rootcx_system.webhooks WHERE id = ANY($1::uuid[])", [ids])).toBe(0);
    expect(await count("SELECT count(*)::int AS n FROM rootcx_system.webhook_calls WHERE webhook_id = ANY($1::uuid[])", [ids])).toBe(0);
    expect(await count("SELECT count(*)::int AS n FROM rootcx_system.secrets WHERE app_id = ANY($1::text[])", [ids.map((id) => `webhook:${id}`)])).toBe(0);
  });
});
