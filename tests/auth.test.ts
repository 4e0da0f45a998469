import { SignJWT, UnsecuredJWT } from "jose";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { api, PASSWORD, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

let core: TestCore;
let admin: Session;
const secrets = new Set<string>();

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@test.local");
  secrets.add(PASSWORD);
});
afterAll(async () => {
  await core?.dispose();
});

const keep = (s: Session) => {
  secrets.add(s.accessToken);
  secrets.add(s.refreshToken);
  return s;
};

describe("register", () => {
  it("creates a user (201) in the original's shape and accepts display_name", async () => {
    const r = await api(core, "POST", "/api/v1/auth/register", { email: "  Alice@Example.COM ", password: PASSWORD, display_name: "Alice Martin" });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ user: { id: expect.any(String), email: "alice@example.com", displayName: "Alice Martin", createdAt: expect.any(String) } });
    expect(new Date(r.body.user.createdAt).toString()).not.toBe("Invalid Date");
  });

  it("refuses the same email in another case or with spaces", async () => {
    const r = await api(core, "POST", "/api/v1/auth/register", { email: "ALICE@example.com", password: PASSWORD });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: "email already registered" });
  });

  it.each([
    ["Short1aA", "password must be at least 10 characters"],
    ["alllowercase1", "password must contain an upper-case letter"],
    ["ALLUPPERCASE1", "password must contain a lower-case letter"],
    ["NoDigitsHereAtAll", "password must contain a digit"],
  ])("names the broken rule for %s", async (password, message) => {
    const r = await api(core, "POST", "/api/v1/auth/register", { email: "weak@test.local", password });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: message });
  });

  it.each([
    [{ email: "not-an-email", password: PASSWORD }, /email/],
    [{ password: PASSWORD }, /email/],
    [{ email: "x@test.local" }, /password/],
    [{ email: "x@test.local", password: 1234567890 }, /password/],
    [{ email: "x@test.local", password: "A1a".repeat(400) }, /password is too long/],
    [[], /expected object/],
  ])("refuses %j with 400", async (body, message) => {
    const r = await api(core, "POST", "/api/v1/auth/register", body);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(message);
  });

  it("refuses malformed JSON with 400", async () => {
    const r = await api(core, "POST", "/api/v1/auth/register", "{\"email\":");
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^malformed JSON body/);
  });

  it("makes the first user admin and later ones not", async () => {
    const asAdmin = await api(core, "GET", "/api/v1/users/details", undefined, admin.accessToken);
    expect(asAdmin.status).toBe(200);
    const rows = asAdmin.body as { email: string; roles: string[] }[];
    expect(rows.find((u) => u.email === "admin@test.local")?.roles).toEqual(["admin"]);
    expect(rows.find((u) => u.email === "alice@example.com")?.roles).toEqual(["base"]);
    const bob = keep(await signUpAndIn(core, "bob@test.local"));
    expect(await api(core, "GET", "/api/v1/users/details", undefined, bob.accessToken)).toMatchObject({ status: 403, body: { error: "admin role required" } });
  });
});

describe("login, refresh, logout", () => {
  it("signs in with the original's response shape", async () => {
    const r = await api(core, "POST", "/api/v1/auth/login", { email: "ALICE@example.com ", password: PASSWORD });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: 900,
      user: { id: expect.any(String), email: "alice@example.com", displayName: "Alice Martin", createdAt: expect.any(String) },
    });
    secrets.add(r.body.accessToken);
    secrets.add(r.body.refreshToken);
    const me = await api(core, "GET", "/api/v1/auth/me", undefined, r.body.accessToken);
    expect(me.status).toBe(200);
    expect(me.body).toEqual(r.body.user);
  });

  it("answers an unknown email and a wrong password alike, after the same argon2 work", async () => {
    const hasher = core.core.auth.hasher;
    let verifies = 0;
    const realVerify = hasher.verify;
    const realDummy = hasher.verifyDummy;
    hasher.verify = (h, p) => (verifies++, realVerify(h, p));
    hasher.verifyDummy = (p) => (verifies++, realDummy(p));
    try {
      const wrong = await api(core, "POST", "/api/v1/auth/login", { email: "alice@example.com", password: "Wrong-Password-1" });
      const unknown = await api(core, "POST", "/api/v1/auth/login", { email: "nobody@example.com", password: "Wrong-Password-1" });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe("invalid credentials");
      expect(unknown.status).toBe(401);
      expect(unknown.body).toEqual(wrong.body);
      expect(wrong.body).toEqual({ error: "invalid credentials" });
      expect(verifies).toBe(2);
    } finally {
      hasher.verify = realVerify;
      hasher.verifyDummy = realDummy;
    }
  });

  it("refreshes without rotating, and logout ends the session and its access tokens", async () => {
    const s = keep(await signUpAndIn(core, "carol@test.local"));
    const r = await api(core, "POST", "/api/v1/auth/refresh", { refreshToken: s.refreshToken });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ accessToken: expect.any(String), expiresIn: 900 });
    expect((await api(core, "GET", "/api/v1/auth/me", undefined, r.body.accessToken)).status).toBe(200);
    expect((await api(core, "POST", "/api/v1/auth/refresh", { refreshToken: s.refreshToken })).status).toBe(200);

    const out = await api(core, "POST", "/api/v1/auth/logout", { refreshToken: s.refreshToken });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ message: "logged out" });
    expect(await api(core, "POST", "/api/v1/auth/refresh", { refreshToken: s.refreshToken })).toMatchObject({ status: 401, body: { error: "session expired or revoked" } });
    expect(await api(core, "GET", "/api/v1/auth/me", undefined, s.accessToken)).toMatchObject({ status: 401, body: { error: "session ended or user disabled" } });
    expect(await api(core, "GET", "/api/v1/auth/me", undefined, r.body.accessToken)).toMatchObject({ status: 401, body: { error: "session ended or user disabled" } });
  });

  it("requires a refresh token for refresh and logout", async () => {
    expect(await api(core, "POST", "/api/v1/auth/refresh", {})).toMatchObject({ status: 400, body: { error: "refreshToken: refreshToken is required" } });
    expect(await api(core, "POST", "/api/v1/auth/logout", {})).toMatchObject({ status: 400, body: { error: "refreshToken: refreshToken is required" } });
    expect(await api(core, "POST", "/api/v1/auth/refresh", { refreshToken: "garbage" })).toMatchObject({ status: 401, body: { error: "invalid token" } });
  });
});

describe("token security", () => {
  const secret = () => new TextEncoder().encode(core.core.config.jwtSecret);

  async function meWith(token: string) {
    return api(core, "GET", "/api/v1/auth/me", undefined, token);
  }

  it("refuses a refresh token where an access token is required, and the reverse", async () => {
    const r = await meWith(admin.refreshToken);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: "invalid token type" });
    expect(await api(core, "POST", "/api/v1/auth/refresh", { refreshToken: admin.accessToken })).toMatchObject({ status: 401, body: { error: "invalid token type" } });
    // Again, now that both signatures were verified and cached: the cached path checks the kind the same way.
    expect(await meWith(admin.refreshToken)).toMatchObject({ status: 401, body: { error: "invalid token type" } });
    expect(await meWith(admin.refreshToken)).toMatchObject({ status: 401, body: { error: "invalid token type" } });
    expect(await api(core, "POST", "/api/v1/auth/refresh", { refreshToken: admin.accessToken })).toMatchObject({ status: 401, body: { error: "invalid token type" } });
  });

  it("refuses a tampered signature and a tampered payload", async () => {
    const [h, p, s] = admin.accessToken.split(".");
    const flipped = s!.slice(0, -2) + (s!.endsWith("A") ? "BB" : "AA");
    expect(await meWith(`${h}.${p}.${flipped}`)).toMatchObject({ status: 401, body: { error: "invalid token" } });
    const payload = JSON.parse(Buffer.from(p!, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, sub: "00000000-0000-0000-0000-000000000002" })).toString("base64url");
    expect(await meWith(`${h}.${forged}.${s}`)).toMatchObject({ status: 401, body: { error: "invalid token" } });
  });

  it("refuses every other spelling of a valid signature (the last character's unused bits changed)", async () => {
    const [h, p, s] = admin.accessToken.split(".");
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(s!.at(-1)!);
    // A 32-byte HMAC is 43 characters: the last one carries 4 bits of the signature and 2 unused ones.
    const spellings = [1, 2, 3].map((bits) => `${s!.slice(0, -1)}${alphabet[last ^ bits]}`);
    for (const other of spellings) {
      expect(Buffer.from(other, "base64url").equals(Buffer.from(s!, "base64url"))).toBe(true);
      expect(await meWith(`${h}.${p}.${other}`)).toMatchObject({ status: 401, body: { error: "invalid token" } });
    }
    expect((await meWith(admin.accessToken)).status).toBe(200);
  });

  it("refuses alg none, another algorithm and another key", async () => {
    const claims = { email: admin.email, typ: "access" };
    const none = new UnsecuredJWT(claims).setSubject(admin.userId).setIssuedAt().setExpirationTime("5m").encode();
    expect(await meWith(none)).toMatchObject({ status: 401, body: { error: "invalid token" } });
    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: "HS512" }).setSubject(admin.userId).setExpirationTime("5m").sign(secret());
    expect(await meWith(hs512)).toMatchObject({ status: 401, body: { error: "invalid token" } });
    const otherKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(admin.userId)
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode("x".repeat(48)));
    expect(await meWith(otherKey)).toMatchObject({ status: 401, body: { error: "invalid token" } });
  });

  it("refuses an expired token with its own message", async () => {
    const expired = await new SignJWT({ email: admin.email, typ: "access" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(admin.userId)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(secret());
    const r = await meWith(expired);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: "token expired" });
  });

  it("refuses a correctly signed token for a user that does not exist or with a bogus subject", async () => {
    // A live session (the admin's) so that only the subject is wrong: the lookup, not the claim checks, refuses it.
    const sid = (JSON.parse(Buffer.from(admin.accessToken.split(".")[1]!, "base64url").toString()) as { sid: string }).sid;
    const cases: [string, string][] = [
      ["00000000-0000-0000-0000-00000000abcd", "session ended or user disabled"],
      ["not-a-uuid", "invalid token"],
      ["00000000-0000-0000-0000-000000000001", "session ended or user disabled"],
    ];
    // The admin's user entry is cached now, so a poisoned session entry would be believed.
    expect((await meWith(admin.accessToken)).status).toBe(200);
    for (const [sub, reason] of cases) {
      const t = await new SignJWT({ email: "x@test.local", typ: "access", sid }).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuedAt().setExpirationTime("5m").sign(secret());
      expect(await meWith(t)).toMatchObject({ status: 401, body: { error: reason } });
    }
    // The refusals named the admin's session: it must still be open for the admin's own token.
    expect(await meWith(admin.accessToken)).toMatchObject({ status: 200, body: { email: "admin@test.local" } });
  });

  it("refuses missing and malformed Authorization headers", async () => {
    expect((await api(core, "GET", "/api/v1/auth/me")).body).toEqual({ error: "missing bearer token" });
    const basic = await fetch(`${core.url}/api/v1/auth/me`, { headers: { authorization: "Basic YWRtaW46YWRtaW4=" } });
    expect(basic.status).toBe(401);
  });
});

describe("administering users", () => {
  it("lists users (not the system principal) to signed-in users only", async () => {
    expect(await api(core, "GET", "/api/v1/users")).toMatchObject({ status: 401, body: { error: "missing bearer token" } });
    const r = await api(core, "GET", "/api/v1/users", undefined, admin.accessToken);
    expect(r.status).toBe(200);
    const emails = (r.body as { email: string }[]).map((u) => u.email);
    expect(emails).toContain("admin@test.local");
    expect(emails).not.toContain("system@localhost");
    expect(Object.keys(r.body[0]).sort()).toEqual(["createdAt", "displayName", "email", "id"]);
  });

  it("disabling a user refuses its still-valid tokens at once; enabling restores sign-in", async () => {
    const dave = keep(await signUpAndIn(core, "dave@test.local"));
    expect((await api(core, "GET", "/api/v1/auth/me", undefined, dave.accessToken)).status).toBe(200);
    expect(await api(core, "POST", `/api/v1/users/${dave.userId}/disable`, undefined, dave.accessToken)).toMatchObject({ status: 403, body: { error: "admin role required" } });
    expect((await api(core, "POST", `/api/v1/users/${dave.userId}/disable`, undefined, admin.accessToken)).status).toBe(200);

    expect(await api(core, "GET", "/api/v1/auth/me", undefined, dave.accessToken)).toMatchObject({ status: 401, body: { error: "session ended or user disabled" } });
    expect(await api(core, "POST", "/api/v1/auth/refresh", { refreshToken: dave.refreshToken })).toMatchObject({ status: 401, body: { error: "session expired or revoked" } });
    const login = await api(core, "POST", "/api/v1/auth/login", { email: dave.email, password: PASSWORD });
    expect(login.status).toBe(401);
    expect(login.body).toEqual({ error: "invalid credentials" });
    const details = await api(core, "GET", "/api/v1/users/details", undefined, admin.accessToken);
    expect(details.body.find((u: { id: string }) => u.id === dave.userId)).toMatchObject({ disabled: true, sessionCount: 0 });

    expect((await api(core, "POST", `/api/v1/users/${dave.userId}/enable`, undefined, admin.accessToken)).status).toBe(200);
    expect((await api(core, "POST", "/api/v1/auth/login", { email: dave.email, password: PASSWORD })).status).toBe(200);
  });

  it("resetting a password ends the user's sessions; only the new password works", async () => {
    const erin = keep(await signUpAndIn(core, "erin@test.local"));
    const next = "Brand-New-Pass-7";
    secrets.add(next);
    const weak = await api(core, "POST", `/api/v1/users/${erin.userId}/password`, { password: "weak" }, admin.accessToken);
    expect(weak.status).toBe(400);
    expect(weak.body.error).toBe("password must be at least 10 characters");
    expect(await api(core, "POST", `/api/v1/users/${erin.userId}/password`, { password: next }, erin.accessToken)).toMatchObject({ status: 403, body: { error: "admin role required" } });
    expect((await api(core, "POST", `/api/v1/users/${erin.userId}/password`, { password: next }, admin.accessToken)).status).toBe(200);
    expect(await api(core, "GET", "/api/v1/auth/me", undefined, erin.accessToken)).toMatchObject({ status: 401, body: { error: "session ended or user disabled" } });
    expect(await api(core, "POST", "/api/v1/auth/login", { email: erin.email, password: PASSWORD })).toMatchObject({ status: 401, body: { error: "invalid credentials" } });
    expect((await api(core, "POST", "/api/v1/auth/login", { email: erin.email, password: next })).status).toBe(200);
    expect(await api(core, "POST", "/api/v1/users/00000000-0000-0000-0000-00000000beef/password", { password: next }, admin.accessToken)).toMatchObject({ status: 404, body: { error: "user not found" } });
  });

  it("lists and revokes sessions: self or admin", async () => {
    const frank = keep(await signUpAndIn(core, "frank@test.local"));
    const second = await api(core, "POST", "/api/v1/auth/login", { email: frank.email, password: PASSWORD });
    const mine = await api(core, "GET", `/api/v1/users/${frank.userId}/sessions`, undefined, frank.accessToken);
    expect(mine.status).toBe(200);
    expect(mine.body).toHaveLength(2);
    expect(mine.body[0]).toEqual({
      id: expect.any(String),
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      lastUsedAt: null,
      ip: expect.any(String),
      userAgent: expect.any(String),
    });
    expect(await api(core, "GET", `/api/v1/users/${admin.userId}/sessions`, undefined, frank.accessToken)).toMatchObject({ status: 403, body: { error: "admin role required" } });
    expect((await api(core, "GET", `/api/v1/users/${frank.userId}/sessions`, undefined, admin.accessToken)).status).toBe(200);

    const payload = JSON.parse(Buffer.from(second.body.accessToken.split(".")[1], "base64url").toString());
    const revoke = await api(core, "DELETE", `/api/v1/users/${frank.userId}/sessions/${payload.sid}`, undefined, admin.accessToken);
    expect(revoke.status).toBe(200);
    expect(await api(core, "GET", "/api/v1/auth/me", undefined, second.body.accessToken)).toMatchObject({ status: 401, body: { error: "session ended or user disabled" } });
    expect((await api(core, "GET", "/api/v1/auth/me", undefined, frank.accessToken)).status).toBe(200);
    expect(await api(core, "DELETE", `/api/v1/users/${frank.userId}/sessions/${payload.sid}`, undefined, admin.accessToken)).toMatchObject({ status: 404, body: { error: "session not found" } });
    expect(await api(core, "DELETE", `/api/v1/users/${frank.userId}/sessions/not-a-uuid`, undefined, admin.accessToken)).toMatchObject({ status: 400, body: { error: "invalid id" } });
  });

  it("deletes users (admin only); a deleted user's token stops working", async () => {
    const gina = keep(await signUpAndIn(core, "gina@test.local"));
    expect(await api(core, "DELETE", `/api/v1/users/${admin.userId}`, undefined, gina.accessToken)).toMatchObject({ status: 403, body: { error: "admin role required" } });
    expect((await api(core, "DELETE", `/api/v1/users/${gina.userId}`, undefined, admin.accessToken)).status).toBe(200);
    expect(await api(core, "GET", "/api/v1/auth/me", undefined, gina.accessToken)).toMatchObject({ status: 401, body: { error: "session ended or user disabled" } });
    expect(await api(core, "DELETE", `/api/v1/users/${gina.userId}`, undefined, admin.accessToken)).toMatchObject({ status: 404, body: { error: "user not found" } });
    expect(await api(core, "DELETE", "/api/v1/users/00000000-0000-0000-0000-000000000001", undefined, admin.accessToken)).toMatchObject({ status: 404, body: { error: "user not found" } });
    expect(await api(core, "DELETE", "/api/v1/users/x'; DROP TABLE users;--", undefined, admin.accessToken)).toMatchObject({ status: 400, body: { error: "invalid id" } });
  });

  it("never removes or disables the last enabled admin", async () => {
    const del = await api(core, "DELETE", `/api/v1/users/${admin.userId}`, undefined, admin.accessToken);
    expect(del.status).toBe(400);
    expect(del.body).toEqual({ error: "cannot delete the last admin" });
    const dis = await api(core, "POST", `/api/v1/users/${admin.userId}/disable`, undefined, admin.accessToken);
    expect(dis.body).toEqual({ error: "cannot disable the last admin" });

    // With a second admin, the first may go; concurrent removal of both still leaves one.
    const other = await signUpAndIn(core, "admin2@test.local");
    const client = new pg.Client({ connectionString: core.database.url });
    await client.connect();
    await client.query("INSERT INTO rootcx_system.rbac_assignments (user_id, role) VALUES ($1, 'admin')", [other.userId]);
    await client.end();
    const results = await Promise.all([
      api(core, "DELETE", `/api/v1/users/${other.userId}`, undefined, admin.accessToken),
      api(core, "DELETE", `/api/v1/users/${admin.userId}`, undefined, other.accessToken),
    ]);
    // One succeeds; the other is refused because its caller is gone: at authentication (401) or, if it was
    // already past it, under the admin-set lock, where the actor must still be an enabled admin (403).
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(1);
    expect([401, 403]).toContain(refused[0]!.status);
    expect(refused[0]!.body.error).toBe(refused[0]!.status === 403 ? "admin role required" : "session ended or user disabled");
    // Either may win the race; the tests after this one act as whichever administrator is left.
    if (results[1]!.status === 200) admin = other;
    const check = new pg.Client({ connectionString: core.database.url });
    await check.connect();
    const { rows } = await check.query(
      "SELECT count(*)::int AS n FROM rootcx_system.rbac_assignments a JOIN rootcx_system.users u ON u.id = a.user_id WHERE a.role = 'admin' AND u.disabled_at IS NULL",
    );
    await check.end();
    expect(rows[0].n).toBe(1);
  });
});

describe("the Studio's cookie session over tRPC", () => {
  it("keeps the refresh token in an HttpOnly, SameSite=Strict cookie and out of the answer", async () => {
    const res = await fetch(`${core.url}/api/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "alice@example.com", password: PASSWORD, cookie: true }),
    });
    expect(res.status).toBe(200);
    const data = ((await res.json()) as { result: { data: Record<string, unknown> } }).result.data;
    expect(data.refreshToken).toBeUndefined();
    expect(data.accessToken).toEqual(expect.any(String));
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^rootcx_refresh=[^;]+; Max-Age=2592000; Path=\/api\/trpc; HttpOnly; SameSite=Strict$/);
    const pair = cookie.split(";")[0]!;
    secrets.add(pair.split("=")[1]!);

    const refreshed = await fetch(`${core.url}/api/trpc/auth.refresh`, { method: "POST", headers: { cookie: pair, "content-type": "application/json" }, body: "{}" });
    expect(refreshed.status).toBe(200);
    const out = await fetch(`${core.url}/api/trpc/auth.logout`, { method: "POST", headers: { cookie: pair, "content-type": "application/json" }, body: "{}" });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toMatch(/^rootcx_refresh=; Max-Age=0/);
    const again = await fetch(`${core.url}/api/trpc/auth.refresh`, { method: "POST", headers: { cookie: pair, "content-type": "application/json" }, body: "{}" });
    expect(again.status).toBe(401);
  });

  it("offers the same operations through the typed client", async () => {
    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    expect((await client.auth.me.query()).email).toBe(admin.email);
    expect((await client.auth.mode.query()).setupRequired).toBe(false);
    expect((await client.users.details.query()).length).toBeGreaterThan(3);
    await expect(createCoreClient(core.url).users.list.query()).rejects.toThrow(/missing bearer token/);
  });
});

describe("mode", () => {
  it("reports the original's fields", async () => {
    const r = await api(core, "GET", "/api/v1/auth/mode");
    expect(r.body).toEqual({ authRequired: true, setupRequired: false, passwordLoginEnabled: true, registrationOpen: true, magicLinkEnabled: false, providers: [] });
  });
});

describe("secrets stay out of the logs", () => {
  it("no password or token of this file appears in any log line", () => {
    const all = core.logs.join("\n");
    expect(all.length).toBeGreaterThan(0);
    for (const s of secrets) expect(all).not.toContain(s);
  });
});
