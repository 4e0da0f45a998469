import { randomBytes, randomUUID } from "node:crypto";
import { hashRefreshToken, ACCESS_TTL_SECONDS } from "../auth/tokens.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { credentialDirectory } from "./credential-directory.ts";
import * as sql from "./sql.ts";

export interface ClientCredentialsAnswer {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
}

/** RFC 6749 §5.2: the error is the code; `error_description` says why, for the key's holder. */
export const invalidClient = (why: string) => new CoreError("UNAUTHORIZED", "invalid_client", { details: { error_description: why } });

/**
 * Client credentials (spec §2.2): a service account's id and one of its keys buy a short-lived access token and
 * no refresh token. The token's session names the key, so deleting the key (or disabling the account) ends it;
 * it lasts 15 minutes, or until the key expires if that is sooner.
 */
export async function exchangeClientCredentials(core: Core, clientId: string, clientSecret: string, meta: { ip: string; userAgent: string | null }): Promise<ClientCredentialsAnswer> {
  await core.auth.limiter.beforeTokenExchange(meta.ip);
  const { principal, credentialId, expiresAt } = await credentialDirectory(core)
    .resolve(clientSecret)
    .catch((err: unknown) => {
      throw invalidClient(err instanceof CoreError ? err.message : "the client could not be authenticated");
    });
  // The same answer as a wrong key: a key is only good for its own account.
  if (principal.userId !== clientId.toLowerCase()) throw invalidClient("invalid API key");
  const ttl = Math.min(ACCESS_TTL_SECONDS, Math.floor((expiresAt - Date.now()) / 1000));
  if (ttl <= 0) throw invalidClient("API key expired");
  // After the key proved right: a stranger knowing only the id cannot spend the account's allowance.
  await core.auth.limiter.beforeTokenIssued(principal.userId);
  const sessionId = randomUUID();
  await sql.insertKeySession(core.db.pool, {
    id: sessionId,
    userId: principal.userId,
    credentialId,
    // The column wants a refresh token's digest; this session has no refresh token, so it gets one nobody holds.
    unusedRefreshHash: hashRefreshToken(randomBytes(32).toString("base64url")),
    ttlSeconds: ttl,
    ip: meta.ip,
    userAgent: meta.userAgent?.slice(0, 512) ?? null,
  }).catch((err: unknown) => {
    // The key was deleted between its check and this insert (the session's foreign key refused it).
    if ((err as { code?: string }).code === "23503") throw invalidClient("invalid API key");
    throw err;
  });
  const accessToken = await core.auth.tokens.signAccess({ sub: principal.userId, email: principal.email, sid: sessionId });
  core.log.info({ serviceAccountId: principal.userId, credentialId }, "client-credentials token issued");
  return { access_token: accessToken, token_type: "Bearer", expires_in: ttl };
}
