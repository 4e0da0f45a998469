import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { credentialDirectory } from "../identities/credential-directory.ts";
import { isApiKey } from "../identities/keys.ts";
import type { Principal } from "./principal.ts";

const BEARER = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Adapters call this to turn an Authorization header into a principal: a service account's API key (`rcs_…`)
 * that exists, is unexpired and whose account is enabled; or a valid access token (never a refresh token) whose
 * user still exists and is enabled and whose session is still open. Checked on every request.
 */
export async function authenticate(core: Core, authorization: string | undefined): Promise<Principal> {
  if (!authorization) throw new CoreError("UNAUTHORIZED", "missing bearer token");
  const token = BEARER.exec(authorization)?.[1];
  if (!token) throw new CoreError("UNAUTHORIZED", "invalid authorization header");
  if (isApiKey(token)) return credentialDirectory(core).authenticate(token);
  // A session's requests present the same token, and its user and session are cached: answered without waiting.
  const claims = core.auth.tokens.cachedAccess(token) ?? (await core.auth.tokens.verifyAccess(token));
  if (!UUID.test(claims.sub)) throw new CoreError("UNAUTHORIZED", "invalid token");
  const cached = core.auth.principals.cachedLookup(claims.sub, claims.sid);
  const user = cached === undefined ? await core.auth.principals.lookup(claims.sub, claims.sid) : cached;
  if (!user) throw new CoreError("UNAUTHORIZED", "session ended or user disabled");
  return {
    userId: user.id,
    email: user.email,
    sessionId: claims.sid,
    displayName: user.displayName,
    createdAt: user.createdAt,
    kind: user.kind === "service" ? "service" : "user",
    expiresAt: claims.exp * 1000,
  };
}

/**
 * Why a principal authenticated earlier may no longer act, or null: for work that outlives its request (a log
 * stream re-checks while open). A key deleted or expired, an account disabled or deleted, a session ended.
 */
export async function lostAuthentication(core: Core, principal: Principal): Promise<string | null> {
  // A plain request with the same bearer would now be refused: a stream must not outlive it either.
  if (principal.expiresAt !== undefined && principal.expiresAt <= Date.now()) return principal.credentialId !== undefined && principal.sessionId === undefined ? "API key expired" : "token expired";
  if (principal.credentialId !== undefined) return credentialDirectory(core).recheck(principal.credentialId);
  if (principal.sessionId !== undefined && !(await core.auth.principals.lookup(principal.userId, principal.sessionId))) return "session ended or user disabled";
  return null;
}
