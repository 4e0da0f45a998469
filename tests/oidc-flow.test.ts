import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session } from "./harness.ts";
import { addProvider, asJson, get, ssoCallback, startSsoFixture, throughProvider, type SsoFixture } from "./oidc-setup.ts";

let f: SsoFixture;
let admin: Session;
let db: pg.Pool;

beforeAll(async () => {
  f = await startSsoFixture();
  db = new pg.Pool({ connectionString: f.core.database.url, max: 2 });
  admin = await signUpAndIn(f.core, "admin@example.com");
  await addProvider(f, admin);
});
afterAll(async () => {
  await db?.end();
  await f?.dispose();
});

const rolesOf = async (userId: string) =>
  (await db.query<{ role: string }>("SELECT role FROM rootcx_system.rbac_assignments WHERE user_id = $1 ORDER BY role", [userId])).rows.map((r) => r.role);
const identitiesOf = async (email: string) =>
  (await db.query<{ provider_id: string; subject: string }>(
    "SELECT i.provider_id, i.subject FROM rootcx_system.oidc_identities i JOIN rootcx_system.users u ON u.id = i.user_id WHERE u.email = $1",
    [email],
  )).rows;
const me = (token: string) => api(f.core, "GET", "/api/v1/auth/me", undefined, token);

describe("browser flow (Authorization Code + PKCE against a real provider)", () => {
  it("redirects to the provider with PKCE S256, state and nonce, and keeps them in PostgreSQL", async () => {
    const res = await get(`${f.core.url}/api/v1/auth/oidc/test-idp/authorize`);
    expect(res.status).toBe(307);
    const to = new URL(res.headers.get("location")!);
    expect(to.origin).toBe(f.idp.issuer);
    expect(to.searchParams.get("code_challenge_method")).toBe("S256");
    expect(to.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get("redirect_uri")).toBe(`${f.publicUrl}/api/v1/auth/oidc/callback`);
    expect(to.searchParams.get("scope")).toBe("openid email profile");
    expect(to.searchParams.get("nonce")).toBeTruthy();
    const { rows } = await db.query<{ ttl: number }>(
      "SELECT extract(epoch FROM expires_at - created_at)::int AS ttl FROM rootcx_system.oidc_login_states ORDER BY created_at DESC LIMIT 1",
    );
    expect(rows[0]!.ttl).toBe(600);
  });

  it("signs a new user in (JSON delivery), registered with the default role base, and the same user on the next sign-in", async () => {
    const first = await asJson(await ssoCallback(f, "alice"));
    expect(first.status).toBe(200);
    expect(Object.keys(first.body).sort()).toEqual(["accessToken", "expiresIn", "refreshToken"]);
    const who = await me(first.body.accessToken);
    expect(who.body).toMatchObject({ email: "alice@example.com", displayName: "Alice Liddell" });
    expect(await rolesOf(who.body.id)).toEqual(["base"]);
    expect(await identitiesOf("alice@example.com")).toEqual([{ provider_id: "test-idp", subject: "alice" }]);
    // The refresh token is a real session's.
    expect((await api(f.core, "POST", "/api/v1/auth/refresh", { refreshToken: first.body.refreshToken })).status).toBe(200);

    const again = await asJson(await ssoCallback(f, "alice"));
    expect(again.status).toBe(200);
    expect((await me(again.body.accessToken)).body.id).toBe(who.body.id);
  });

  it("nonce delivery: a 307 with auth_nonce and no Referer, exchanged once within 30 s for a session", async () => {
    const res = await ssoCallback(f, "alice", { query: { redirect_uri: `${f.publicUrl}/login?next=%2Fusers`, token_delivery: "nonce" } });
    expect(res.status).toBe(307);
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const to = new URL(res.headers.get("location")!);
    expect(`${to.origin}${to.pathname}`).toBe(`${f.publicUrl}/login`);
    expect(to.searchParams.get("next")).toBe("/users");
    const nonce = to.searchParams.get("auth_nonce")!;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.search).not.toContain("access_token");
    const stored = await db.query<{ nonce_hash: string; ttl: number }>("SELECT nonce_hash, extract(epoch FROM expires_at - created_at)::int AS ttl FROM rootcx_system.auth_nonces");
    expect(stored.rows.map((r) => r.nonce_hash)).not.toContain(nonce);
    expect(stored.rows.every((r) => r.ttl === 30)).toBe(true);

    const exchanged = await api(f.core, "POST", "/api/v1/auth/nonce-exchange", { nonce });
    expect(exchanged.status).toBe(200);
    expect((await me(exchanged.body.accessToken)).body.email).toBe("alice@example.com");
    const replay = await api(f.core, "POST", "/api/v1/auth/nonce-exchange", { nonce });
    expect(replay).toMatchObject({ status: 401, body: { error: "invalid or expired nonce; sign in again" } });
  });

  it("refuses an auth_nonce older than 30 s", async () => {
    const res = await ssoCallback(f, "alice", { query: { redirect_uri: `${f.publicUrl}/login`, token_delivery: "nonce" } });
    const nonce = new URL(res.headers.get("location")!).searchParams.get("auth_nonce")!;
    // Ages the nonce the way 31 seconds would, instead of sleeping through them.
    await db.query("UPDATE rootcx_system.auth_nonces SET created_at = created_at - interval '31 seconds', expires_at = expires_at - interval '31 seconds'");
    const late = await api(f.core, "POST", "/api/v1/auth/nonce-exchange", { nonce });
    expect(late).toMatchObject({ status: 401, body: { error: "invalid or expired nonce; sign in again" } });
    expect((await api(f.core, "POST", "/api/v1/auth/nonce-exchange", { nonce: "x".repeat(43) })).status).toBe(401);
  });

  it("the Studio's tRPC end of the nonce mode sets the HttpOnly refresh cookie", async () => {
    const res = await ssoCallback(f, "alice", { query: { redirect_uri: `${f.publicUrl}/login`, token_delivery: "nonce" } });
    const nonce = new URL(res.headers.get("location")!).searchParams.get("auth_nonce")!;
    const trpc = await fetch(`${f.core.url}/api/trpc/oidc.exchangeNonce`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: f.publicUrl },
      body: JSON.stringify({ nonce, cookie: true }),
    });
    expect(trpc.status).toBe(200);
    expect(trpc.headers.getSetCookie()[0]).toMatch(/^rootcx_refresh=[^;]+; Max-Age=2592000; Path=\/api\/trpc; HttpOnly; SameSite=Strict$/);
    const body = (await trpc.json()) as { result: { data: Record<string, unknown> } };
    expect(Object.keys(body.result.data).sort()).toEqual(["accessToken", "expiresIn"]);
  });

  it("legacy delivery puts the tokens in the query and the fragment", async () => {
    const res = await ssoCallback(f, "alice", { query: { redirect_uri: "http://localhost:4567/done", token_delivery: "legacy" } });
    expect(res.status).toBe(307);
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const to = new URL(res.headers.get("location")!);
    expect(to.origin).toBe("http://localhost:4567");
    const fragment = new URLSearchParams(to.hash.slice(1));
    expect(to.searchParams.get("access_token")).toBe(fragment.get("access_token"));
    expect(to.searchParams.get("expires_in")).toBe("900");
    expect((await me(to.searchParams.get("access_token")!)).status).toBe(200);
  });
});

describe("several Core processes, concurrency", () => {
  it("a sign-in started on one Core process is finished by another (the state lives in PostgreSQL)", async () => {
    const other = await startTestCore({ database: f.core.database, env: { ROOTCX_DATA_DIR: f.core.dataDir, ROOTCX_PUBLIC_URL: f.publicUrl } });
    try {
      const callback = await throughProvider(f, "alice");
      const res = await asJson(await get(`${other.url}${callback.pathname}${callback.search}`));
      expect(res.status).toBe(200);
      expect((await me(res.body.accessToken)).body.email).toBe("alice@example.com");
    } finally {
      await other.dispose();
    }
  });

  it("one state used by two callbacks at once signs in once; one auth_nonce exchanged twice at once gives one session", async () => {
    const callback = await throughProvider(f, "alice");
    const both = await Promise.all([get(callback.href), get(callback.href)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 400]);
    await Promise.all(both.map((r) => r.body?.cancel()));

    const res = await ssoCallback(f, "alice", { query: { redirect_uri: `${f.publicUrl}/login` } });
    const nonce = new URL(res.headers.get("location")!).searchParams.get("auth_nonce")!;
    const exchanges = await Promise.all([1, 2, 3].map(() => api(f.core, "POST", "/api/v1/auth/nonce-exchange", { nonce })));
    expect(exchanges.map((r) => r.status).sort()).toEqual([200, 401, 401]);
  });
});

describe("refusals of the browser flow", () => {
  it("a replayed state: the second use of the same callback is refused", async () => {
    const callback = await throughProvider(f, "alice");
    expect((await get(callback.href)).status).toBe(200);
    const replay = await asJson(await get(callback.href));
    expect(replay).toMatchObject({ status: 400, body: { error: "this sign-in is unknown, expired or already used; start the sign-in again" } });
  });

  it("an unknown state, and a callback without one", async () => {
    const unknown = await asJson(await get(`${f.core.url}/api/v1/auth/oidc/callback?state=made-up&code=abc`));
    expect(unknown).toMatchObject({ status: 400, body: { error: "this sign-in is unknown, expired or already used; start the sign-in again" } });
    const none = await asJson(await get(`${f.core.url}/api/v1/auth/oidc/callback?code=abc`));
    expect(none).toMatchObject({ status: 400, body: { error: "state: is missing; this is not a callback of a sign-in this Core started" } });
  });

  it("an expired state (older than 10 minutes)", async () => {
    const callback = await throughProvider(f, "alice");
    await db.query("UPDATE rootcx_system.oidc_login_states SET expires_at = now() - interval '1 second'");
    const res = await asJson(await get(callback.href));
    expect(res).toMatchObject({ status: 400, body: { error: "this sign-in is unknown, expired or already used; start the sign-in again" } });
  });

  it("an ID token whose nonce is not the one this sign-in sent", async () => {
    const callback = await throughProvider(f, "alice");
    await db.query("UPDATE rootcx_system.oidc_login_states SET nonce = 'a-nonce-this-sign-in-never-sent'");
    const res = await asJson(await get(callback.href));
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/^the identity provider's answer was refused: .*nonce/);
  });

  it("a redirect_uri on a foreign origin (400), a loopback one on any port (accepted)", async () => {
    const foreign = await asJson(await get(`${f.core.url}/api/v1/auth/oidc/test-idp/authorize?redirect_uri=${encodeURIComponent("https://evil.example/steal")}`));
    expect(foreign).toMatchObject({ status: 400, body: { error: `redirect_uri must be on this Core's own origin (${f.publicUrl}) or a loopback address` } });
    const lookalike = await get(`${f.core.url}/api/v1/auth/oidc/test-idp/authorize?redirect_uri=${encodeURIComponent(`${f.publicUrl}.evil.example/`)}`);
    expect(lookalike.status).toBe(400);
    const creds = await asJson(await get(`${f.core.url}/api/v1/auth/oidc/test-idp/authorize?redirect_uri=${encodeURIComponent("http://u:p@127.0.0.1:9/")}`));
    expect(creds).toMatchObject({ status: 400, body: { error: "redirect_uri must not carry credentials" } });
    expect((await get(`${f.core.url}/api/v1/auth/oidc/test-idp/authorize?redirect_uri=${encodeURIComponent("http://127.0.0.1:51234/cb")}`)).status).toBe(307);
  });

  it("an unknown provider (404)", async () => {
    const res = await asJson(await get(`${f.core.url}/api/v1/auth/oidc/nobody/authorize`));
    expect(res).toMatchObject({ status: 404, body: { error: "unknown identity provider: nobody" } });
  });

  it("access_denied at the provider reaches the page as a readable error, or JSON 403 without a page", async () => {
    const page = await ssoCallback(f, "alice", { deny: true, query: { redirect_uri: `${f.publicUrl}/login`, token_delivery: "nonce" } });
    expect(page.status).toBe(307);
    const to = new URL(page.headers.get("location")!);
    expect(`${to.origin}${to.pathname}`).toBe(`${f.publicUrl}/login`);
    // A code, not the Core's sentence: the page has its own sentence for it (no text of a link's choosing on it).
    expect(to.searchParams.get("error")).toBe("access_denied");
    expect(to.searchParams.has("auth_nonce")).toBe(false);

    const json = await asJson(await ssoCallback(f, "alice", { deny: true }));
    expect(json).toMatchObject({ status: 403, body: { error: "the identity provider refused the sign-in (access_denied: End-User aborted interaction)" } });
  });
});

describe("first-login rules", () => {
  it("links an existing password account when the provider asserts a verified email", async () => {
    const bob = await signUpAndIn(f.core, "bob@example.com");
    const res = await asJson(await ssoCallback(f, "bob"));
    expect(res.status).toBe(200);
    expect((await me(res.body.accessToken)).body.id).toBe(bob.userId);
    expect(await identitiesOf("bob@example.com")).toEqual([{ provider_id: "test-idp", subject: "bob" }]);
    const { rows } = await db.query("SELECT 1 FROM rootcx_system.audit_log WHERE operation = 'user.sso_link' AND record_id = $1", [bob.userId]);
    expect(rows).toHaveLength(1);
  });

  it("never links an unverified email to an existing account", async () => {
    const mallory = await signUpAndIn(f.core, "mallory@example.com");
    const users = (await db.query("SELECT count(*)::int AS n FROM rootcx_system.users")).rows[0].n;
    const res = await asJson(await ssoCallback(f, "mallory"));
    expect(res.status).toBe(403);
    expect(res.body.error).toBe(
      "an account with the email mallory@example.com already exists, but Test IdP does not assert that this email is verified, so the sign-in cannot be linked to it; sign in another way or ask an administrator",
    );
    expect(await identitiesOf("mallory@example.com")).toEqual([]);
    expect((await db.query("SELECT count(*)::int AS n FROM rootcx_system.users")).rows[0].n).toBe(users);
    expect((await db.query("SELECT count(*)::int AS n FROM rootcx_system.sessions WHERE user_id = $1", [mallory.userId])).rows[0].n).toBe(1);
  });

  it("roleClaim: the claimed role when it exists, else the default role", async () => {
    expect((await api(f.core, "POST", "/api/v1/roles", { name: "support", permissions: [] }, admin.accessToken)).status).toBeLessThan(300);
    await addProvider(f, admin, { id: "with-roles", displayName: "With roles", roleClaim: "role" });
    const carol = await asJson(await ssoCallback(f, "carol", { provider: "with-roles" }));
    expect(carol.status).toBe(200);
    expect(await rolesOf((await me(carol.body.accessToken)).body.id)).toEqual(["support"]);
    const dave = await asJson(await ssoCallback(f, "dave", { provider: "with-roles" }));
    expect(await rolesOf((await me(dave.body.accessToken)).body.id)).toEqual(["base"]);
  });

  it("autoRegister: false refuses a new user with 403 user not provisioned", async () => {
    await addProvider(f, admin, { id: "closed", displayName: "Closed IdP", autoRegister: false });
    const res = await asJson(await ssoCallback(f, "erin", { provider: "closed" }));
    expect(res).toMatchObject({
      status: 403,
      body: { error: "user not provisioned: erin@example.com has no account here and Closed IdP does not register new users; ask an administrator" },
    });
    expect((await db.query("SELECT 1 FROM rootcx_system.users WHERE email = 'erin@example.com'")).rows).toHaveLength(0);
  });

  it("a disabled user cannot sign in by SSO", async () => {
    const grace = await asJson(await ssoCallback(f, "grace"));
    const id = (await me(grace.body.accessToken)).body.id as string;
    expect((await api(f.core, "POST", `/api/v1/users/${id}/disable`, undefined, admin.accessToken)).status).toBe(200);
    const res = await asJson(await ssoCallback(f, "grace"));
    expect(res).toMatchObject({ status: 403, body: { error: "this account is disabled; an administrator can enable it" } });
  });
});

describe("latency of the callback", () => {
  it("measures code exchange + ID-token verification against the provider's own token endpoint", async () => {
    const runs = 20;
    const callbackMs: number[] = [];
    const before = f.idp.tokenEndpointMs.length;
    for (let i = 0; i < runs; i++) {
      const url = await throughProvider(f, "frank");
      const started = performance.now();
      const res = await get(url.href);
      callbackMs.push(performance.now() - started);
      expect(res.status).toBe(200);
      await res.body?.cancel();
    }
    const exchangeMs = f.core.logs
      .map((l) => JSON.parse(l) as { msg: string; exchangeMs?: number })
      .filter((l) => l.msg === "signed in with SSO" && typeof l.exchangeMs === "number")
      .slice(-runs)
      .map((l) => l.exchangeMs!);
    const tokenMs = f.idp.tokenEndpointMs.slice(before);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `SSO callback over ${runs} sign-ins, median ms: whole callback ${median(callbackMs).toFixed(1)}, ` +
        `code exchange + ID-token verification ${median(exchangeMs).toFixed(1)}, provider token endpoint ${median(tokenMs).toFixed(1)}`,
    );
    expect(tokenMs).toHaveLength(runs);
    expect(exchangeMs).toHaveLength(runs);
  });
});
