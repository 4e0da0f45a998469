import { createHash } from "node:crypto";
import * as oidc from "openid-client";
import type { z } from "zod";
import type { Core } from "../../core.ts";
import { CoreError } from "../../errors.ts";
import type { RestResult } from "../../http/types.ts";
import type { IncomingMessage } from "node:http";
import { checkRedirectUri, deliverTokens, redirectTo, redirectWithError } from "../token-delivery.ts";
import { bindingCookie, clearedBindingCookie, hashBinding, newBinding, presentsBinding } from "./browser-binding.ts";
import { describeError } from "./client.ts";
import { checkPartyAndIssueTime, claimsOf } from "./id-token.ts";
import { enabledProvider } from "./providers.ts";
import { beforeSsoRequest } from "./rate-limit.ts";
import { redirectCodeOf, SsoRefusal } from "./refusals.ts";
import type { authorizeQuery, callbackQuery } from "./schema.ts";
import * as sql from "./sql.ts";
import { resolveUser } from "./users.ts";

/** A browser has this long between the redirect to its provider and the callback. */
export const LOGIN_STATE_TTL_SECONDS = 10 * 60;

interface Meta {
  ip: string;
  userAgent: string | null;
  /** The request itself: its cookie binds the callback to the browser that started the sign-in. */
  req: IncomingMessage;
}

const secureCookies = (core: Core) => core.config.publicUrl.startsWith("https:");

const stateHash = (state: string) => createHash("sha256").update(state).digest("hex");

/** The one address every provider redirects back to; register it at the provider. */
export const callbackUrl = (core: Core) => `${core.config.publicUrl}/api/v1/auth/oidc/callback`;

/**
 * GET /auth/oidc/{provider}/authorize: remembers the sign-in in PostgreSQL (state, nonce, PKCE verifier, where
 * to return) and sends the browser to the provider with Authorization Code + PKCE (S256), setting the cookie
 * that binds the sign-in to this browser.
 */
export async function authorize(core: Core, providerId: string, query: z.infer<typeof authorizeQuery>, meta: Meta): Promise<RestResult> {
  await beforeSsoRequest(core, meta.ip);
  const redirectUri = query.redirect_uri === undefined ? null : checkRedirectUri(core, query.redirect_uri);
  const { provider, client } = await enabledProvider(core, core.db.pool, providerId);
  const detour = throughPublicUrl(core, providerId, query, meta.req);
  if (detour) return detour;
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const verifier = oidc.randomPKCECodeVerifier();
  const binding = newBinding();
  await sql.insertLoginState(core.db.pool, {
    stateHash: stateHash(state),
    bindingHash: hashBinding(binding),
    providerId,
    nonce,
    pkceVerifier: verifier,
    redirectUri,
    // Unlike the original, a redirect without a mode gets the nonce: tokens land in an address only on request.
    tokenDelivery: redirectUri ? (query.token_delivery ?? "nonce") : null,
    ttlSeconds: LOGIN_STATE_TTL_SECONDS,
  });
  const challenge = await oidc.calculatePKCECodeChallenge(verifier);
  let url: URL;
  try {
    url = oidc.buildAuthorizationUrl(client.config, {
      redirect_uri: callbackUrl(core),
      scope: provider.scopes.join(" "),
      state,
      nonce,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
  } catch (err) {
    throw new SsoRefusal("BAD_GATEWAY", "provider_unavailable", `the identity provider ${provider.displayName} has no usable authorization endpoint: ${describeError(err)}`, { cause: err });
  }
  const result = redirectTo(url);
  result.headers = { ...result.headers, "set-cookie": bindingCookie(binding, LOGIN_STATE_TTL_SECONDS, secureCookies(core)) };
  return result;
}

/**
 * The provider sends the browser back to the public URL, and the binding cookie must be there: a browser that
 * reached authorize under another host name (127.0.0.1 for a public localhost, an internal name) is first sent
 * to the same authorize on the public URL. Once only (`via_public_url`), so a proxy that rewrites Host cannot
 * make it loop; the cookie is then set wherever the browser is, as before.
 */
function throughPublicUrl(core: Core, providerId: string, query: z.infer<typeof authorizeQuery>, req: IncomingMessage): RestResult | null {
  const pub = new URL(core.config.publicUrl);
  if (query.via_public_url || req.headers.host === undefined || req.headers.host === pub.host) return null;
  const again = new URL(`${core.config.publicUrl}/api/v1/auth/oidc/${encodeURIComponent(providerId)}/authorize`);
  if (query.redirect_uri !== undefined) again.searchParams.set("redirect_uri", query.redirect_uri);
  if (query.token_delivery !== undefined) again.searchParams.set("token_delivery", query.token_delivery);
  again.searchParams.set("via_public_url", "1");
  return redirectTo(again);
}

/** Errors the provider reports because the person (or its policy) said no, rather than a broken request. */
const DENIALS = new Set(["access_denied", "login_required", "consent_required", "interaction_required", "account_selection_required"]);

/**
 * GET /auth/oidc/callback: consumes the state once, exchanges the code (with the PKCE verifier), verifies the
 * ID token (signature, issuer, audience, azp, expiry, issue time, nonce), resolves the user and signs them in
 * with the delivery the flow asked for. Only the browser that started the sign-in (its binding cookie) may
 * finish it. When the flow came from a page (a redirect_uri), every refusal goes back to that page as an
 * `error` code the page has its own sentence for; otherwise it is the JSON error with the full reason.
 */
export async function callback(core: Core, query: z.infer<typeof callbackQuery>, rawQuery: URLSearchParams, meta: Meta): Promise<RestResult> {
  await beforeSsoRequest(core, meta.ip);
  const state = await sql.consumeLoginState(core.db.pool, stateHash(query.state));
  if (!state) throw new CoreError("BAD_REQUEST", "this sign-in is unknown, expired or already used; start the sign-in again");
  const clearCookie = { "set-cookie": clearedBindingCookie(secureCookies(core)) };
  try {
    // Checked after the state is consumed: a callback from the wrong browser also spends it, so it cannot be retried.
    if (!presentsBinding(meta.req, state.binding_hash)) {
      throw new SsoRefusal(
        "BAD_REQUEST",
        "browser_mismatch",
        "this sign-in was started in another browser (or this browser did not keep its cookie); start the sign-in again from this browser",
      );
    }
    if (query.error) {
      const detail = query.error_description ? `${query.error}: ${query.error_description}` : query.error;
      const denied = DENIALS.has(query.error);
      throw new SsoRefusal(denied ? "FORBIDDEN" : "BAD_REQUEST", denied ? "access_denied" : "sso_failed", `the identity provider refused the sign-in (${detail})`);
    }
    if (!query.code) throw new CoreError("BAD_REQUEST", "the callback has no code parameter");
    const { provider, client } = await enabledProvider(core, core.db.pool, state.provider_id);
    const started = performance.now();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      const current = new URL(callbackUrl(core));
      current.search = rawQuery.toString();
      tokens = await oidc.authorizationCodeGrant(client.config, current, {
        pkceCodeVerifier: state.pkce_verifier,
        expectedNonce: state.nonce,
        expectedState: query.state,
      });
    } catch (err) {
      throw new CoreError("UNAUTHORIZED", `the identity provider's answer was refused: ${describeError(err)}`, { cause: err });
    }
    const exchangeMs = performance.now() - started;
    const idClaims = tokens.claims();
    if (!idClaims) throw new CoreError("UNAUTHORIZED", "the identity provider returned no ID token");
    checkPartyAndIssueTime(idClaims, provider.clientId);
    const user = await resolveUser(core, provider, claimsOf(idClaims));
    core.log.info({ provider: provider.id, userId: user.id, resolution: user.resolution, exchangeMs: Math.round(exchangeMs * 10) / 10 }, "signed in with SSO");
    const delivered = await deliverTokens(core, user, { redirectUri: state.redirect_uri, tokenDelivery: state.token_delivery }, meta);
    return { ...delivered, headers: { ...delivered.headers, ...clearCookie } };
  } catch (err) {
    if (!(err instanceof CoreError) || !state.redirect_uri) throw err;
    core.log.info({ provider: state.provider_id, reason: err.message }, "SSO sign-in refused");
    const back = redirectWithError(state.redirect_uri, redirectCodeOf(err));
    return { ...back, headers: { ...back.headers, ...clearCookie } };
  }
}
