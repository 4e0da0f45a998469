/** Who is calling: established by the adapters from a bearer token, checked against the database. */
export interface Principal {
  userId: string;
  email: string;
  /** The session the access token was minted for; revoking it ends the token at once. */
  sessionId: string | undefined;
  displayName: string | null;
  createdAt: Date;
}
