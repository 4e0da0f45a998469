import type { RestResult } from "../../http/types.ts";
import type { OpenedSession } from "../session.ts";
import { redirectTo } from "../token-delivery.ts";

/**
 * The redirect after a browser used a link (spec §2.3, as the OIDC callback): the single-use auth nonce, or in
 * legacy mode the session's tokens in both the query and the fragment. The session (or nonce) was made in the
 * consumption's own transaction, so this only writes the address.
 */
export function redirectWith(redirectUri: string, carry: { nonce: string } | { tokens: OpenedSession }): RestResult {
  const target = new URL(redirectUri);
  if ("nonce" in carry) {
    target.searchParams.set("auth_nonce", carry.nonce);
    return redirectTo(target);
  }
  const tokens = new URLSearchParams({
    access_token: carry.tokens.accessToken,
    refresh_token: carry.tokens.refreshToken,
    expires_in: String(carry.tokens.expiresIn),
  });
  for (const [k, v] of tokens) target.searchParams.set(k, v);
  target.hash = tokens.toString();
  return redirectTo(target);
}
