import { generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, type Session } from "./harness.ts";
import { addProvider, startSsoFixture, type SsoFixture } from "./oidc-setup.ts";

let f: SsoFixture;
let admin: Session;
let otherKey: CryptoKey;

beforeAll(async () => {
  f = await startSsoFixture();
  admin = await signUpAndIn(f.core, "admin@example.com");
  await addProvider(f, admin);
  await addProvider(f, admin, { id: "closed", displayName: "Closed IdP", autoRegister: false });
  otherKey = (await generateKeyPair("RS256", { extractable: true })).privateKey;
});
afterAll(async () => {
  await f?.dispose();
});

const now = () => Math.floor(Date.now() / 1000);

/** An ID token as the provider would issue it (its own key and kid), with any claim overridden. */
async function idToken(overrides: JWTPayload = {}, opts: { key?: CryptoKey; kid?: string; alg?: string } = {}): Promise<string> {
  return new SignJWT({
    iss: f.idp.issuer,
    aud: f.idp.clientId,
    sub: "tx-user",
    email: "tx-user@example.com",
    email_verified: true,
    name: "Exchanged",
    iat: now(),
    exp: now() + 300,
    ...overrides,
  })
    .setProtectedHeader({ alg: opts.alg ?? "RS256", kid: opts.kid ?? f.idp.kid })
    .sign(opts.key ?? f.idp.privateKey);
}

const exchange = (idTokenText: string, providerId = "test-idp") => api(f.core, "POST", "/api/v1/auth/oidc/token-exchange", { providerId, idToken: idTokenText });
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe("POST /auth/oidc/token-exchange", () => {
  it("trades a valid ID token for an access token only (no refresh token), for a user found or created", async () => {
    const res = await exchange(await idToken());
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["accessToken", "expiresIn"]);
    expect(res.body.expiresIn).toBe(900);
    const me = await api(f.core, "GET", "/api/v1/auth/me", undefined, res.body.accessToken);
    expect(me.body).toMatchObject({ email: "tx-user@example.com", displayName: "Exchanged" });
    const again = await exchange(await idToken());
    expect((await api(f.core, "GET", "/api/v1/auth/me", undefined, again.body.accessToken)).body.id).toBe(me.body.id);
  });

  it.each([
    ["wrong audience", () => idToken({ aud: "someone-else" }), "invalid ID token: it was issued for another client (audience)"],
    ["wrong issuer", () => idToken({ iss: "http://127.0.0.1:1/other" }), () => `invalid ID token: it was not issued by ${f.idp.issuer}`],
    ["expired", () => idToken({ iat: now() - 3600, exp: now() - 600 }), "invalid ID token: it has expired"],
    ["signed by another key under the provider's kid", () => idToken({}, { key: otherKey }), "invalid ID token: its signature does not verify with the provider's keys"],
    ["signed by another key", () => idToken({}, { key: otherKey, kid: "attacker" }), "invalid ID token: it was signed with a key the provider does not publish"],
    ["issued in the future", () => idToken({ iat: now() + 3600, exp: now() + 7200 }), "invalid ID token: it was issued in the future"],
    ["without sub", () => idToken({ sub: undefined }), "invalid ID token: it has no sub claim"],
    ["several audiences without azp", () => idToken({ aud: [f.idp.clientId, "other"] }), "invalid ID token: it names several audiences and no authorized party (azp)"],
    ["azp naming another client", () => idToken({ azp: "another-client" }), "invalid ID token: its authorized party (azp) is another client"],
    ["a numeric sub", () => idToken({ sub: 12345 as unknown as string }), "the identity provider sent a subject (sub) that is not a string; ID tokens must name the user with a string"],
    ["an over-long email", () => idToken({ email: `${"a".repeat(250)}@example.com` }), "the identity provider sent an email address longer than 254 characters"],
  ] as const)("refuses an ID token: %s (401)", async (_name, make, message) => {
    const res = await exchange(await make());
    expect(res.status).toBe(401);
    expect(res.body.error).toBe(typeof message === "function" ? message() : message);
  });

  it("refuses alg none and an HMAC signed with the client secret", async () => {
    const claims = { iss: f.idp.issuer, aud: f.idp.clientId, sub: "tx-user", email: "tx-user@example.com", email_verified: true, iat: now(), exp: now() + 300 };
    const none = await exchange(`${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`);
    expect(none.status).toBe(401);
    expect(none.body.error).toMatch(/^invalid ID token: its algorithm none is not one this provider signs with \(/);
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(f.idp.clientSecret));
    const hs = await exchange(hmac);
    expect(hs.status).toBe(401);
    expect(hs.body.error).toMatch(/^invalid ID token: its algorithm HS256 is not one this provider signs with/);
    expect((await exchange("not-a-jwt")).body.error).toBe("invalid ID token: it is not a JSON Web Token");
  });

  it("refuses an ID token without an email", async () => {
    const res = await exchange(await idToken({ email: undefined }));
    expect(res).toMatchObject({ status: 401, body: { error: "the identity provider sent no email claim; add the email scope" } });
  });

  it("an unknown provider is 404", async () => {
    const res = await exchange(await idToken(), "nobody");
    expect(res).toMatchObject({ status: 404, body: { error: "unknown identity provider: nobody" } });
  });

  it("autoRegister: false refuses a new user with 403", async () => {
    const res = await exchange(await idToken({ sub: "stranger", email: "stranger@example.com" }), "closed");
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/^user not provisioned: stranger@example.com has no account here/);
  });

  it("an unverified email does not take over an existing account", async () => {
    await signUpAndIn(f.core, "victim@example.com");
    const res = await exchange(await idToken({ sub: "impostor", email: "victim@example.com", email_verified: false }));
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/does not assert that this email is verified/);
    const string = await exchange(await idToken({ sub: "impostor", email: "victim@example.com", email_verified: "yes" }));
    expect(string.status).toBe(403);
  });
});
