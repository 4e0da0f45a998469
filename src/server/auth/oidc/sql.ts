import type { Queryable } from "../../db/queryable.ts";
import type { ProviderDto, PublicProviderDto } from "./schema.ts";

export interface ProviderRow {
  id: string;
  display_name: string;
  issuer_url: string;
  client_id: string;
  scopes: string[];
  auto_register: boolean;
  default_role: string;
  role_claim: string | null;
  trust_email: boolean;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface ProviderValues {
  id: string;
  displayName: string;
  issuerUrl: string;
  clientId: string;
  scopes: string[];
  autoRegister: boolean;
  defaultRole: string;
  roleClaim: string | null;
  /** Registers accounts even from e-mails the provider does not assert verified (never links by them). */
  trustEmail: boolean;
  enabled: boolean;
}

const COLUMNS = "id, display_name, issuer_url, client_id, scopes, auto_register, default_role, role_claim, trust_email, enabled, created_at, updated_at";

export const toValues = (r: ProviderRow): ProviderValues => ({
  id: r.id,
  displayName: r.display_name,
  issuerUrl: r.issuer_url,
  clientId: r.client_id,
  scopes: r.scopes,
  autoRegister: r.auto_register,
  defaultRole: r.default_role,
  roleClaim: r.role_claim,
  trustEmail: r.trust_email,
  enabled: r.enabled,
});

export async function listEnabledProviders(db: Queryable): Promise<PublicProviderDto[]> {
  const { rows } = await db.query<{ id: string; display_name: string }>(
    "SELECT id, display_name FROM rootcx_system.oidc_providers WHERE enabled ORDER BY display_name, id",
  );
  return rows.map((r) => ({ id: r.id, displayName: r.display_name }));
}

export async function listProviders(db: Queryable, secretScopes: Set<string>): Promise<ProviderDto[]> {
  const { rows } = await db.query<ProviderRow & { linked_users: number }>(
    `SELECT ${COLUMNS}, (SELECT count(*)::int FROM rootcx_system.oidc_identities i WHERE i.provider_id = p.id) AS linked_users
       FROM rootcx_system.oidc_providers p ORDER BY display_name, id`,
  );
  return rows.map((r) => ({
    ...toValues(r),
    hasClientSecret: secretScopes.has(r.id),
    linkedUsers: r.linked_users,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }));
}

/** Which providers have a client secret in the vault (names only; the values are never read for a listing). */
export async function providersWithSecret(db: Queryable): Promise<Set<string>> {
  const { rows } = await db.query<{ app_id: string }>(
    "SELECT app_id FROM rootcx_system.secrets WHERE app_id LIKE 'oidc:%' AND key_name = 'client_secret'",
  );
  return new Set(rows.map((r) => r.app_id.slice("oidc:".length)));
}

export async function getProvider(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<ProviderRow | undefined> {
  const { rows } = await db.query<ProviderRow>(
    `SELECT ${COLUMNS} FROM rootcx_system.oidc_providers WHERE id = $1${opts.forUpdate ? " FOR UPDATE" : ""}`,
    [id],
  );
  return rows[0];
}

/** Inserts or replaces a provider; says whether it existed. */
export async function upsertProvider(db: Queryable, p: ProviderValues): Promise<{ created: boolean }> {
  const { rows } = await db.query<{ created: boolean }>(
    `INSERT INTO rootcx_system.oidc_providers (id, display_name, issuer_url, client_id, scopes, auto_register, default_role, role_claim, enabled, trust_email)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, issuer_url = EXCLUDED.issuer_url,
       client_id = EXCLUDED.client_id, scopes = EXCLUDED.scopes, auto_register = EXCLUDED.auto_register,
       default_role = EXCLUDED.default_role, role_claim = EXCLUDED.role_claim, enabled = EXCLUDED.enabled,
       trust_email = EXCLUDED.trust_email, updated_at = now()
     RETURNING (xmax = 0) AS created`,
    [p.id, p.displayName, p.issuerUrl, p.clientId, p.scopes, p.autoRegister, p.defaultRole, p.roleClaim, p.enabled, p.trustEmail],
  );
  return rows[0]!;
}

/** Inserts the provider only if no provider with this id exists (seeding from the environment). */
export async function insertProviderIfAbsent(db: Queryable, p: ProviderValues): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO rootcx_system.oidc_providers (id, display_name, issuer_url, client_id, scopes, auto_register, default_role, role_claim, enabled, trust_email)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
    [p.id, p.displayName, p.issuerUrl, p.clientId, p.scopes, p.autoRegister, p.defaultRole, p.roleClaim, p.enabled, p.trustEmail],
  );
  return (rowCount ?? 0) > 0;
}

export async function setProviderEnabled(db: Queryable, id: string, enabled: boolean): Promise<boolean> {
  const { rowCount } = await db.query("UPDATE rootcx_system.oidc_providers SET enabled = $2, updated_at = now() WHERE id = $1", [id, enabled]);
  return (rowCount ?? 0) > 0;
}

export async function deleteProvider(db: Queryable, id: string): Promise<void> {
  await db.query("DELETE FROM rootcx_system.oidc_providers WHERE id = $1", [id]);
}

export async function countLinkedUsers(db: Queryable, providerId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM rootcx_system.oidc_identities WHERE provider_id = $1", [providerId]);
  return rows[0]!.n;
}

export async function roleExists(db: Queryable, role: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM rootcx_system.rbac_roles WHERE name = $1", [role]);
  return rows.length > 0;
}

export interface LoginState {
  provider_id: string;
  nonce: string;
  pkce_verifier: string;
  redirect_uri: string | null;
  token_delivery: "nonce" | "legacy" | null;
  binding_hash: string;
}

export async function insertLoginState(
  db: Queryable,
  s: { stateHash: string; bindingHash: string; providerId: string; nonce: string; pkceVerifier: string; redirectUri: string | null; tokenDelivery: "nonce" | "legacy" | null; ttlSeconds: number },
): Promise<void> {
  // Abandoned sign-ins are swept as new ones start, so the table never grows beyond ten minutes of traffic.
  await db.query("DELETE FROM rootcx_system.oidc_login_states WHERE expires_at < now()");
  await db.query(
    `INSERT INTO rootcx_system.oidc_login_states (state_hash, provider_id, nonce, pkce_verifier, redirect_uri, token_delivery, expires_at, binding_hash)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7), $8)`,
    [s.stateHash, s.providerId, s.nonce, s.pkceVerifier, s.redirectUri, s.tokenDelivery, s.ttlSeconds, s.bindingHash],
  );
}

/** Deletes and returns the state if it exists and has not expired: a state is used once, by one process. */
export async function consumeLoginState(db: Queryable, stateHash: string): Promise<LoginState | undefined> {
  const { rows } = await db.query<LoginState & { expired: boolean }>(
    `DELETE FROM rootcx_system.oidc_login_states WHERE state_hash = $1
     RETURNING provider_id, nonce, pkce_verifier, redirect_uri, token_delivery, binding_hash, expires_at < now() AS expired`,
    [stateHash],
  );
  const row = rows[0];
  return row && !row.expired ? row : undefined;
}
