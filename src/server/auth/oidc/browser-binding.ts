import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { parseCookie, stringifySetCookie } from "cookie";

/**
 * Login CSRF defence: the browser that starts a sign-in gets a random value in an HttpOnly cookie, its SHA-256
 * is kept with the state, and the callback is honoured only from a browser that presents it. Without it, an
 * attacker could start a sign-in, stop at the provider's redirect and have a victim's browser finish it,
 * signing the victim into the attacker's account. SameSite=Lax: the provider's redirect back is a top-level
 * GET from another site, which Strict would strip. Scoped to the SSO routes and as short-lived as the state.
 */
export const BINDING_COOKIE = "rootcx_sso_binding";
const COOKIE_PATH = "/api/v1/auth/oidc";

export const hashBinding = (value: string) => createHash("sha256").update(value).digest("hex");

export function newBinding(): string {
  return randomBytes(32).toString("base64url");
}

export function bindingCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return stringifySetCookie(BINDING_COOKIE, value, { httpOnly: true, sameSite: "lax", path: COOKIE_PATH, maxAge: maxAgeSeconds, secure });
}

export function clearedBindingCookie(secure: boolean): string {
  return stringifySetCookie(BINDING_COOKIE, "", { httpOnly: true, sameSite: "lax", path: COOKIE_PATH, maxAge: 0, secure });
}

/** Whether the request carries the cookie whose hash the state was stored with. */
export function presentsBinding(req: IncomingMessage, expectedHash: string): boolean {
  const value = req.headers.cookie ? parseCookie(req.headers.cookie)[BINDING_COOKIE] : undefined;
  if (!value) return false;
  return timingSafeEqual(Buffer.from(hashBinding(value)), Buffer.from(expectedHash));
}
