/** Who is calling: established by the adapters from a bearer token, checked against the database. */
export interface Principal {
  userId: string;
  email: string;
  /** The session the access token was minted for; revoking it ends the token at once. Undefined for an API key. */
  sessionId: string | undefined;
  displayName: string | null;
  createdAt: Date;
  /** "service" when the caller is a service account (an API key, or a token from POST /auth/token); absent means a person. */
  kind?: "user" | "service";
  /** The API key the call was authenticated with (directly, or through the token it was exchanged for). */
  credentialId?: string;
  /**
   * When the bearer credential stops being valid (ms since the epoch): the access token's `exp`, or the API key's
   * expiry. A stream opened with it ends then (lostAuthentication), as a new request with it would be refused.
   */
  expiresAt?: number;
}
