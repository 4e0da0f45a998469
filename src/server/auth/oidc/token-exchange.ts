import type { Core } from "../../core.ts";
import { openSession } from "../session.ts";
import { ACCESS_TTL_SECONDS } from "../tokens.ts";
import { verifyIdToken } from "./id-token.ts";
import { enabledProvider } from "./providers.ts";
import { beforeSsoRequest } from "./rate-limit.ts";
import { resolveUser } from "./users.ts";

/**
 * POST /auth/oidc/token-exchange: a backend that already holds an ID token from a configured provider trades it
 * for an access token, after the full validation (signature, issuer, audience, expiry). As the original, no
 * refresh token: the session behind the access token lasts only as long as the token itself.
 */
export async function tokenExchange(core: Core, input: { providerId: string; idToken: string }, meta: { ip: string; userAgent: string | null }): Promise<{ accessToken: string; expiresIn: number }> {
  await beforeSsoRequest(core, meta.ip);
  const { provider, client } = await enabledProvider(core, core.db.pool, input.providerId);
  const claims = await verifyIdToken(client, provider.clientId, input.idToken);
  const user = await resolveUser(core, provider, claims);
  const session = await openSession(core, core.db.pool, user, meta, ACCESS_TTL_SECONDS);
  core.log.info({ provider: provider.id, userId: user.id, resolution: user.resolution }, "signed in with an exchanged ID token");
  return { accessToken: session.accessToken, expiresIn: session.expiresIn };
}
