import { randomUUID } from "node:crypto";
import type { Core } from "../core.ts";
import type { Queryable } from "../db/queryable.ts";
import * as sql from "./sql.ts";
import { ACCESS_TTL_SECONDS, hashRefreshToken, REFRESH_TTL_SECONDS } from "./tokens.ts";

export interface OpenedSession {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/**
 * The one way a sign-in (password, SSO, nonce exchange, magic link) becomes a server-side session and its
 * tokens. In the caller's transaction when given one, so the session exists only if the sign-in commits.
 * `ttlSeconds` shortens the session (a token exchange hands out no refresh token, so its session need not
 * outlive the access token).
 */
export async function openSession(
  core: Core,
  db: Queryable,
  user: { id: string; email: string },
  meta: { ip: string; userAgent: string | null },
  ttlSeconds = REFRESH_TTL_SECONDS,
): Promise<OpenedSession> {
  const sessionId = randomUUID();
  const refreshToken = await core.auth.tokens.signRefresh({ sub: user.id, sessionId });
  await sql.insertSession(db, {
    id: sessionId,
    userId: user.id,
    refreshTokenHash: hashRefreshToken(refreshToken),
    expiresAt: new Date(Date.now() + ttlSeconds * 1000),
    ip: meta.ip,
    userAgent: meta.userAgent?.slice(0, 512) ?? null,
  });
  const accessToken = await core.auth.tokens.signAccess({ sub: user.id, email: user.email, sid: sessionId });
  return { accessToken, refreshToken, expiresIn: ACCESS_TTL_SECONDS };
}
