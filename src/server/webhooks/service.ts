import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { getApp, shareAppsLock } from "../apps/sql.ts";
import { CoreError } from "../errors.ts";
import { withActor } from "../governance/actor.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { requirePermission } from "../governance/authorize.ts";
import type { CallDto, RotatedDto, UpdateWebhook, WebhookDto } from "./schema.ts";
import { issueSecret } from "./secret.ts";
import * as sql from "./sql.ts";
import { maskedUrl, newWebhookToken, webhookUrl } from "./token.ts";

export const webhookReadKey = (appId: string) => `app:${appId}:webhook.read`;
export const webhookManageKey = (appId: string) => `app:${appId}:webhook.manage`;

/** The permission first (a caller without it learns nothing, not even whether the app exists), then the app. */
async function authorize(core: Core, p: Principal, appId: string, key: string): Promise<void> {
  await requirePermission(core, p, key);
  if (!(await getApp(core.db.pool, appId))) throw new CoreError("NOT_FOUND", `app ${appId} not found`);
}

function callDto(c: sql.CallRow): CallDto {
  return { id: String(c.id), at: new Date(c.at).toISOString(), status: c.status, durationMs: c.duration_ms, signed: c.signed, error: c.error };
}

function webhookDto(w: sql.WebhookRow & { last_call: sql.CallRow | null }): WebhookDto {
  return {
    id: w.id,
    name: w.name,
    method: w.method,
    prefix: w.token_prefix,
    url: maskedUrl(w.token_prefix),
    createdAt: w.created_at.toISOString(),
    requireSignature: w.manifest_requires_signature || w.require_signature,
    signatureRequiredBy: w.manifest_requires_signature ? "manifest" : w.require_signature ? "setting" : null,
    rateLimitPerMinute: w.rate_limit_per_minute,
    lastCall: w.last_call ? callDto(w.last_call) : null,
  };
}

/** GET /apps/{id}/webhooks (spec §2.10): never the full token, only its prefix. */
export async function listWebhooks(core: Core, p: Principal, appId: string): Promise<WebhookDto[]> {
  await authorize(core, p, appId, webhookReadKey(appId));
  return (await sql.listByApp(core.db.pool, appId)).map(webhookDto);
}

async function findOne(core: Core, appId: string, webhookId: string): Promise<WebhookDto> {
  const found = (await sql.listByApp(core.db.pool, appId)).find((w) => w.id === webhookId);
  if (!found) throw new CoreError("NOT_FOUND", `webhook ${webhookId} not found in app ${appId}`);
  return webhookDto(found);
}

/**
 * A new token and a new signing secret, both shown once (answered with Cache-Control: no-store): the old URL stops
 * working at commit, on every Core (lookups read the table). Audited without either value.
 */
export async function rotateWebhook(core: Core, p: Principal, appId: string, webhookId: string): Promise<RotatedDto> {
  await authorize(core, p, appId, webhookManageKey(appId));
  const issued = await withActor(core, p, async (tx) => {
    await shareAppsLock(tx);
    const row = await sql.getOne(tx, appId, webhookId, { lock: true });
    if (!row) throw new CoreError("NOT_FOUND", `webhook ${webhookId} not found in app ${appId}`);
    const token = newWebhookToken();
    await sql.replaceToken(tx, row.id, token.prefix, token.hash);
    const secret = await issueSecret(core, tx, row.id);
    await recordAdminEvent(tx, { action: "webhook.rotate", target: row.id, before: { app_id: appId, name: row.name, prefix: row.token_prefix }, after: { prefix: token.prefix } });
    return { id: row.id, name: row.name, url: webhookUrl(token.token), token: token.token, secret };
  });
  core.log.info({ appId, webhookId, by: p.userId }, "webhook token rotated");
  return issued;
}

/** PATCH: whether a signature is mandatory, and the per-minute call limit. The manifest's requireSignature stands. */
export async function updateWebhook(core: Core, p: Principal, appId: string, webhookId: string, body: UpdateWebhook): Promise<WebhookDto> {
  await authorize(core, p, appId, webhookManageKey(appId));
  await withActor(core, p, async (tx) => {
    const row = await sql.getOne(tx, appId, webhookId, { lock: true });
    if (!row) throw new CoreError("NOT_FOUND", `webhook ${webhookId} not found in app ${appId}`);
    if (body.requireSignature === false && row.manifest_requires_signature) {
      throw new CoreError("CONFLICT", `the manifest of ${appId} requires a signature for webhook ${row.name}; only a new manifest can lift it`);
    }
    await sql.updateSettings(tx, row.id, body);
    await recordAdminEvent(tx, {
      action: "webhook.update",
      target: row.id,
      before: { app_id: appId, name: row.name, require_signature: row.require_signature, rate_limit_per_minute: row.rate_limit_per_minute },
      after: { require_signature: body.requireSignature ?? row.require_signature, rate_limit_per_minute: body.rateLimitPerMinute ?? row.rate_limit_per_minute },
    });
  });
  return findOne(core, appId, webhookId);
}

/** The webhook's recent calls, newest first (the most recent 100 are kept). */
export async function listCalls(core: Core, p: Principal, appId: string, webhookId: string, limit: number): Promise<CallDto[]> {
  await authorize(core, p, appId, webhookReadKey(appId));
  if (!(await sql.getOne(core.db.pool, appId, webhookId))) throw new CoreError("NOT_FOUND", `webhook ${webhookId} not found in app ${appId}`);
  return (await sql.listCalls(core.db.pool, webhookId, limit)).map(callDto);
}
