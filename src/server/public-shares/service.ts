import type pg from "pg";
import type { Core } from "../core.ts";
import type { Principal } from "../auth/principal.ts";
import { withTransaction } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";
import { actAs } from "../governance/actor.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { requirePermission } from "../governance/authorize.ts";
import { holdsPermission } from "../governance/permissions.ts";
import { bearerToken, liveShare, SHARE_UNAVAILABLE, shareKey } from "./live-share.ts";
import type { CreatedShareDto, CreateShareBody, ShareDto, ShareInfoDto } from "./schema.ts";
import * as sql from "./sql.ts";
import { isShareToken, newShareToken } from "./token.ts";

/** Whoever holds every key of the app administers its shares: sees and revokes everyone's. */
const appAdminKey = (appId: string) => `app:${appId}:*`;

export const shareUrl = (core: Core, token: string) => `${core.config.publicUrl}/share/${token}`;

async function requireInstalled(core: Core, appId: string): Promise<void> {
  if (!(await core.apps.get(appId))) throw new CoreError("NOT_FOUND", `app ${appId} not found`);
}

/** Runs `fn` in a transaction whose audit rows name the principal. */
function asActor<T>(core: Core, principal: Principal, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  return withTransaction(core.db.pool, async (tx) => {
    await actAs(core, tx, principal.userId);
    return fn(tx);
  });
}

/**
 * POST /apps/{id}/public-shares: a new link for `context`, its token shown this once. One active share per
 * (app, creator, context): a second is refused with 409 naming the first (the original answered 200 with an
 * empty token, which no client can use); revoking the first frees the slot. Audited.
 */
export async function createShare(core: Core, principal: Principal, appId: string, input: CreateShareBody): Promise<CreatedShareDto> {
  await requirePermission(core, principal, shareKey(appId));
  await requireInstalled(core, appId);
  const contextJson = JSON.stringify(input.context);
  const minted = newShareToken();
  return asActor(core, principal, async (tx) => {
    await sql.retireExpired(tx, appId, principal.userId, contextJson);
    const row = await sql.insertShare(tx, {
      appId,
      createdBy: principal.userId,
      contextJson,
      tokenHash: minted.hash,
      tokenPrefix: minted.prefix,
      expiresInDays: input.expiresInDays ?? null,
    });
    if (!row) {
      const holder = await sql.activeInSlot(tx, appId, principal.userId, contextJson);
      throw new CoreError(
        "CONFLICT",
        `you already share this context of app ${appId}${holder ? ` (share ${holder.id}, token ${holder.token_prefix}…)` : ""}: revoke that share to make a new link`,
      );
    }
    const expiresAt = row.expires_at?.toISOString() ?? null;
    await recordAdminEvent(tx, { action: "share.create", target: row.id, after: { app_id: appId, context: row.context, token_prefix: minted.prefix, expires_at: expiresAt } });
    return {
      id: row.id,
      url: shareUrl(core, minted.token),
      token: minted.token,
      tokenPrefix: minted.prefix,
      context: row.context,
      createdAt: row.created_at.toISOString(),
      expiresAt,
      revoked: false,
    };
  });
}

/** GET /apps/{id}/public-shares: the working shares, the caller's own, or everyone's for an app administrator. */
export async function listShares(core: Core, principal: Principal, appId: string): Promise<ShareDto[]> {
  await requirePermission(core, principal, shareKey(appId));
  await requireInstalled(core, appId);
  const admin = holdsPermission(await core.auth.principals.permissions(principal.userId), appAdminKey(appId));
  const rows = await sql.listActive(core.db.pool, appId, admin ? null : principal.userId);
  return rows.map((r) => ({
    id: r.id,
    appId: r.app_id,
    tokenPrefix: r.token_prefix,
    context: r.context,
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at?.toISOString() ?? null,
    revoked: false,
    createdBy: { id: r.created_by, email: r.creator_email },
  }));
}

/**
 * DELETE /apps/{id}/public-shares/{shareId}: its creator (even one no longer allowed to share) or an app
 * administrator revokes it; from the commit on, no Core process accepts its token. Audited.
 */
export async function revokeShare(core: Core, principal: Principal, appId: string, shareId: string): Promise<{ message: string }> {
  const admin = holdsPermission(await core.auth.principals.permissions(principal.userId), appAdminKey(appId));
  return asActor(core, principal, async (tx) => {
    const share = await sql.lockUnrevoked(tx, appId, shareId);
    if (!share) throw new CoreError("NOT_FOUND", `share ${shareId} of app ${appId} not found (or already revoked)`);
    if (share.created_by !== principal.userId && !admin) {
      throw new CoreError("FORBIDDEN", `only the share's creator or an administrator of app ${appId} (${appAdminKey(appId)}) can revoke it`);
    }
    await sql.revokeShare(tx, share.id);
    await recordAdminEvent(tx, { action: "share.revoke", target: share.id, before: { app_id: appId, context: share.context, token_prefix: share.token_prefix, created_by: share.created_by } });
    return { message: `share ${share.id} revoked` };
  });
}

/** GET /public/share/info with the share token as bearer: which app and which context the link opens. */
export async function shareInfo(core: Core, authorization: string | undefined): Promise<ShareInfoDto> {
  const token = bearerToken(authorization);
  if (!token || !isShareToken(token)) throw new CoreError("UNAUTHORIZED", "a share token is required (Authorization: Bearer rcsh_…)");
  const share = await liveShare(core, token);
  if (!share) throw new CoreError("UNAUTHORIZED", SHARE_UNAVAILABLE);
  return { appId: share.appId, context: share.context };
}
