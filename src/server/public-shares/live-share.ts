import type { Core } from "../core.ts";
import { holdsPermission } from "../governance/permissions.ts";
import * as sql from "./sql.ts";
import { hashShareToken, isWellFormedShareToken, sameHash } from "./token.ts";

export const shareKey = (appId: string) => `app:${appId}:public.share`;

/** What every refused share token is told, whatever the reason (unknown, revoked, expired, creator disabled). */
export const SHARE_UNAVAILABLE = "this share link is unknown, revoked or expired";

/** A share that works now, as a share-token request acts on it. */
export interface LiveShare {
  id: string;
  appId: string;
  context: Record<string, unknown>;
  creator: { userId: string; email: string };
}

/**
 * The share a token opens, or undefined whichever way it fails (unknown, revoked, expired, creator disabled
 * or no longer allowed to share): callers answer all of them alike, so a holder learns nothing about why.
 * Read from PostgreSQL on every use; the creator's permissions come from the principal directory, whose cache
 * every Core process drops on any role change.
 */
export async function liveShare(core: Core, token: string): Promise<LiveShare | undefined> {
  if (!isWellFormedShareToken(token)) return undefined;
  const hash = hashShareToken(token);
  const row = await sql.findLiveByHash(core.db.pool, hash);
  if (!row || !sameHash(row.token_hash, hash)) return undefined;
  // Taking the right to share away from its creator takes their links down with it.
  if (!holdsPermission(await core.auth.principals.permissions(row.created_by), shareKey(row.app_id))) return undefined;
  return { id: row.id, appId: row.app_id, context: row.context, creator: { userId: row.created_by, email: row.creator_email } };
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The token of an `Authorization: Bearer …` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  return header ? BEARER.exec(header)?.[1] : undefined;
}
