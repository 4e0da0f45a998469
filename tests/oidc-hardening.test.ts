import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, type JWTPayload } from "jose";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redirectErrorSentence } from "../src/app/login/redirect-error.ts";
import { describeError } from "../src/server/auth/oidc/client.ts";
import { api, signUpAndIn, type Session } from "./harness.ts";
import { addProvider, asJson, bindingFor, get, providerBody, ssoCallback, startSsoFixture, throughProvider, type SsoFixture } from "./oidc-setup.ts";

let f: SsoFixture;
let admin: Session;
let db: pg.Pool;

beforeAll(async () => {
  f = await startSsoFixture();
  db = new pg.Pool({ connectionString: f.core.database.url, max: 2 });
  admin = await signUpAndIn(f.core, "admin@example.com");
  await addProvider(f, admin);
  await addProvider(f, admin, { id: "trusting", displayName: "Trusting IdP", trustEmail: true });
});
afterAll(async () => {
  await db?.end();
  await f?.dispose();
});

const now = () => Math.floor(Date.now() / 1000);
const me = (token: string) => api(f.core, "GET", "/api/v1/auth/me", undefined, token);
const userByEmail = async (email: string) => (await db.query<{ id: string }>("SELECT id FROM rootcx_system.users WHERE email = $1", [email])).rows[0];

/** An ID token the test provider would itself accept (its key and kid), claims overridden. */
async function idToken(claims: JWTPayload): Promise<string> {
  return new SignJWT({ iss: f.idp.issuer, aud: f.idp.clientId, iat: now(), exp: now() + 300, ...claims })
    .setProtectedHeader({ alg: "RS256", kid: f.idp.kid })
    .sign(f.idp.privateKey);
}
const exchange = async (claims: JWTPayload, providerId = "test-idp") =>
  api(f.core, "POST", "/api/v1/auth/oidc/token-exchange", { providerId, idToken: await idToken(claims) });

describe("a linked identity never changes the account's e-mail", () => {
  it("neither an unverified nor a verified claim moves the account onto another address (token exchange)", async () => {
    const first = await exchange({ sub: "henry", email: "henry@corp.test", email_verified: true, name: "Henry" });
    expect(first.status).toBe(200);
    const id = (await me(first.body.accessToken)).body.id as string;

    const unverified = await exchange({ sub: "henry", email: "newhire@corp.test", email_verified: false, name: "Henry Renamed" });
    expect(unverified.status).toBe(200);
    expect((await me(unverified.body.accessToken)).body).toMatchObject({ id, email: "henry@corp.test", displayName: "Henry Renamed" });

    const verified = await exchange({ sub: "henry", email: "newhire@corp.test", email_verified: true });
    expect(verified.status).toBe(200);
    expect((await me(verified.body.accessToken)).body.email).toBe("henry@corp.test");
    expect(await userByEmail("newhire@corp.test")).toBeUndefined();
  });

  it("the same through the browser flow", async () => {
    f.idp.users.ivy = { email: "ivy@example.com", emailVerified: true, name: "Ivy" };
    const first = await asJson(await ssoCallback(f, "ivy"));
    expect(first.status).toBe(200);
    f.idp.users.ivy = { email: "newhire@example.com", emailVerified: false, name: "Ivy" };
    const again = await asJson(await ssoCallback(f, "ivy"));
    expect(again.status).toBe(200);
    expect((await me(again.body.accessToken)).body.email).toBe("ivy@example.com");
    expect(await userByEmail("newhire@example.com")).toBeUndefined();
  });
});

describe("an unverified e-mail cannot claim an address", () => {
  it("by default no account is registered from an unverified e-mail (403 with the reason)", async () => {
    const res = await exchange({ sub: "squatter", email: "cfo@corp.test", email_verified: false });
    expect(res).toMatchObject({
      status: 403,
      body: { error: "user not provisioned: Test IdP does not assert that cfo@corp.test is verified, so no account is created for it; verify the address at the provider or ask an administrator" },
    });
    expect(await userByEmail("cfo@corp.test")).toBeUndefined();
  });

  it("the browser flow sends the page the code email_unverified, never the sentence", async () => {
    const res = await ssoCallback(f, "mallory", { query: { redirect_uri: `${f.publicUrl}/login`, token_delivery: "nonce" } });
    expect(res.status).toBe(307);
    const to = new URL(res.headers.get("location")!);
    expect(to.searchParams.get("error")).toBe("email_unverified");
    expect(to.searchParams.has("auth_nonce")).toBe(false);
  });

  it("trustEmail registers it, and then the verified owner is never merged into it (409 at another provider or the same)", async () => {
    const squat = await exchange({ sub: "squatter", email: "ceo@corp.test", email_verified: false }, "trusting");
    expect(squat.status).toBe(200);
    const squatted = (await userByEmail("ceo@corp.test"))!;
    const flags = await db.query("SELECT provider_id, email_verified FROM rootcx_system.oidc_identities WHERE user_id = $1", [squatted.id]);
    expect(flags.rows).toEqual([{ provider_id: "trusting", email_verified: false }]);

    const conflict =
      "the account ceo@corp.test was created from a sign-in whose provider did not verify this address, so it cannot be linked to yours; an administrator must resolve it (check who owns that account, then delete or correct it)";
    const elsewhere = await exchange({ sub: "real-ceo", email: "ceo@corp.test", email_verified: true });
    expect(elsewhere).toMatchObject({ status: 409, body: { error: conflict } });
    const same = await exchange({ sub: "real-ceo", email: "ceo@corp.test", email_verified: true }, "trusting");
    expect(same).toMatchObject({ status: 409, body: { error: conflict } });
    const links = await db.query("SELECT provider_id, subject FROM rootcx_system.oidc_identities WHERE user_id = $1", [squatted.id]);
    expect(links.rows).toEqual([{ provider_id: "trusting", subject: "squatter" }]);
  });

  it("an account registered from a verified e-mail is still linked by a verified sign-in elsewhere", async () => {
    expect((await exchange({ sub: "jo-a", email: "jo@corp.test", email_verified: true }, "trusting")).status).toBe(200);
    const linked = await exchange({ sub: "jo-b", email: "jo@corp.test", email_verified: true });
    expect(linked.status).toBe(200);
    expect((await me(linked.body.accessToken)).body.email).toBe("jo@corp.test");
  });
});

describe("the sign-in is bound to the browser that started it (login CSRF)", () => {
  it("authorize sets an HttpOnly, SameSite=Lax cookie scoped to the SSO routes, whose hash is kept with the state", async () => {
    const res = await get(`${f.core.url}/api/v1/auth/oidc/test-idp/authorize`);
    expect(res.status).toBe(307);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("rootcx_sso_binding="))!;
    expect(cookie).toMatch(/^rootcx_sso_binding=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/api\/v1\/auth\/oidc; HttpOnly; SameSite=Lax$/);
    const { rows } = await db.query("SELECT binding_hash FROM rootcx_system.oidc_login_states ORDER BY created_at DESC LIMIT 1");
    expect(rows[0].binding_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a browser on another host name than the public URL is first sent to the public URL (where the callback lands), once", async () => {
    const port = new URL(f.publicUrl).port;
    const back = `${f.publicUrl}/login`;
    const res = await get(`http://localhost:${port}/api/v1/auth/oidc/test-idp/authorize?redirect_uri=${encodeURIComponent(back)}&token_delivery=nonce`);
    expect(res.status).toBe(307);
    expect(res.headers.getSetCookie()).toEqual([]);
    const to = new URL(res.headers.get("location")!);
    expect(`${to.origin}${to.pathname}`).toBe(`${f.publicUrl}/api/v1/auth/oidc/test-idp/authorize`);
    expect(Object.fromEntries(to.searchParams)).toEqual({ redirect_uri: back, token_delivery: "nonce", via_public_url: "1" });
    // Marked as the detour's: never a second one, even if a proxy rewrote the host.
    const once = await get(`http://localhost:${port}${to.pathname}${to.search}`);
    expect(once.status).toBe(307);
    expect(new URL(once.headers.get("location")!).origin).toBe(f.idp.issuer);
    expect(once.headers.getSetCookie()[0]).toMatch(/^rootcx_sso_binding=/);
  });

  it("a callback from a browser without the cookie, or with another one, is refused and spends the state", async () => {
    const mismatch = "this sign-in was started in another browser (or this browser did not keep its cookie); start the sign-in again from this browser";
    const callback = await throughProvider(f, "alice");
    const without = await asJson(await fetch(callback, { redirect: "manual" }));
    expect(without).toMatchObject({ status: 400, body: { error: mismatch } });
    // The state is gone: the right browser cannot finish it either, so a stolen callback is worth nothing.
    expect((await asJson(await get(callback.href))).body.error).toBe("this sign-in is unknown, expired or already used; start the sign-in again");

    const other = await throughProvider(f, "alice");
    const foreign = await asJson(await get(other.href, { cookie: `rootcx_sso_binding=${"A".repeat(43)}` }));
    expect(foreign).toMatchObject({ status: 400, body: { error: mismatch } });
    expect(bindingFor(other)).toBeTruthy();
  });

  it("a page flow goes back to the page with the code browser_mismatch and clears the cookie", async () => {
    const callback = await throughProvider(f, "alice", { query: { redirect_uri: `${f.publicUrl}/login`, token_delivery: "nonce" } });
    const res = await fetch(callback, { redirect: "manual" });
    expect(res.status).toBe(307);
    const to = new URL(res.headers.get("location")!);
    expect(to.searchParams.get("error")).toBe("browser_mismatch");
    expect(to.searchParams.has("auth_nonce")).toBe(false);
    expect(res.headers.getSetCookie()[0]).toMatch(/^rootcx_sso_binding=; Max-Age=0; Path=\/api\/v1\/auth\/oidc; HttpOnly; SameSite=Lax$/);
  });
});

/** A discovery document server whose endpoints a test changes at will (the provider's side of a misconfiguration). */
async function startDiscoveryServer(): Promise<{ issuer: string; doc: Record<string, unknown>; server: Server }> {
  const doc: Record<string, unknown> = {};
  const server = createServer((req, res) => {
    if (req.url !== "/.well-known/openid-configuration") return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(doc, {
    issuer,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ["code"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
  });
  return { issuer, doc, server };
}

describe("provider-side failures are refused at save and are a 502 at sign-in, never a 500", () => {
  let disco: Awaited<ReturnType<typeof startDiscoveryServer>>;
  beforeAll(async () => {
    disco = await startDiscoveryServer();
  });
  afterAll(async () => {
    disco.server.closeAllConnections();
    await new Promise<void>((resolve) => disco.server.close(() => resolve()));
  });
  const save = (overrides: Record<string, unknown>) => api(f.core, "POST", "/api/v1/auth/oidc/providers", providerBody(f.idp, overrides), admin.accessToken);

  it("an issuerUrl that is not a URL is a 400", async () => {
    const res = await save({ id: "broken", issuerUrl: "not a url" });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("issuerUrl: issuerUrl must be an absolute URL");
  });

  it.each([
    ["authorization_endpoint", "javascript:alert(1)"],
    ["token_endpoint", "http://idp.example.com/token"],
    ["jwks_uri", "file:///etc/passwd"],
  ])("a discovery document whose %s is %s is refused at save and at test discovery", async (name, value) => {
    const saved = { ...disco.doc };
    disco.doc[name] = value;
    try {
      const reason = `the discovery document of ${disco.issuer} gives as its ${name} an address that is not https (plain http is allowed only for localhost and 127.0.0.1)`;
      expect(await save({ id: "broken", issuerUrl: disco.issuer })).toMatchObject({ status: 400, body: { error: reason } });
      const trpc = await fetch(`${f.core.url}/api/trpc/oidc.testDiscovery`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin.accessToken}` },
        body: JSON.stringify({ issuerUrl: disco.issuer }),
      });
      expect(trpc.status).toBe(400);
      expect(((await trpc.json()) as { error: { message: string } }).error.message).toBe(reason);
    } finally {
      Object.assign(disco.doc, saved);
    }
  });

  it("a provider whose document turns bad after it was saved, or that is down, answers authorize with 502", async () => {
    expect((await save({ id: "turns-bad", displayName: "Turns Bad", issuerUrl: disco.issuer })).status).toBe(200);
    disco.doc.authorization_endpoint = "javascript:alert(1)";
    const bad = await asJson(await get(`${f.core.url}/api/v1/auth/oidc/turns-bad/authorize`));
    expect(bad).toMatchObject({
      status: 502,
      body: { error: `the discovery document of ${disco.issuer} gives as its authorization_endpoint an address that is not https (plain http is allowed only for localhost and 127.0.0.1)` },
    });
    disco.doc.authorization_endpoint = `${disco.issuer}/auth`;
    disco.server.closeAllConnections();
    await new Promise<void>((resolve) => disco.server.close(() => resolve()));
    const down = await asJson(await get(`${f.core.url}/api/v1/auth/oidc/turns-bad/authorize`));
    expect(down.status).toBe(502);
    expect(down.body.error).toMatch(new RegExp(`^the discovery document of ${disco.issuer} could not be used: `));
    await new Promise<void>((resolve) => disco.server.listen(Number(new URL(disco.issuer).port), "127.0.0.1", resolve));
  });
});

describe("smaller refusals", () => {
  it("a malformed nonce (any string that is not a live nonce) is 401, as documented", async () => {
    for (const nonce of ["", "short", "x".repeat(300)]) {
      expect(await api(f.core, "POST", "/api/v1/auth/nonce-exchange", { nonce })).toMatchObject({ status: 401, body: { error: "invalid or expired nonce; sign in again" } });
    }
  });

  it("a provider error whose text repeats its cause's is said once", () => {
    const text = "error when selecting a JWT verification key, no applicable keys found";
    expect(describeError(new Error(text, { cause: new Error(text) }))).toBe(text);
    expect(describeError(new Error("error when selecting a JWT verification key", { cause: new Error(text) }))).toBe(text);
    expect(describeError(new Error("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:1") }))).toBe("fetch failed: connect ECONNREFUSED 127.0.0.1:1");
  });

  it("the login page shows only its own sentences: an unknown ?error= gets the generic one, never the text", () => {
    const crafted = "Your account is locked. Call +1 555 0100 to unlock it.";
    expect(redirectErrorSentence(crafted)).toBe("The sign-in did not complete. Please try again, or ask an administrator if it keeps failing.");
    expect(redirectErrorSentence("toString")).toBe("The sign-in did not complete. Please try again, or ask an administrator if it keeps failing.");
    expect(redirectErrorSentence("access_denied")).toMatch(/^The sign-in was cancelled or refused at the identity provider/);
    expect(redirectErrorSentence("this sign-in link is invalid, expired or already used")).toBe("This sign-in link is invalid, expired or already used.");
  });
});
