import type { Queryable } from "../db/queryable.ts";

export interface WebhookRow {
  id: string;
  app_id: string;
  name: string;
  method: string;
  token_prefix: string;
  token_hash: string;
  manifest_requires_signature: boolean;
  require_signature: boolean;
  rate_limit_per_minute: number;
  created_by: string | null;
  created_at: Date;
  token_rotated_at: Date | null;
}

export interface CallRow {
  id: string;
  at: Date;
  status: number;
  duration_ms: number;
  signed: boolean;
  error: string | null;
}

const COLUMN_NAMES = ["id", "app_id", "name", "method", "token_prefix", "token_hash", "manifest_requires_signature", "require_signature", "rate_limit_per_minute", "created_by", "created_at", "token_rotated_at"];
const COLUMNS = COLUMN_NAMES.join(", ");

/** The calls the Studio keeps per webhook; older ones are pruned as new ones arrive. */
export const KEPT_CALLS = 100;

export async function listByApp(db: Queryable, appId: string): Promise<(WebhookRow & { last_call: CallRow | null })[]> {
  const { rows } = await db.query<WebhookRow & { last_call: CallRow | null }>(
    `SELECT ${COLUMN_NAMES.map((c) => `w.${c}`).join(", ")},
            (SELECT jsonb_build_object('id', c.id::text, 'at', c.at, 'status', c.status, 'duration_ms', c.duration_ms, 'signed', c.signed, 'error', c.error)
               FROM rootcx_system.webhook_calls c WHERE c.webhook_id = w.id ORDER BY c.id DESC LIMIT 1) AS last_call
       FROM rootcx_system.webhooks w WHERE w.app_id = $1 ORDER BY w.name`,
    [appId],
  );
  return rows;
}

export async function getOne(db: Queryable, appId: string, id: string, opts: { lock?: boolean } = {}): Promise<WebhookRow | undefined> {
  const { rows } = await db.query<WebhookRow>(`SELECT ${COLUMNS} FROM rootcx_system.webhooks WHERE app_id = $1 AND id = $2${opts.lock ? " FOR UPDATE" : ""}`, [appId, id]);
  return rows[0];
}

/** A webhook as an inbound call needs it: with its creator's e-mail and state (null when the creator is gone). */
export type InboundRow = WebhookRow & { creator_email: string | null; creator_disabled: boolean };

/**
 * Candidates for a token: every row with its prefix (almost always one), the caller compares hashes; the creator
 * comes along in the same round trip.
 */
export async function byPrefix(db: Queryable, prefix: string): Promise<InboundRow[]> {
  const { rows } = await db.query<InboundRow>(
    `SELECT ${COLUMN_NAMES.map((c) => `w.${c}`).join(", ")}, u.email AS creator_email, coalesce(u.disabled_at IS NOT NULL, false) AS creator_disabled
       FROM rootcx_system.webhooks w LEFT JOIN rootcx_system.users u ON u.id = w.created_by
      WHERE w.token_prefix = $1`,
    [prefix],
  );
  return rows;
}

export async function insert(db: Queryable, w: { appId: string; name: string; method: string; manifestRequiresSignature: boolean; prefix: string; hash: string; createdBy: string }): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO rootcx_system.webhooks (app_id, name, method, manifest_requires_signature, token_prefix, token_hash, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [w.appId, w.name, w.method, w.manifestRequiresSignature, w.prefix, w.hash, w.createdBy],
  );
  return rows[0]!.id;
}

/** A re-install keeps the row, its token and creator; only what the manifest says is refreshed. */
export async function refreshDeclared(db: Queryable, id: string, method: string, manifestRequiresSignature: boolean): Promise<void> {
  await db.query("UPDATE rootcx_system.webhooks SET method = $2, manifest_requires_signature = $3 WHERE id = $1", [id, method, manifestRequiresSignature]);
}

/** Names the manifest no longer declares; their calls and vault secrets go with them (cascade and trigger). */
export async function deleteUndeclared(db: Queryable, appId: string, keep: string[]): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>("DELETE FROM rootcx_system.webhooks WHERE app_id = $1 AND NOT (name = ANY($2::text[])) RETURNING name", [appId, keep]);
  return rows.map((r) => r.name);
}

export async function replaceToken(db: Queryable, id: string, prefix: string, hash: string): Promise<void> {
  await db.query("UPDATE rootcx_system.webhooks SET token_prefix = $2, token_hash = $3, token_rotated_at = now() WHERE id = $1", [id, prefix, hash]);
}

export async function updateSettings(db: Queryable, id: string, s: { requireSignature?: boolean; rateLimitPerMinute?: number }): Promise<void> {
  await db.query(
    `UPDATE rootcx_system.webhooks SET require_signature = coalesce($2, require_signature), rate_limit_per_minute = coalesce($3, rate_limit_per_minute) WHERE id = $1`,
    [id, s.requireSignature ?? null, s.rateLimitPerMinute ?? null],
  );
}

/**
 * Records a call and prunes the webhook's history, in one statement: the DELETE sees the rows as they were before
 * the INSERT, so it keeps the KEPT_CALLS - 1 most recent of those, and the new one makes KEPT_CALLS.
 */
export async function recordCall(db: Queryable, c: { webhookId: string; status: number; durationMs: number; signed: boolean; error: string | null }): Promise<void> {
  await db.query(
    `WITH added AS (
       INSERT INTO rootcx_system.webhook_calls (webhook_id, status, duration_ms, signed, error) VALUES ($1, $2, $3, $4, left($5, 1000)) RETURNING id
     )
     DELETE FROM rootcx_system.webhook_calls
      WHERE webhook_id = $1
        AND id < (SELECT id FROM rootcx_system.webhook_calls WHERE webhook_id = $1 ORDER BY id DESC OFFSET ${KEPT_CALLS - 2} LIMIT 1)
        AND EXISTS (SELECT 1 FROM added)`,
    [c.webhookId, c.status, c.durationMs, c.signed, c.error],
  );
}

export async function listCalls(db: Queryable, webhookId: string, limit: number): Promise<CallRow[]> {
  const { rows } = await db.query<CallRow>(
    "SELECT c.id::text AS id, c.at, c.status, c.duration_ms, c.signed, c.error FROM rootcx_system.webhook_calls c WHERE c.webhook_id = $1 ORDER BY c.id DESC LIMIT $2",
    [webhookId, limit],
  );
  return rows;
}
