"use client";

/**
 * The Studio's access token lives only in memory (this module), never in storage a script could read later;
 * the refresh token stays in the HttpOnly cookie the Core sets.
 */
let accessToken: string | undefined;

export function getAccessToken(): string | undefined {
  return accessToken;
}

export function setAccessToken(token: string | undefined): void {
  accessToken = token;
}

/**
 * Whether this browser holds a cookie session, as far as the Studio knows: the cookie itself is HttpOnly, so
 * the Studio keeps this flag (no secret, just "signed in here") to skip the refresh call — and the 401 it
 * would log in the console — on a signed-out page load.
 */
const HINT_KEY = "studio-session";

export function hasSessionHint(): boolean {
  try {
    return localStorage.getItem(HINT_KEY) === "1";
  } catch {
    return true;
  }
}

export function setSessionHint(on: boolean): void {
  try {
    if (on) localStorage.setItem(HINT_KEY, "1");
    else localStorage.removeItem(HINT_KEY);
  } catch {
    // Storage disabled: every load asks the Core instead.
  }
}
