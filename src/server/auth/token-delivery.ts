import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import type { RestResult } from "../http/types.ts";
import { issueAuthNonce } from "./auth-nonce.ts";
import { openSession } from "./session.ts";

/** "nonce": the address carries a 30-second one-time code; "legacy": the original's tokens in the address. */
export type TokenDelivery = "nonce" | "legacy";

export interface DeliveryTarget {
  redirectUri: string | null;
  tokenDelivery: TokenDelivery | null;
}

/** The headers of every redirect that may carry a sign-in: no Referer leaks it to the next page, no cache keeps it. */
const REDIRECT_HEADERS = { "referrer-policy": "no-referrer", "cache-control": "no-store" };

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Where a browser may be sent with a sign-in (spec §2.3): the Core's own public origin, or a loopback address on
 * any port (a native app's listener, RFC 8252). http(s) only, no credentials in the address.
 */
export function checkRedirectUri(core: Core, uri: string): string {
  const bad = () =>
    new CoreError("BAD_REQUEST", `redirect_uri must be on this Core's own origin (${new URL(core.config.publicUrl).origin}) or a loopback address`);
  if (!URL.canParse(uri)) throw new CoreError("BAD_REQUEST", "redirect_uri must be an absolute URL");
  const url = new URL(uri);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw bad();
  if (url.username || url.password) throw new CoreError("BAD_REQUEST", "redirect_uri must not carry credentials");
  if (url.origin !== new URL(core.config.publicUrl).origin && !LOOPBACK_HOSTS.has(url.hostname)) throw bad();
  return url.href;
}

export function redirectTo(url: URL | string): RestResult {
  return { status: 307, headers: { location: String(url), ...REDIRECT_HEADERS } };
}

/** Sends the browser back where it came from with an `error` code (the page has the sentence) instead of a sign-in. */
export function redirectWithError(redirectUri: string, code: string): RestResult {
  const url = new URL(redirectUri);
  url.searchParams.set("error", code);
  return redirectTo(url);
}

/**
 * Signs the user in with the delivery the flow asked for (spec §2.3): JSON tokens when there is no redirect;
 * a redirect with `auth_nonce` in nonce mode (the session opens when the nonce is exchanged); a redirect with
 * the tokens in the query and the fragment in legacy mode.
 */
export async function deliverTokens(core: Core, user: { id: string; email: string }, target: DeliveryTarget, meta: { ip: string; userAgent: string | null }): Promise<RestResult> {
  if (!target.redirectUri) return { body: await openSession(core, core.db.pool, user, meta) };
  const url = new URL(target.redirectUri);
  if (target.tokenDelivery === "nonce") {
    url.searchParams.set("auth_nonce", await issueAuthNonce(core.db.pool, user.id));
    return redirectTo(url);
  }
  const s = await openSession(core, core.db.pool, user, meta);
  const tokens = new URLSearchParams({ access_token: s.accessToken, refresh_token: s.refreshToken, expires_in: String(s.expiresIn) });
  for (const [k, v] of tokens) url.searchParams.set(k, v);
  url.hash = tokens.toString();
  return redirectTo(url);
}
