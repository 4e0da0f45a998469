import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";
import Provider, { type Configuration, type KoaContextWithOIDC } from "oidc-provider";

/** A person who can sign in at the test identity provider: the login name is the subject. */
export interface IdpUser {
  email: string;
  emailVerified: boolean;
  name?: string;
  /** Put in the ID token as the claim `role` (for a provider with `roleClaim: "role"`). */
  role?: string;
}

export const DEFAULT_IDP_USERS: Record<string, IdpUser> = {
  alice: { email: "alice@example.com", emailVerified: true, name: "Alice Liddell" },
  bob: { email: "bob@example.com", emailVerified: true, name: "Bob", role: "support" },
  mallory: { email: "mallory@example.com", emailVerified: false, name: "Mallory" },
};

export interface TestIdp {
  /** The issuer (http://127.0.0.1:<port>), with no trailing slash. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  users: Record<string, IdpUser>;
  /** The provider's signing key (RS256, kid `idp-key`), to forge ID tokens it would itself accept. */
  privateKey: CryptoKey;
  kid: string;
  /** Wall-clock duration of every request the provider's token endpoint served, in arrival order. */
  tokenEndpointMs: number[];
  close(): Promise<void>;
}

/**
 * A real OpenID provider (`oidc-provider`) on loopback over plain HTTP, with one confidential client and the
 * given users. Its development login page (login name = the user's key, any password) works in a real browser;
 * consent is pre-granted so a sign-in is a single form. PKCE is required, as any modern provider does.
 */
export async function startTestIdp(opts: {
  redirectUris: string[];
  users?: Record<string, IdpUser>;
  clientId?: string;
  clientSecret?: string;
  /** A fixed port (a browser test that must know the issuer up front); 0 picks a free one. */
  port?: number;
}): Promise<TestIdp> {
  const users = opts.users ?? DEFAULT_IDP_USERS;
  const clientId = opts.clientId ?? "rootcx-test-client";
  const clientSecret = opts.clientSecret ?? "idp-client-secret-0123456789abcdef";
  const kid = "idp-key";
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
  const tokenEndpointMs: number[] = [];

  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith("/token")) {
      const started = performance.now();
      res.on("finish", () => tokenEndpointMs.push(performance.now() - started));
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: opts.redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [jwk] },
    pkce: { required: () => true },
    // Set explicitly: the defaults work but make the provider print a notice for each artifact kind.
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 3600 },
    // The email and name go into the ID token itself (not only userinfo): the relying party reads them there.
    conformIdTokenClaims: false,
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username", "role"] },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx, id) {
      const user = users[id];
      if (!user) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          email: user.email,
          email_verified: user.emailVerified,
          ...(user.name ? { name: user.name } : {}),
          ...(user.role ? { role: user.role } : {}),
        }),
      };
    },
    // First-party test client: every requested scope and claim is granted without a consent page.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const accountId = ctx.oidc.session?.accountId;
      const client = ctx.oidc.client;
      if (!accountId || !client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ accountId, clientId: client.clientId });
      grant.addOIDCScope("openid email profile");
      grant.addOIDCClaims(["email", "email_verified", "name", "preferred_username", "role"]);
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);
  // The provider logs nothing about its own errors unless asked; a failing test is easier to read with them.
  provider.on("server_error", (_ctx, err) => console.error("test identity provider:", err));
  handler = provider.callback();

  return {
    issuer,
    clientId,
    clientSecret,
    users,
    privateKey,
    kid,
    tokenEndpointMs,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Cookies by name, as a browser would keep them for the provider's origin. */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      this.#cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
  }

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/**
 * Signs in at the provider the way a browser would (follows its redirects, posts its login form) starting from
 * the authorization URL the Core redirected to, and returns the URL the provider finally sends the browser to:
 * the Core's callback with `code` and `state` (or `error=access_denied` with `deny: true`). It does not call
 * the callback, so a test can decide what to do with it.
 */
export async function signInAtProvider(authorizationUrl: string, login: string, opts: { deny?: boolean } = {}): Promise<URL> {
  const jar = new CookieJar();
  const origin = new URL(authorizationUrl).origin;
  let url = new URL(authorizationUrl);
  let init: RequestInit = { method: "GET" };
  let submitted = false;
  for (let hop = 0; hop < 20; hop++) {
    const res = await fetch(url, { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
    jar.store(res);
    const location = res.headers.get("location");
    if (location) {
      await res.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== origin) return next;
      url = next;
      init = { method: "GET" };
      continue;
    }
    const body = await res.text();
    const interaction = /^\/interaction\/([^/]+)$/.exec(url.pathname);
    if (res.status !== 200 || !interaction || submitted) {
      throw new Error(`the identity provider answered ${res.status} at ${url.pathname}: ${body.slice(0, 300)}`);
    }
    submitted = true;
    if (opts.deny) {
      url = new URL(`/interaction/${interaction[1]}/abort`, origin);
      init = { method: "GET" };
    } else {
      init = {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ prompt: "login", login, password: "any" }).toString(),
      };
    }
  }
  throw new Error("the identity provider redirected more than 20 times");
}
