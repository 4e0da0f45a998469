import { parseCookie, stringifySetCookie } from "cookie";
import { REFRESH_TTL_SECONDS } from "./tokens.ts";

/**
 * The Studio keeps its refresh token in this cookie: HttpOnly (no script can read it), SameSite=Strict (no
 * other site can make the browser send it) and scoped to the tRPC endpoint that uses it.
 */
export const REFRESH_COOKIE = "rootcx_refresh";
const COOKIE_PATH = "/api/trpc";

export function refreshCookie(token: string, secure: boolean): string {
  return stringifySetCookie(REFRESH_COOKIE, token, { httpOnly: true, sameSite: "strict", path: COOKIE_PATH, maxAge: REFRESH_TTL_SECONDS, secure });
}

export function clearedRefreshCookie(secure: boolean): string {
  return stringifySetCookie(REFRESH_COOKIE, "", { httpOnly: true, sameSite: "strict", path: COOKIE_PATH, maxAge: 0, secure });
}

export function readRefreshCookie(header: string | undefined): string | undefined {
  return header ? parseCookie(header)[REFRESH_COOKIE] || undefined : undefined;
}
