import { freePort } from "../src/server/db/embedded.ts";
import { api, signUpAndIn, startTestCore, type Json, type Session, type TestCore } from "./harness.ts";
import { signInAtProvider, startTestIdp, type IdpUser, type TestIdp } from "./oidc-idp.ts";

// The Core's public URL (and the provider's redirect URI) must name its port before it starts.
export { freePort };

export const SSO_USERS: Record<string, IdpUser> = {
  alice: { email: "alice@example.com", emailVerified: true, name: "Alice Liddell" },
  bob: { email: "bob@example.com", emailVerified: true, name: "Bob" },
  carol: { email: "carol@example.com", emailVerified: true, name: "Carol", role: "support" },
  dave: { email: "dave@example.com", emailVerified: true, name: "Dave", role: "no-such-role" },
  mallory: { email: "mallory@example.com", emailVerified: false, name: "Mallory" },
  erin: { email: "erin@example.com", emailVerified: true, name: "Erin" },
  frank: { email: "frank@example.com", emailVerified: true, name: "Frank" },
  grace: { email: "grace@example.com", emailVerified: true, name: "Grace" },
};

export interface SsoFixture {
  core: TestCore;
  idp: TestIdp;
  publicUrl: string;
  dispose(): Promise<void>;
}

/**
 * A real identity provider and a Core whose public URL is known before it starts (the provider must have the
 * Core's callback registered). Password sign-in limits are lifted as in every test Core.
 */
export async function startSsoFixture(opts: { env?: (idp: TestIdp) => Record<string, string> } = {}): Promise<SsoFixture> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const idp = await startTestIdp({ redirectUris: [`${publicUrl}/api/v1/auth/oidc/callback`], users: SSO_USERS });
  let core: TestCore;
  try {
    core = await startTestCore({ env: { PORT: String(port), ROOTCX_PUBLIC_URL: publicUrl, ...opts.env?.(idp) } });
  } catch (err) {
    await idp.close();
    throw err;
  }
  return {
    core,
    idp,
    publicUrl,
    async dispose() {
      await core.dispose();
      await idp.close();
    },
  };
}

export function providerBody(idp: TestIdp, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: "test-idp", displayName: "Test IdP", issuerUrl: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, ...overrides };
}

export async function addProvider(f: SsoFixture, admin: Session, overrides: Record<string, unknown> = {}): Promise<void> {
  const res = await api(f.core, "POST", "/api/v1/auth/oidc/providers", providerBody(f.idp, overrides), admin.accessToken);
  if (res.status !== 200) throw new Error(`add provider: ${res.status} ${JSON.stringify(res.body)}`);
}

/**
 * The binding cookie each started sign-in got at authorize, by its state: the test's "browser". A callback URL
 * carrying a known state is sent with its cookie, as the browser that started it would.
 */
const bindings = new Map<string, string>();

/** The cookie the Core set at authorize for the sign-in with this state (what an attacker's browser lacks). */
export function bindingFor(callback: URL): string | undefined {
  return bindings.get(callback.searchParams.get("state") ?? "");
}

/** A request that reports redirects instead of following them (with the binding cookie of the callback's sign-in). */
export async function get(url: string, opts: { cookie?: string } = {}): Promise<Response> {
  const state = URL.canParse(url) ? new URL(url).searchParams.get("state") : null;
  const cookie = opts.cookie ?? (state ? bindings.get(state) : undefined);
  return fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
}

export async function asJson(res: Response): Promise<Json> {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/**
 * The browser flow up to the provider's redirect back: GET authorize at the Core (which must answer 307), then
 * sign in (or deny) at the provider. Returns the callback URL the provider sends the browser to.
 */
export async function throughProvider(f: SsoFixture, login: string, opts: { provider?: string; query?: Record<string, string>; deny?: boolean } = {}): Promise<URL> {
  const qs = new URLSearchParams(opts.query ?? {}).toString();
  const res = await get(`${f.core.url}/api/v1/auth/oidc/${opts.provider ?? "test-idp"}/authorize${qs ? `?${qs}` : ""}`);
  if (res.status !== 307) throw new Error(`authorize: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("rootcx_sso_binding="))?.split(";")[0];
  const callback = await signInAtProvider(res.headers.get("location")!, login, { deny: opts.deny });
  if (cookie) bindings.set(callback.searchParams.get("state") ?? "", cookie);
  return callback;
}

/** Runs the whole browser flow and calls the Core's callback, returning its raw answer. */
export async function ssoCallback(f: SsoFixture, login: string, opts: { provider?: string; query?: Record<string, string>; deny?: boolean } = {}): Promise<Response> {
  return get((await throughProvider(f, login, opts)).href);
}

export { signUpAndIn };
