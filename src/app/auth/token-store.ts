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
