import type { Queryable } from "../db/queryable.ts";
import type { AdminAction } from "./admin-actions.ts";

/** What kind of thing an action acts on: the audit row's table_name. */
const TARGET_TABLE: Record<string, string> = { user: "users", session: "sessions", secret: "secrets", app: "apps", vault: "vault_keys", settings: "config", oidc: "oidc_providers", auth: "magic_link_tokens", share: "public_shares", service_account: "users", bucket: "storage_buckets", storage: "storage_signing_keys", webhook: "webhooks", hook: "entity_hooks", job: "jobs", cron: "crons" };

export { ADMIN_ACTIONS, type AdminAction } from "./admin-actions.ts";

export interface AdminEvent {
  action: AdminAction;
  /** The target's id: user id, session id, app id, `scope:key` of a secret, key version. */
  target: string;
  /** What the target was, where that matters (a deleted user's email). Never a secret value or a hash. */
  before?: Record<string, unknown>;
  /** What changed. Never a secret value or a hash. */
  after?: Record<string, unknown>;
}

/**
 * Appends an administrative event to the hash-chained audit log, in the caller's transaction: it commits or
 * rolls back with the change it records. The actor comes from the transaction's signed claims (actAs).
 */
export async function recordAdminEvent(tx: Queryable, e: AdminEvent): Promise<void> {
  const table = TARGET_TABLE[e.action.split(".")[0]!]!;
  await tx.query("SELECT rootcx_system.audit_append('rootcx_system', $1, $2, $3, $4, $5)", [table, e.target, e.action, e.before ?? null, e.after ?? null]);
}
