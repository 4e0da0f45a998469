import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import argon2 from "argon2";
import { SignJWT } from "jose";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addressKey } from "../src/server/auth/client-address.ts";
import { loadConfig } from "../src/server/config/load.ts";
import { ACCESS_TTL_SECONDS, REFRESH_TTL_SECONDS } from "../src/server/auth/tokens.ts";
import { createRequestHandler } from "../src/server/http/server.ts";
import type { StudioHandler } from "../src/server/studio/in-process.ts";
import { api, PASSWORD, signUpAndIn, startTestCore, type Json, type Session, type TestCore } from "./harness.ts";

// The configured public address of the Studio, as behind a TLS proxy: an Origin equal to it is the Studio's own.
const PUBLIC_URL = "https://studio.example.test";

let core: TestCore;
let db: pg.Client;
let admin: Session;
let bob: Session;

beforeAll(async () => {
  core = await startTestCore({ env: { ROOTCX_PUBLIC_URL: PUBLIC_URL } });
  db = new pg.Client({ connectionString: core.database.url });
  await db.connect();
  admin = await signUpAndIn(core, "admin@hardening.test");
  bob = await signUpAndIn(core, "bob@hardening.test");
});
afterAll(async () => {
  await db?.end();
  await core?.dispose();
});

/** A request from another loopback address (the whole of 127.0.0.0/8 is this machine): a second client address without trusting any forwarding header. */
function callFrom(target: { url: string }, localAddress: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Json> {
  const url = new URL(target.url + path);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, localAddress, headers: { ...(payload ? { "content-type": "application/json" } : {}), ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: h });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const now = () => Math.floor(Date.now() / 1000);
const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
const me = (token: string) => api(core, "GET", "/api/v1/auth/me", undefined, token);

/** Signs any claims with the Core's real key: what someone holding the key, or a bug minting tokens, could produce. */
async function forge(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(core.core.config.jwtSecret));
}

function accessClaims(s: Session, over: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return { sub: s.userId, email: s.email, typ: "access", sid: claimsOf(s.accessToken).sid, iat: t, exp: t + 300, ...over };
}

describe("access tokens", () => {
  it("accepts a token forged with every required claim (so the refusals below are about the claim alone)", async () => {
    const r = await me(await forge(accessClaims(admin)));
    expect(r.status).toBe(200);
    expect(r.body.email).toBe(admin.email);
  });

  it.each(["exp", "iat", "typ", "sid"])("refuses a token without %s", async (claim) => {
    const claims = accessClaims(admin);
    delete claims[claim];
    const r = await me(await forge(claims));
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: `invalid token: missing ${claim} claim` });
  });

  it("refuses a malformed sid, a session that never existed and another user's session", async () => {
    const malformed = await me(await forge(accessClaims(admin, { sid: "not-a-session" })));
    expect(malformed.status).toBe(401);
    expect(malformed.body).toEqual({ error: "invalid token: malformed sid claim" });
    for (const sid of ["6f1c1d1e-0000-4000-8000-000000000000", claimsOf(bob.accessToken).sid]) {
      const r = await me(await forge(accessClaims(admin, { sid })));
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: "session ended or user disabled" });
    }
  });

  it("a token with a sid dies with its session at logout, even one minted outside the Core", async () => {
    const carol = await signUpAndIn(core, "carol@hardening.test");
    const forged = await forge(accessClaims(carol));
    expect((await me(forged)).status).toBe(200);
    expect((await api(core, "POST", "/api/v1/auth/logout", { refreshToken: carol.refreshToken })).status).toBe(200);
    for (const token of [forged, carol.accessToken]) {
      const r = await me(token);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: "session ended or user disabled" });
    }
  });

  it("refuses a token whose session has expired server-side", async () => {
    const dave = await signUpAndIn(core, "dave@hardening.test");
    await db.query("UPDATE rootcx_system.sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [claimsOf(dave.accessToken).sid]);
    const r = await me(dave.accessToken);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: "session ended or user disabled" });
  });

  it("caps the lifetime: exp - iat beyond the access TTL is refused, exactly the TTL is accepted", async () => {
    const t = now();
    for (const [iat, exp] of [[t, t + ACCESS_TTL_SECONDS + 1], [t - 10, t + 10 * 365 * 86_400]]) {
      const r = await me(await forge(accessClaims(admin, { iat, exp })));
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: `invalid token: lifetime exceeds ${ACCESS_TTL_SECONDS} s` });
    }
    expect((await me(await forge(accessClaims(admin, { iat: t, exp: t + ACCESS_TTL_SECONDS })))).status).toBe(200);
    // The Core's own tokens are within the cap.
    const own = claimsOf(admin.accessToken) as { iat: number; exp: number };
    expect(own.exp - own.iat).toBe(ACCESS_TTL_SECONDS);
  });

  it("refuses an iat in the future beyond a small clock skew", async () => {
    const t = now();
    const r = await me(await forge(accessClaims(admin, { iat: t + 3600, exp: t + 3660 })));
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: "invalid token: issued in the future" });
    expect((await me(await forge(accessClaims(admin, { iat: t + 5, exp: t + 65 })))).status).toBe(200);
  });
});

describe("refresh tokens", () => {
  function refreshClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
    const t = now();
    return { sub: admin.userId, email: "", typ: "refresh", session_id: claimsOf(admin.refreshToken).session_id, iat: t, exp: t + 3600, ...over };
  }
  const refresh = async (claims: Record<string, unknown>) => api(core, "POST", "/api/v1/auth/refresh", { refreshToken: await forge(claims) });

  it.each(["exp", "iat", "typ"])("refuses one without %s", async (claim) => {
    const claims = refreshClaims();
    delete claims[claim];
    const r = await refresh(claims);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: `invalid token: missing ${claim} claim` });
  });

  it("refuses a lifetime beyond the refresh TTL, a future iat and a malformed session id (401, not a database error)", async () => {
    const t = now();
    expect((await refresh(refreshClaims({ iat: t, exp: t + REFRESH_TTL_SECONDS + 1 }))).body).toEqual({ error: `invalid token: lifetime exceeds ${REFRESH_TTL_SECONDS} s` });
    expect((await refresh(refreshClaims({ iat: t + 3600, exp: t + 7200 }))).body).toEqual({ error: "invalid token: issued in the future" });
    const malformed = await refresh(refreshClaims({ session_id: "x'; --" }));
    expect(malformed.status).toBe(401);
    expect(malformed.body).toEqual({ error: "invalid token: malformed session_id claim" });
  });

  it("still needs the stored session: a well-formed forged refresh token is not the one the session holds", async () => {
    const r = await refresh(refreshClaims());
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: "session expired or revoked" });
  });
});

describe("login lockout per (account, address)", () => {
  let guarded: TestCore;
  beforeAll(async () => {
    guarded = await startTestCore({ authLimits: { failuresPerAccount: 3, accountLockoutMinutes: 15 } });
    await signUpAndIn(guarded, "owner@hardening.test"); // the first user: the admin
  });
  afterAll(async () => {
    await guarded?.dispose();
  });
  const login = (from: string, password: string) => callFrom(guarded, from, "POST", "/api/v1/auth/login", { email: "owner@hardening.test", password });

  it("locks the guessing address out of the account (429 with Retry-After), not the owner elsewhere", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await login("127.0.0.2", "Wrong-Password-1");
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: "invalid credentials" });
    }
    const locked = await login("127.0.0.2", PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.body.error).toMatch(/^too many attempts, retry in \d+ s$/);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(14 * 60);

    // The owner, from other addresses, signs in with the right password; a typo there is an ordinary 401.
    const owner = await login("127.0.0.3", PASSWORD);
    expect(owner.status).toBe(200);
    expect(owner.body.user.email).toBe("owner@hardening.test");
    expect((await login("127.0.0.1", PASSWORD)).status).toBe(200);
    expect((await login("127.0.0.4", "Wrong-Password-1")).status).toBe(401);

    // The owner's success elsewhere does not lift the guesser's lock.
    expect((await login("127.0.0.2", PASSWORD)).status).toBe(429);
  });

  it("keys IPv6 clients by their /64 and IPv4-mapped addresses as the IPv4 client", () => {
    expect(addressKey("::ffff:10.1.2.3")).toBe("10.1.2.3");
    expect(addressKey("10.1.2.3")).toBe("10.1.2.3");
    expect(addressKey("2001:db8:0:0:aaaa::1")).toBe(addressKey("2001:db8::ffff:ffff:ffff:ffff"));
    expect(addressKey("2001:db8:0:1::1")).not.toBe(addressKey("2001:db8::1"));
  });
});

describe("behind a trusted proxy", () => {
  let proxied: TestCore;
  beforeAll(async () => {
    proxied = await startTestCore({ env: { ROOTCX_TRUSTED_PROXIES: "127.0.0.9, 10.0.0.0/8" }, authLimits: { failuresPerAccount: 3 } });
    await signUpAndIn(proxied, "proxied@hardening.test");
  });
  afterAll(async () => {
    await proxied?.dispose();
  });
  const login = (peer: string, forwardedFor: string | undefined, password: string) =>
    callFrom(proxied, peer, "POST", "/api/v1/auth/login", { email: "proxied@hardening.test", password }, forwardedFor ? { "x-forwarded-for": forwardedFor } : {});

  it("counts the client the proxy names, never an address the client wrote itself", async () => {
    for (let i = 0; i < 3; i++) expect((await login("127.0.0.9", "203.0.113.5", "Wrong-Password-1")).status).toBe(401);
    expect((await login("127.0.0.9", "203.0.113.5", PASSWORD)).status).toBe(429);
    // The attacker prepends the owner's address: the proxy appends the real one, which is what counts.
    expect((await login("127.0.0.9", "198.51.100.7, 203.0.113.5", PASSWORD)).status).toBe(429);
    // Through a second trusted hop (10.0.0.0/8) the client is still the first untrusted address from the right.
    expect((await login("127.0.0.9", "203.0.113.5, 10.1.2.3", PASSWORD)).status).toBe(429);

    const owner = await login("127.0.0.9", "198.51.100.7", PASSWORD);
    expect(owner.status).toBe(200);
    const c = new pg.Client({ connectionString: proxied.database.url });
    await c.connect();
    try {
      const { rows } = await c.query("SELECT ip FROM rootcx_system.sessions ORDER BY created_at DESC LIMIT 1");
      expect(rows).toEqual([{ ip: "198.51.100.7" }]);
    } finally {
      await c.end();
    }
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", async () => {
    for (let i = 0; i < 3; i++) expect((await login("127.0.0.2", `192.0.2.${i + 1}`, "Wrong-Password-1")).status).toBe(401);
    const locked = await login("127.0.0.2", "192.0.2.99", PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.body.error).toMatch(/^too many attempts/);
  });

  it("refuses a malformed ROOTCX_TRUSTED_PROXIES, naming the variable", () => {
    for (const value of ["10.0.0.0/99", "proxy.internal", "10.0.0.1, nonsense"]) {
      expect(() => loadConfig({ ROOTCX_TRUSTED_PROXIES: value })).toThrow(/ROOTCX_TRUSTED_PROXIES: must be IP addresses or CIDR ranges/);
    }
  });
});

describe("account-wide slowdown", () => {
  let slowed: TestCore;
  beforeAll(async () => {
    slowed = await startTestCore({ authLimits: { failuresPerAccount: 100, accountSlowdownAfter: 2, accountSlowdownMaxMs: 700 } });
    await signUpAndIn(slowed, "target@hardening.test");
  });
  afterAll(async () => {
    await slowed?.dispose();
  });

  it("grows with failures from any address, is capped, and holds the owner back without ever refusing them", async () => {
    const limiter = slowed.core.auth.limiter;
    expect([0, 1, 2, 3, 4, 10].map((n) => limiter.slowdownMs(n))).toEqual([0, 0, 250, 500, 700, 700]);

    const attempt = async (from: string, password: string) => {
      const started = performance.now();
      const r = await callFrom(slowed, from, "POST", "/api/v1/auth/login", { email: "target@hardening.test", password });
      return { status: r.status, ms: performance.now() - started };
    };
    for (const from of ["127.0.0.2", "127.0.0.5", "127.0.0.6"]) expect((await attempt(from, "Wrong-Password-1")).status).toBe(401);
    // Three failures from three addresses: the next attempt on the account waits 500 ms, and succeeds.
    const owner = await attempt("127.0.0.3", PASSWORD);
    expect(owner.status).toBe(200);
    expect(owner.ms).toBeGreaterThanOrEqual(450);
  });
});

describe("the refresh cookie", () => {
  const ownOrigin = () => new URL(core.url).origin;

  async function trpc(path: string, input: unknown, headers: Record<string, string>) {
    const res = await fetch(`${core.url}/api/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(input),
    });
    return { status: res.status, body: (await res.json()) as { result?: { data: Record<string, unknown> }; error?: { message: string } }, headers: res.headers };
  }

  async function cookieLogin(email = admin.email): Promise<string> {
    const r = await trpc("auth.login", { email, password: PASSWORD, cookie: true }, { origin: ownOrigin() });
    expect(r.status).toBe(200);
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith("rootcx_refresh="));
    expect(cookie).toBeDefined();
    return cookie!.split(";")[0]!;
  }

  const REFUSAL = "cookie sessions are accepted from the Studio's own origin only";

  it("refuses refresh from another origin, even a local one CORS lets read answers", async () => {
    const cookie = await cookieLogin();
    for (const origin of ["http://localhost:5555", "http://127.0.0.1:1", "https://evil.example.com", "null"]) {
      const r = await trpc("auth.refresh", {}, { cookie, origin });
      expect(r.status).toBe(403);
      expect(r.body.error?.message).toBe(REFUSAL);
      expect(r.body.result).toBeUndefined();
    }
  });

  it("refreshes from the Core's own origin, the configured public origin, and for a program sending no browser headers", async () => {
    const cookie = await cookieLogin();
    const variants: Record<string, string>[] = [{ origin: ownOrigin() }, { origin: PUBLIC_URL }, { "sec-fetch-site": "same-origin" }, {}];
    for (const headers of variants) {
      const r = await trpc("auth.refresh", {}, { cookie, ...headers });
      expect(r.status).toBe(200);
      expect(typeof r.body.result?.data.accessToken).toBe("string");
    }
  });

  it("refuses a browser request whose Sec-Fetch-Site is not same-origin", async () => {
    const cookie = await cookieLogin();
    for (const site of ["same-site", "cross-site", "none"]) {
      const r = await trpc("auth.refresh", {}, { cookie, "sec-fetch-site": site });
      expect(r.status).toBe(403);
      expect(r.body.error?.message).toBe(REFUSAL);
    }
  });

  it("refuses logout and a cookie login from another origin; the session survives the refused logout", async () => {
    const cookie = await cookieLogin();
    const logout = await trpc("auth.logout", {}, { cookie, origin: "http://localhost:5555" });
    expect(logout.status).toBe(403);
    expect(logout.body.error?.message).toBe(REFUSAL);
    expect(logout.headers.getSetCookie()).toEqual([]);
    expect((await trpc("auth.refresh", {}, { cookie, origin: ownOrigin() })).status).toBe(200);

    const login = await trpc("auth.login", { email: admin.email, password: PASSWORD, cookie: true }, { origin: "http://localhost:5555" });
    expect(login.status).toBe(403);
    expect(login.body.error?.message).toBe(REFUSAL);
    expect(login.headers.getSetCookie()).toEqual([]);
  });

  it("leaves a refresh token passed in the body alone: it is not ambient authority", async () => {
    const r = await trpc("auth.refresh", { refreshToken: admin.refreshToken }, { origin: "http://localhost:5555" });
    expect(r.status).toBe(200);
    expect(typeof r.body.result?.data.accessToken).toBe("string");
  });
});

describe("Vary: Origin", () => {
  it.each([
    ["GET", "/api/v1/status", {}],
    ["GET", "/api/v1/status", { origin: "http://localhost:3000" }],
    ["GET", "/api/v1/status", { origin: "https://evil.example.com" }],
    ["GET", "/health", {}],
    ["GET", "/health", { origin: "http://localhost:3000" }],
    ["GET", "/health?full=true", {}],
    ["GET", "/api/trpc/system.health", {}],
    ["GET", "/api/trpc/system.health", { origin: "https://evil.example.com" }],
  ])("%s %s %j", async (method, path, headers) => {
    const res = await fetch(core.url + path, { method, headers });
    expect(res.headers.get("vary")?.split(/,\s*/)).toContain("Origin");
  });

  it("a preflight also varies on the headers it echoes", async () => {
    const res = await fetch(`${core.url}/api/v1/status`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:3000", "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("vary")?.split(/,\s*/)).toEqual(expect.arrayContaining(["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"]));
  });
});

describe("security headers", () => {
  it.each([
    ["GET", "/health", 200],
    ["GET", "/health?full=true", 200],
    ["POST", "/health", 405],
    ["GET", "/api/v1/version", 200],
    ["GET", "/api/v1/status", 401],
    ["GET", "/api/v1/no-such-route", 404],
    ["POST", "/api/v1/auth/login", 400],
    ["GET", "/api/trpc/system.health", 200],
    ["GET", "/api/trpc/no.such.procedure", 404],
    ["GET", "/elsewhere", 404],
  ])("%s %s answers %i with nosniff and a deny-all CSP", async (method, path, status) => {
    const res = await fetch(core.url + path, { method, ...(method === "POST" ? { headers: { "content-type": "application/json" }, body: "{not json" } : {}) });
    expect(res.status).toBe(status);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  /** The Core's request handler in front of a stand-in Studio: the headers are the Core's, whatever renders the page. */
  async function studioAnswer(dev: boolean | undefined) {
    const studio: StudioHandler = {
      async handle(_req: IncomingMessage, res: ServerResponse) {
        res.setHeader("content-type", "text/html; charset=utf-8");
        res.end("<!doctype html><title>Studio</title>");
      },
      close: async () => undefined,
      pid: () => undefined,
      ...(dev === undefined ? {} : { dev }),
    };
    const server = http.createServer(createRequestHandler(core.core, studio));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/login`);
      await res.text();
      return res.headers;
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it("Studio pages get a CSP that forbids framing, plugins and foreign sources, plus the other page headers", async () => {
    const h = await studioAnswer(undefined);
    const csp = Object.fromEntries(h.get("content-security-policy")!.split(/;\s*/).map((d) => [d.split(" ")[0], d.split(" ").slice(1).join(" ")]));
    expect(csp).toMatchObject({
      "default-src": "'self'",
      "script-src": "'self' 'unsafe-inline'",
      "connect-src": "'self'",
      "object-src": "'none'",
      "base-uri": "'self'",
      "form-action": "'self'",
      "frame-ancestors": "'none'",
    });
    expect(h.get("x-frame-options")).toBe("DENY");
    expect(h.get("x-content-type-options")).toBe("nosniff");
    expect(h.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
  });

  it("development mode allows what Next's dev build needs, and only then", async () => {
    const csp = (await studioAnswer(true)).get("content-security-policy")!;
    expect(csp).toContain("script-src 'self' 'unsafe-inline' 'unsafe-eval'");
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect((await studioAnswer(false)).get("content-security-policy")).not.toContain("unsafe-eval");
  });
});

describe("GET /api/v1/status", () => {
  it("shows the database's port and data directory to administrators only", async () => {
    const info = core.core.db.info as { dataDir: string | undefined };
    const original = info.dataDir;
    // The test database is external (no data directory); stand in an embedded one's path to see who gets it.
    info.dataDir = "/var/lib/rootcx/pg";
    try {
      const asAdmin = await api(core, "GET", "/api/v1/status", undefined, admin.accessToken);
      expect(asAdmin.status).toBe(200);
      expect(asAdmin.body.postgres).toEqual({ state: "online", port: core.core.db.info.port, data_dir: "/var/lib/rootcx/pg" });

      const asUser = await api(core, "GET", "/api/v1/status", undefined, bob.accessToken);
      expect(asUser.status).toBe(200);
      expect(asUser.body).toEqual({
        runtime: { version: core.core.version, state: "online" },
        postgres: { state: "online", port: null, data_dir: null },
        forge: { state: "offline", port: null },
      });

      const trpc = await fetch(`${core.url}/api/trpc/system.status`, { headers: { authorization: `Bearer ${bob.accessToken}` } });
      expect(((await trpc.json()) as { result: { data: { postgres: unknown } } }).result.data.postgres).toEqual({ state: "online", port: null, data_dir: null });
    } finally {
      info.dataDir = original;
    }
  });
});

describe("password policy", () => {
  const register = (email: string, password: string) => api(core, "POST", "/api/v1/auth/register", { email, password });

  it.each([
    ["zero-width spaces", "Ab1" + "\u200b".repeat(10)],
    ["NULs", "Ab1" + "\u0000".repeat(10)],
    ["other control characters", "Ab1\u0007\u0008\u001b\u007f\u0085xyzw"],
    ["a byte-order mark", "Abcdefgh12\ufeff"],
    ["a soft hyphen", "Abcdefgh\u00ad12"],
    ["bidi overrides", "Abc\u202edefgh12"],
    ["word joiners", "Ab1\u2060\u2060\u2060\u2060\u2060\u2060\u2060"],
    ["a line separator", "Abcdefgh12\u2028"],
  ])("refuses a password padded with %s, saying why", async (_label, password) => {
    const r = await register("padded@hardening.test", password);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: "password must not contain control or invisible characters" });
  });

  it.each([
    ["combining marks", "Ab1x" + "\u0301".repeat(10)],
    ["emoji with skin tones (4 UTF-16 units each)", "Ab1" + "\u{1F44D}\u{1F3FD}".repeat(3)],
  ])("counts user-perceived characters: %s are short", async (_label, password) => {
    expect(password.length).toBeGreaterThanOrEqual(10);
    const r = await register("short@hardening.test", password);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: "password must be at least 10 characters" });
  });

  it("accepts ten real characters, emoji included, and letters outside ASCII for the case rules", async () => {
    expect((await register("emoji@hardening.test", "Ab1\u{1F642}\u{1F642}\u{1F642}\u{1F642}\u{1F642}\u{1F642}\u{1F642}")).status).toBe(201);
    expect((await register("umlaut@hardening.test", "ÄRGERLICH-ü-1")).status).toBe(201);
  });

  it("hashes the normalised form: composed and decomposed accents, full-width and ASCII digits are the same password", async () => {
    const composed = "P\u00e4ssw\u00f6rd-Long-12";
    const decomposed = "Pa\u0308sswo\u0308rd-Long-12";
    expect((await register("accents@hardening.test", decomposed)).status).toBe(201);
    expect((await api(core, "POST", "/api/v1/auth/login", { email: "accents@hardening.test", password: composed })).status).toBe(200);

    expect((await register("fullwidth@hardening.test", "Secret-Pass-\uff11\uff12")).status).toBe(201);
    expect((await api(core, "POST", "/api/v1/auth/login", { email: "fullwidth@hardening.test", password: "Secret-Pass-12" })).status).toBe(200);

    // An administrator's reset normalises the same way.
    const id = (await api(core, "POST", "/api/v1/auth/login", { email: "accents@hardening.test", password: composed })).body.user.id;
    expect((await api(core, "POST", `/api/v1/users/${id}/password`, { password: "Ne\u0301w-Password-34" }, admin.accessToken)).status).toBe(200);
    expect((await api(core, "POST", "/api/v1/auth/login", { email: "accents@hardening.test", password: "N\u00e9w-Password-34" })).status).toBe(200);
  });

  it("still signs in a user whose hash was made from the password as typed, before normalisation", async () => {
    const typed = "Pa\u0308sswo\u0308rd-Legacy-56";
    expect((await register("legacy@hardening.test", "Temporary-Pass-1")).status).toBe(201);
    await db.query("UPDATE rootcx_system.users SET password_hash = $1 WHERE email = 'legacy@hardening.test'", [await argon2.hash(typed, { type: argon2.argon2id })]);
    expect((await api(core, "POST", "/api/v1/auth/login", { email: "legacy@hardening.test", password: typed })).status).toBe(200);
    const wrong = await api(core, "POST", "/api/v1/auth/login", { email: "legacy@hardening.test", password: "Pa\u0308sswo\u0308rd-Legacy-57" });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: "invalid credentials" });
  });
});

describe("secrets of an app that is not installed", () => {
  it.each([
    ["POST", "/api/v1/apps/ghost/secrets", { key: "TOKEN", value: "v" }],
    ["GET", "/api/v1/apps/ghost/secrets", undefined],
    ["DELETE", "/api/v1/apps/ghost/secrets/TOKEN", undefined],
    ["POST", "/api/v1/apps/core/secrets", { key: "TOKEN", value: "v" }],
  ])("%s %s answers 404 and writes nothing", async (method, path, body) => {
    const r = await api(core, method, path, body, admin.accessToken);
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: `app ${path.split("/")[4]} not found` });
    expect((await db.query("SELECT 1 FROM rootcx_system.secrets WHERE app_id IN ('ghost', 'core')")).rowCount).toBe(0);
  });

  it("a secret written while its app is being uninstalled waits for it, then answers 404 and leaves nothing behind", async () => {
    const installed = await api(core, "POST", "/api/v1/apps", { appId: "doomed", name: "Doomed", version: "0.1.0", dataContract: [] }, admin.accessToken);
    expect([200, 201]).toContain(installed.status);
    // Stand in for an uninstall half-way: its lock is held and the app row is about to go.
    const uninstall = new pg.Client({ connectionString: core.database.url });
    await uninstall.connect();
    try {
      await uninstall.query("BEGIN");
      await uninstall.query("SELECT pg_advisory_xact_lock(hashtext('rootcx_system.apps'))");
      const pending = api(core, "POST", "/api/v1/apps/doomed/secrets", { key: "LATE", value: "v" }, admin.accessToken);
      let waiting = 0;
      for (let i = 0; i < 100 && waiting === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        waiting = (await db.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).rows[0].n;
      }
      expect(waiting).toBe(1);
      await uninstall.query("DELETE FROM rootcx_system.apps WHERE id = 'doomed'");
      await uninstall.query("COMMIT");
      const r = await pending;
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error: "app doomed not found" });
    } finally {
      await uninstall.end();
    }
    expect((await db.query("SELECT 1 FROM rootcx_system.secrets WHERE app_id = 'doomed'")).rowCount).toBe(0);
  });

  it("checks permission before existence, and an installed app's secrets work", async () => {
    const denied = await api(core, "POST", "/api/v1/apps/ghost/secrets", { key: "TOKEN", value: "v" }, bob.accessToken);
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ error: "permission required: admin:secrets.manage" });
    const installed = await api(core, "POST", "/api/v1/apps", { appId: "real", name: "Real", version: "0.1.0", dataContract: [] }, admin.accessToken);
    expect([200, 201]).toContain(installed.status);
    expect((await api(core, "POST", "/api/v1/apps/real/secrets", { key: "TOKEN", value: "v" }, admin.accessToken)).body).toEqual({ message: "secret TOKEN set" });
    expect((await api(core, "GET", "/api/v1/apps/real/secrets", undefined, admin.accessToken)).body).toEqual(["TOKEN"]);
  });
});
