import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { hashRefreshToken } from "../src/server/auth/tokens.ts";
import { api, signUpAndIn, startTestCore, type Json, type Session, type TestCore } from "./harness.ts";
import { openSse } from "./sse-client.ts";

// API keys (issue 14 §1): accepted as a bearer everywhere a user token is, governed by the account's roles,
// refused at once when deleted, expired or disabled, on this Core and on a second one on the same database.

let core: TestCore;
let second: TestCore;
let admin: Session;

const manifest = {
  appId: "keyed",
  name: "Keyed",
  version: "0.1.0",
  dataContract: [
    { entityName: "note", fields: [{ name: "title", type: "text", required: true }] },
    { entityName: "secret_note", fields: [{ name: "title", type: "text", required: true }] },
  ],
};

async function newAccount(slug: string): Promise<string> {
  const res = await api(core, "POST", "/api/v1/service-accounts", { slug }, admin.accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function newKey(accountId: string, name = "k", expiresInDays?: number): Promise<{ id: string; key: string; prefix: string; expiresAt: string }> {
  const res = await api(core, "POST", `/api/v1/service-accounts/${accountId}/credentials`, { name, ...(expiresInDays ? { expiresInDays } : {}) }, admin.accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const me = (target: { url: string }, key: string): Promise<Json> => api(target, "GET", "/api/v1/auth/me", undefined, key);

async function tokenRequest(target: { url: string }, fields: Record<string, string>, contentType = "application/x-www-form-urlencoded"): Promise<Json> {
  const res = await fetch(`${target.url}/api/v1/auth/token`, {
    method: "POST",
    headers: { "content-type": contentType },
    body: contentType.includes("json") ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

beforeAll(async () => {
  core = await startTestCore({ logLimits: { accessRecheckMs: 100 } });
  second = await startTestCore({
    database: core.database,
    // The same keys as the first process: tokens and the vault are shared by every Core on one database.
    env: { ROOTCX_MASTER_KEY: core.core.config.masterKey.toString("hex"), ROOTCX_JWT_SECRET: core.core.config.jwtSecret },
  });
  admin = await signUpAndIn(core, "keys-admin@example.com");
  const install = await api(core, "POST", "/api/v1/apps", manifest, admin.accessToken);
  expect(install.status, JSON.stringify(install.body)).toBeLessThan(300);
  for (const title of ["one", "two"]) expect((await api(core, "POST", "/api/v1/apps/keyed/collections/note", { title }, admin.accessToken)).status).toBe(201);
  expect((await api(core, "POST", "/api/v1/apps/keyed/collections/secret_note", { title: "hidden" }, admin.accessToken)).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await second?.dispose();
  await core?.dispose();
});

describe("an API key as a bearer", () => {
  it("authenticates REST and tRPC as its service account", async () => {
    const id = await newAccount("reader");
    const { key } = await newKey(id);
    const rest = await me(core, key);
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ id, email: "sa+reader@localhost" });
    const trpc = createCoreClient(core.url, { headers: { authorization: `Bearer ${key}` } });
    expect(await trpc.auth.me.query()).toMatchObject({ id, email: "sa+reader@localhost" });
    // The second Core on the same database knows the key too.
    expect((await me(second, key)).body).toMatchObject({ id });
  });

  it("reads only what its roles allow, through the governed transaction", async () => {
    const id = await newAccount("scoped");
    const { key } = await newKey(id);
    // No role, no permission: reads are filtered silently (spec §1), writes refused by the policy.
    const none = await api(core, "GET", "/api/v1/apps/keyed/collections/note", undefined, key);
    expect(none.status).toBe(200);
    expect(none.body).toEqual([]);
    const role = await api(core, "POST", "/api/v1/roles", { name: "note-reader", permissions: ["app:keyed:note.read"] }, admin.accessToken);
    expect(role.status, JSON.stringify(role.body)).toBe(200);
    const assign = await api(core, "POST", "/api/v1/roles/assign", { userId: id, role: "note-reader" }, admin.accessToken);
    expect(assign.status, JSON.stringify(assign.body)).toBe(200);
    const notes = await api(core, "GET", "/api/v1/apps/keyed/collections/note", undefined, key);
    expect((notes.body as { title: string }[]).map((n) => n.title).sort()).toEqual(["one", "two"]);
    expect((await api(core, "GET", "/api/v1/apps/keyed/collections/secret_note", undefined, key)).body).toEqual([]);
    const write = await api(core, "POST", "/api/v1/apps/keyed/collections/note", { title: "three" }, key);
    expect(write.status).toBe(403);
    expect(write.body.error).toBe("write rejected by access policy");
    // The same through tRPC.
    const trpc = createCoreClient(core.url, { headers: { authorization: `Bearer ${key}` } });
    expect((await trpc.data.list.query({ appId: "keyed", entity: "note" }) as unknown[]).length).toBe(2);
    // An administrative route needs its permission like anyone's.
    const users = await api(core, "GET", "/api/v1/users/details", undefined, key);
    expect(users.status).toBe(403);
    expect(users.body.error).toBe("admin role required");
  });

  it("refuses forged, altered and malformed keys with a reason", async () => {
    const id = await newAccount("forgery");
    const { key } = await newKey(id);
    const forged = [
      `rcs_${randomBytes(32).toString("base64url")}`, // right length, random
      key.slice(0, 12) + randomBytes(32).toString("base64url").slice(0, 35), // the real prefix, the rest forged
      key.slice(0, -1) + (key.endsWith("A") ? "B" : "A"), // one character changed
      key.slice(0, -1), // one character short
      `${key}A`, // one character long
    ];
    for (const bad of forged) {
      const res = await me(core, bad);
      expect(res.status, bad).toBe(401);
      expect(res.body.error).toBe("invalid API key");
    }
    expect((await me(core, key)).status).toBe(200);
  });

  it("refuses an expired key, also one that expires while this process remembers it", async () => {
    const id = await newAccount("expiring");
    const { key, id: credId } = await newKey(id);
    expect((await me(core, key)).status).toBe(200);
    // A key whose expiry passes while it is cached: its expiry is moved to two seconds from now (announced, as
    // nothing but time changes a real key's expiry), the next request caches that, and the one after the wait is
    // answered from the cache, which must still compare the expiry.
    await core.core.db.pool.query("UPDATE rootcx_system.service_account_credentials SET expires_at = now() + interval '2 seconds' WHERE id = $1", [credId]);
    await core.core.db.pool.query("SELECT pg_notify('rootcx_auth', $1)", [`user:${id}`]);
    await new Promise((r) => setTimeout(r, 300));
    expect((await me(core, key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_000));
    for (const target of [core, second]) {
      const res = await me(target, key);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe("API key expired");
    }
    const tok = await tokenRequest(core, { grant_type: "client_credentials", client_id: id, client_secret: key });
    expect(tok.status).toBe(401);
    expect(tok.body).toEqual({ error: "invalid_client", error_description: "API key expired" });
  });

  it("refuses a deleted key's next request at once, on both Core processes", async () => {
    const id = await newAccount("deleted-key");
    const doomed = await newKey(id, "doomed");
    const kept = await newKey(id, "kept");
    // Both processes have the key cached.
    for (const target of [core, second]) expect((await me(target, doomed.key)).status).toBe(200);
    const del = await api(core, "DELETE", `/api/v1/service-accounts/${id}/credentials/${doomed.id}`, undefined, admin.accessToken);
    expect(del.status).toBe(200);
    expect(del.body.message).toBe(`key doomed (${doomed.prefix}…) deleted`);
    expect((await me(core, doomed.key)).body).toEqual({ error: "invalid API key" });
    await expect.poll(async () => (await me(second, doomed.key)).status, { timeout: 1_000, interval: 20 }).toBe(401);
    // The account's other key is untouched.
    for (const target of [core, second]) expect((await me(target, kept.key)).status).toBe(200);
  });

  it("refuses a disabled account's keys at once on both processes, and accepts them again when enabled", async () => {
    const id = await newAccount("switch");
    const { key } = await newKey(id);
    for (const target of [core, second]) expect((await me(target, key)).status).toBe(200);
    expect((await api(second, "POST", `/api/v1/service-accounts/${id}/disable`, undefined, admin.accessToken)).status).toBe(200);
    expect((await me(second, key)).body).toEqual({ error: "service account disabled" });
    await expect.poll(async () => (await me(core, key)).body, { timeout: 1_000, interval: 20 }).toEqual({ error: "service account disabled" });
    expect((await api(core, "POST", `/api/v1/service-accounts/${id}/enable`, undefined, admin.accessToken)).status).toBe(200);
    expect((await me(core, key)).status).toBe(200);
    await expect.poll(async () => (await me(second, key)).status, { timeout: 1_000, interval: 20 }).toBe(200);
  });

  it("refuses a deleted account's keys at once", async () => {
    const id = await newAccount("gone");
    const { key } = await newKey(id);
    for (const target of [core, second]) expect((await me(target, key)).status).toBe(200);
    expect((await api(core, "DELETE", `/api/v1/service-accounts/${id}`, undefined, admin.accessToken)).body).toEqual({ message: "service account sa+gone@localhost deleted" });
    expect((await me(core, key)).body).toEqual({ error: "invalid API key" });
    await expect.poll(async () => (await me(second, key)).status, { timeout: 1_000, interval: 20 }).toBe(401);
  });

  it("ends an open log stream when its key is deleted or its account disabled, saying why", async () => {
    const id = await newAccount("log-reader");
    expect((await api(core, "POST", "/api/v1/roles", { name: "keyed-logs", permissions: ["app:keyed:logs.read"] }, admin.accessToken)).status).toBe(200);
    expect((await api(core, "POST", "/api/v1/roles/assign", { userId: id, role: "keyed-logs" }, admin.accessToken)).status).toBe(200);
    const doomed = await newKey(id, "doomed");
    const stream = await openSse(core.url, "/api/v1/apps/keyed/logs?replay=0", doomed.key);
    expect(stream.status).toBe(200);
    const ended = new Promise<void>((r) => stream.onEnd(r));
    expect((await api(core, "DELETE", `/api/v1/service-accounts/${id}/credentials/${doomed.id}`, undefined, admin.accessToken)).status).toBe(200);
    await ended;
    expect(stream.events()).toEqual([{ level: "system", message: "log stream ended: invalid API key" }]);

    const kept = await newKey(id, "kept");
    const second_ = await openSse(core.url, "/api/v1/apps/keyed/logs?replay=0", kept.key);
    const secondEnded = new Promise<void>((r) => second_.onEnd(r));
    expect((await api(core, "POST", `/api/v1/service-accounts/${id}/disable`, undefined, admin.accessToken)).status).toBe(200);
    await secondEnded;
    expect(second_.events()).toEqual([{ level: "system", message: "log stream ended: service account disabled" }]);
  });

  it("records a key's last use, at most once a minute", async () => {
    const id = await newAccount("used");
    const { key, id: credId } = await newKey(id);
    const lastUse = async () =>
      (await core.core.db.pool.query<{ last_used_at: Date | null }>("SELECT last_used_at FROM rootcx_system.service_account_credentials WHERE id = $1", [credId])).rows[0]!.last_used_at;
    expect(await lastUse()).toBeNull();
    await me(core, key);
    await expect.poll(lastUse, { timeout: 2_000, interval: 20 }).not.toBeNull();
    const first = (await lastUse())!.getTime();
    for (let i = 0; i < 5; i++) await me(core, key);
    // The other process has not written for this key yet; the database still keeps it to once a minute.
    for (let i = 0; i < 5; i++) await me(second, key);
    await new Promise((r) => setTimeout(r, 200));
    expect((await lastUse())!.getTime()).toBe(first);
    const details = await api(core, "GET", `/api/v1/service-accounts/${id}`, undefined, admin.accessToken);
    expect(details.body.credentials[0].lastUsedAt).toBe(new Date(first).toISOString());
  });
});

describe("POST /auth/token (client credentials)", () => {
  it("exchanges the account's id and key for a short-lived access token, without a refresh token", async () => {
    const id = await newAccount("client");
    const { key } = await newKey(id);
    const res = await tokenRequest(core, { grant_type: "client_credentials", client_id: id, client_secret: key });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["access_token", "expires_in", "token_type"]);
    expect(res.body.token_type).toBe("Bearer");
    expect(res.body.expires_in).toBeGreaterThan(890);
    expect(res.body.expires_in).toBeLessThanOrEqual(900);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect((await me(second, res.body.access_token)).body).toMatchObject({ id, email: "sa+client@localhost" });
    // JSON with the same fields is read too.
    expect((await tokenRequest(core, { grant_type: "client_credentials", client_id: id, client_secret: key }, "application/json")).status).toBe(200);
  });

  it("answers the spec's refusals", async () => {
    const id = await newAccount("client-refusals");
    const other = await newAccount("client-other");
    const { key } = await newKey(id);
    const wrongGrant = await tokenRequest(core, { grant_type: "password", client_id: id, client_secret: key });
    expect(wrongGrant).toMatchObject({ status: 400, body: { error: "unsupported_grant_type" } });
    const wrongKey = await tokenRequest(core, { grant_type: "client_credentials", client_id: id, client_secret: `rcs_${randomBytes(32).toString("base64url")}` });
    expect(wrongKey).toMatchObject({ status: 401, body: { error: "invalid_client", error_description: "invalid API key" } });
    const otherAccount = await tokenRequest(core, { grant_type: "client_credentials", client_id: other, client_secret: key });
    expect(otherAccount).toMatchObject({ status: 401, body: { error: "invalid_client", error_description: "invalid API key" } });
    const notAnId = await tokenRequest(core, { grant_type: "client_credentials", client_id: "nope", client_secret: key });
    expect(notAnId).toMatchObject({ status: 401, body: { error: "invalid_client" } });
    const missing = await tokenRequest(core, { grant_type: "client_credentials", client_id: id });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: "invalid_request", error_description: "client_secret is required (in the body, or HTTP Basic)" });
    const twice = await fetch(`${core.url}/api/v1/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=client_credentials&client_id=${id}&client_secret=${key}&client_secret=${key}`,
    });
    expect(twice.status).toBe(400);
    expect(await twice.json()).toEqual({ error: "invalid_request", error_description: "client_secret is given more than once" });
    const oversize = await tokenRequest(core, { grant_type: "client_credentials", client_id: id, client_secret: "x".repeat(20_000) });
    expect(oversize.status).toBe(413);
  });

  it("ends the exchanged token when its key is deleted or its account disabled, on both processes", async () => {
    const id = await newAccount("client-revoke");
    const first = await newKey(id, "first");
    const second_ = await newKey(id, "second");
    const token1 = (await tokenRequest(core, { grant_type: "client_credentials", client_id: id, client_secret: first.key })).body.access_token as string;
    const token2 = (await tokenRequest(core, { grant_type: "client_credentials", client_id: id, client_secret: second_.key })).body.access_token as string;
    for (const target of [core, second]) for (const t of [token1, token2]) expect((await me(target, t)).status).toBe(200);
    expect((await api(core, "DELETE", `/api/v1/service-accounts/${id}/credentials/${first.id}`, undefined, admin.accessToken)).status).toBe(200);
    expect((await me(core, token1)).body).toEqual({ error: "session ended or user disabled" });
    await expect.poll(async () => (await me(second, token1)).status, { timeout: 1_000, interval: 20 }).toBe(401);
    expect((await me(core, token2)).status).toBe(200);
    expect((await api(core, "POST", `/api/v1/service-accounts/${id}/disable`, undefined, admin.accessToken)).status).toBe(200);
    expect((await me(core, token2)).status).toBe(401);
    await expect.poll(async () => (await me(second, token2)).status, { timeout: 1_000, interval: 20 }).toBe(401);
  });

  it("leaves no expired sessions behind a key exchanged again and again", async () => {
    const id = await newAccount("client-churn");
    const { key, id: credId } = await newKey(id);
    const exchange = async () => expect((await tokenRequest(core, { grant_type: "client_credentials", client_id: id, client_secret: key })).status).toBe(200);
    const count = async () => (await core.core.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM rootcx_system.sessions WHERE credential_id = $1", [credId])).rows[0]!.n;
    await exchange();
    await exchange();
    expect(await count()).toBe(2);
    await core.core.db.pool.query("UPDATE rootcx_system.sessions SET expires_at = now() - interval '1 second' WHERE credential_id = $1", [credId]);
    await exchange();
    expect(await count()).toBe(1);
  });

  it("never lets a service account refresh", async () => {
    const id = await newAccount("no-refresh");
    const { key } = await newKey(id);
    const res = await tokenRequest(core, { grant_type: "client_credentials", client_id: id, client_secret: key });
    expect(res.body.refresh_token).toBeUndefined();
    // Even a refresh token signed with the Core's own key for the account's session is refused.
    const { rows } = await core.core.db.pool.query<{ id: string }>("SELECT id FROM rootcx_system.sessions WHERE user_id = $1", [id]);
    const forged = await core.core.auth.tokens.signRefresh({ sub: id, sessionId: rows[0]!.id });
    await core.core.db.pool.query("UPDATE rootcx_system.sessions SET refresh_token_hash = $2 WHERE id = $1", [rows[0]!.id, hashRefreshToken(forged)]);
    const refresh = await api(core, "POST", "/api/v1/auth/refresh", { refreshToken: forged });
    expect(refresh.status).toBe(401);
    expect(refresh.body.error).toBe("session expired or revoked");
  });
});
