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
}
