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
 * Whether this browser holds a cookie session, as far as the Studio knows: the refresh cookie is HttpOnly, so
 * the Studio sets this script-readable flag (no secret, just "signed in here"; web storage stays empty) to
 * skip the refresh call — and the 401 it would log in the console — on a signed-out page load.
 */
const HINT = "rootcx_studio_signed_in";

export function hasSessionHint(): boolean {
  return document.cookie.split("; ").includes(`${HINT}=1`);
}

export function setSessionHint(on: boolean): void {
  // 400 days is the longest browsers keep a cookie; a hint outliving the session costs one refresh attempt.
  document.cookie = on ? `${HINT}=1; path=/; SameSite=Strict; max-age=34560000` : `${HINT}=; path=/; SameSite=Strict; max-age=0`;
}
