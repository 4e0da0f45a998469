import { createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import * as oidc from "openid-client";
import { LRUCache } from "lru-cache";
import { CoreError } from "../../errors.ts";
import { SsoRefusal } from "./refusals.ts";
import { isHttpsOrLoopback, isLoopbackHost } from "./schema.ts";

export interface ProviderClient {
  config: oidc.Configuration;
  /** The provider's signing keys (fetched once, refetched on an unknown `kid`), for tokens handed to us directly. */
  jwks: JWTVerifyGetKey;
}

/** How long a fetched discovery document is trusted before it is fetched again. */
const DISCOVERY_TTL_MS = 10 * 60 * 1000;
const DISCOVERY_TIMEOUT_SECONDS = 10;

/**
 * Discovery documents by provider and version of its settings: a callback or token exchange must not refetch
 * them every time, and a changed provider (another issuer, client or secret) must not reuse the old ones.
 */
const clients = new LRUCache<string, Promise<ProviderClient>>({ max: 256, ttl: DISCOVERY_TTL_MS });

export interface ClientSettings {
  id: string;
  issuerUrl: string;
  clientId: string;
  clientSecret: string | undefined;
  /** Changes whenever the provider's row does (its updated_at). */
  version: string;
}

/** Fetches the discovery document, refusing with the reason when it cannot be had. */
export async function discover(issuerUrl: string, clientId: string, clientSecret: string | undefined): Promise<oidc.Configuration> {
  const issuer = new URL(issuerUrl);
  // Plain http only for a provider on this machine (DESIGN.md); every other issuer goes over TLS.
  const execute = [oidc.enableNonRepudiationChecks, ...(isLoopbackHost(issuer) && issuer.protocol === "http:" ? [oidc.allowInsecureRequests] : [])];
  const auth = clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None();
  let config: oidc.Configuration;
  try {
    config = await oidc.discovery(issuer, clientId, undefined, auth, { execute, timeout: DISCOVERY_TIMEOUT_SECONDS });
  } catch (err) {
    throw new CoreError("BAD_REQUEST", `the discovery document of ${issuerUrl} could not be used: ${describeError(err)}`, { cause: err });
  }
  checkEndpoints(issuerUrl, config.serverMetadata());
  return config;
}

/**
 * The browser is sent to the authorization endpoint and the Core posts the code and client secret to the token
 * endpoint: a document naming a `javascript:` or plain-http address for either (or for the keys) is refused,
 * with the same rule as the issuer (http only on this machine).
 */
function checkEndpoints(issuerUrl: string, meta: oidc.ServerMetadata): void {
  const endpoints = { authorization_endpoint: meta.authorization_endpoint, token_endpoint: meta.token_endpoint, jwks_uri: meta.jwks_uri };
  for (const [name, value] of Object.entries(endpoints)) {
    if (value === undefined) continue;
    if (typeof value !== "string" || !URL.canParse(value) || !isHttpsOrLoopback(new URL(value))) {
      throw new CoreError(
        "BAD_REQUEST",
        `the discovery document of ${issuerUrl} gives as its ${name} an address that is not https (plain http is allowed only for localhost and 127.0.0.1)`,
      );
    }
  }
}

const unavailable = (message: string, cause?: unknown) => new SsoRefusal("BAD_GATEWAY", "provider_unavailable", message, { cause });

export function providerClient(s: ClientSettings): Promise<ProviderClient> {
  const key = `${s.id}\n${s.version}`;
  let entry = clients.get(key);
  if (!entry) {
    // At sign-in time a discovery failure is the provider's (down, or its document changed since it was saved): 502.
    entry = discover(s.issuerUrl, s.clientId, s.clientSecret).then(
      (config) => {
        const jwksUri = config.serverMetadata().jwks_uri;
        if (!jwksUri) throw unavailable(`the identity provider ${s.issuerUrl} publishes no jwks_uri; its ID tokens cannot be verified`);
        return { config, jwks: createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: DISCOVERY_TIMEOUT_SECONDS * 1000 }) };
      },
      (err: unknown) => {
        throw err instanceof CoreError ? unavailable(err.message, err) : err;
      },
    );
    // A failure is not cached: the next sign-in tries again (the provider may be back).
    entry.catch(() => clients.delete(key));
    clients.set(key, entry);
  }
  return entry;
}

/** A readable reason from openid-client's and fetch's errors, without their stacks. */
export function describeError(err: unknown): string {
  if (err instanceof oidc.ResponseBodyError) return `${err.error}${err.error_description ? ` (${err.error_description})` : ""}`;
  if (err instanceof Error) {
    if (!(err.cause instanceof Error)) return err.message;
    // jose and openid-client often repeat one text in the other ("error when selecting a JWT verification key"); say it once.
    const cause = err.cause.message;
    if (err.message.includes(cause)) return err.message;
    return cause.includes(err.message) ? cause : `${err.message}: ${cause}`;
  }
  return String(err);
}
