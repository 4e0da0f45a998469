import type { Core } from "../../core.ts";
import { withTransaction, type Queryable } from "../../db/queryable.ts";
import { CoreError } from "../../errors.ts";
import { actAs, withActor } from "../../governance/actor.ts";
import { recordAdminEvent } from "../../governance/admin-events.ts";
import { requireAdmin } from "../../governance/authorize.ts";
import { BASE_ROLE } from "../../governance/permissions.ts";
import type { Principal } from "../principal.ts";
import { discover, providerClient, type ProviderClient } from "./client.ts";
import type { DiscoveryResult, ProviderDto, ProviderInput, ProviderPatch, PublicProviderDto } from "./schema.ts";
import * as sql from "./sql.ts";

/** The vault scope of a provider's client secret; the secret is never in the provider's row. */
export const secretScope = (providerId: string) => `oidc:${providerId}`;
const SECRET_KEY = "client_secret";
/** The provider seeded from ROOTCX_OIDC_ISSUER (seed 002). */
export const ENV_PROVIDER_ID = "rootcx";

const unknownProvider = (id: string) => new CoreError("NOT_FOUND", `unknown identity provider: ${id}`);

export async function listPublic(core: Core): Promise<PublicProviderDto[]> {
  return sql.listEnabledProviders(core.db.pool);
}

export async function listAll(core: Core, principal: Principal): Promise<ProviderDto[]> {
  await requireAdmin(core, principal);
  return sql.listProviders(core.db.pool, await sql.providersWithSecret(core.db.pool));
}

/** What the discovery document says, for the Studio's "test discovery" button; nothing is saved. */
export async function testDiscovery(core: Core, principal: Principal, issuerUrl: string): Promise<DiscoveryResult> {
  await requireAdmin(core, principal);
  const meta = (await discover(issuerUrl, "discovery-check", undefined)).serverMetadata();
  if (!meta.authorization_endpoint || !meta.token_endpoint) {
    throw new CoreError("BAD_REQUEST", `the discovery document of ${issuerUrl} names no authorization or token endpoint`);
  }
  return {
    issuer: meta.issuer,
    authorizationEndpoint: meta.authorization_endpoint,
    tokenEndpoint: meta.token_endpoint,
    jwksUri: meta.jwks_uri ?? null,
    scopesSupported: meta.scopes_supported ?? null,
  };
}

/** POST /auth/oidc/providers: creates or replaces a provider, once its discovery document has been fetched. */
export async function saveProvider(core: Core, principal: Principal, input: ProviderInput): Promise<{ message: string }> {
  await requireAdmin(core, principal);
  return store(core, principal, { ...input }, input.clientSecret);
}

/** A partial change (Studio): what the patch omits keeps its stored value, the secret included. */
export async function updateProvider(core: Core, principal: Principal, patch: ProviderPatch): Promise<{ message: string }> {
  await requireAdmin(core, principal);
  const row = await sql.getProvider(core.db.pool, patch.id);
  if (!row) throw unknownProvider(patch.id);
  const current = sql.toValues(row);
  const merged: sql.ProviderValues = {
    id: current.id,
    displayName: patch.displayName ?? current.displayName,
    issuerUrl: patch.issuerUrl ?? current.issuerUrl,
    clientId: patch.clientId ?? current.clientId,
    scopes: patch.scopes ?? current.scopes,
    autoRegister: patch.autoRegister ?? current.autoRegister,
    defaultRole: patch.defaultRole ?? current.defaultRole,
    roleClaim: patch.roleClaim === undefined ? current.roleClaim : patch.roleClaim,
    enabled: patch.enabled ?? current.enabled,
    trustEmail: patch.trustEmail ?? current.trustEmail,
  };
  return store(core, principal, merged, patch.clientSecret);
}

/**
 * Saves the row and the vault secret in one audited transaction. `secret`: undefined keeps the stored one, ""
 * removes it (a public client using PKCE alone), anything else replaces it. The audit row says which, never
 * the value.
 */
async function store(core: Core, principal: Principal, p: sql.ProviderValues, secret: string | undefined): Promise<{ message: string }> {
  if (!(await sql.roleExists(core.db.pool, p.defaultRole))) throw new CoreError("BAD_REQUEST", `defaultRole ${p.defaultRole} does not exist`);
  // Refuses, with the reason, a provider that could not sign anyone in; nothing is saved before this passes.
  const meta = (await discover(p.issuerUrl, p.clientId, secret || undefined)).serverMetadata();
  if (!meta.jwks_uri) throw new CoreError("BAD_REQUEST", `the identity provider ${p.issuerUrl} publishes no jwks_uri; its ID tokens could not be verified`);
  const { created } = await withActor(core, principal, async (tx) => {
    const result = await sql.upsertProvider(tx, p);
    if (secret) await core.vault.set(secretScope(p.id), SECRET_KEY, secret, tx);
    else if (secret === "") await core.vault.delete(secretScope(p.id), SECRET_KEY, tx);
    await recordAdminEvent(tx, {
      action: result.created ? "oidc.provider_create" : "oidc.provider_update",
      target: p.id,
      after: { ...auditView(p), clientSecret: secret ? "set" : secret === "" ? "removed" : "unchanged" },
    });
    return result;
  });
  core.log.info({ provider: p.id, by: principal.userId }, created ? "identity provider added" : "identity provider updated");
  return { message: `provider ${p.id} saved` };
}

export async function setEnabled(core: Core, principal: Principal, id: string, enabled: boolean): Promise<{ message: string }> {
  await requireAdmin(core, principal);
  await withActor(core, principal, async (tx) => {
    if (!(await sql.setProviderEnabled(tx, id, enabled))) throw unknownProvider(id);
    await recordAdminEvent(tx, { action: enabled ? "oidc.provider_enable" : "oidc.provider_disable", target: id });
  });
  core.log.info({ provider: id, by: principal.userId, enabled }, enabled ? "identity provider enabled" : "identity provider disabled");
  return { message: `provider ${id} ${enabled ? "enabled" : "disabled"}` };
}

/** Refused while users are linked to it unless forced; forcing unlinks them (their accounts stay). */
export async function deleteProvider(core: Core, principal: Principal, id: string, force: boolean): Promise<{ message: string }> {
  await requireAdmin(core, principal);
  const linked = await withActor(core, principal, async (tx) => {
    const row = await sql.getProvider(tx, id, { forUpdate: true });
    if (!row) throw unknownProvider(id);
    const n = await sql.countLinkedUsers(tx, id);
    if (n > 0 && !force) {
      throw new CoreError("BAD_REQUEST", `${n} user${n === 1 ? " is" : "s are"} linked to provider ${id}; delete with force=true to unlink ${n === 1 ? "it" : "them"} (the accounts stay)`);
    }
    await sql.deleteProvider(tx, id);
    await core.vault.delete(secretScope(id), SECRET_KEY, tx);
    await recordAdminEvent(tx, { action: "oidc.provider_delete", target: id, before: { ...auditView(sql.toValues(row)), linkedUsers: n } });
    return n;
  });
  core.log.info({ provider: id, by: principal.userId, unlinked: linked }, "identity provider deleted");
  return { message: `provider ${id} deleted` };
}

/**
 * ROOTCX_OIDC_ISSUER/_CLIENT_ID/_CLIENT_SECRET create the provider `rootcx` on first boot (seed 002). Once it
 * exists the row is the administrator's: a restart with the variables still set neither overwrites nor
 * re-enables it. No discovery here: the Core must start even while its identity provider is down.
 */
export async function seedProviderFromEnv(core: Core): Promise<void> {
  const env = core.config.oidc;
  if (!env) return;
  const seeded = await withTransaction(core.db.pool, async (tx) => {
    const values: sql.ProviderValues = {
      id: ENV_PROVIDER_ID,
      displayName: "Single sign-on",
      issuerUrl: env.issuer.replace(/\/+$/, ""),
      clientId: env.clientId,
      scopes: ["openid", "email", "profile"],
      autoRegister: true,
      defaultRole: BASE_ROLE,
      roleClaim: null,
      trustEmail: false,
      enabled: true,
    };
    if (!(await sql.insertProviderIfAbsent(tx, values))) return false;
    await core.vault.set(secretScope(ENV_PROVIDER_ID), SECRET_KEY, env.clientSecret, tx);
    await actAs(core, tx, null, "environment");
    await recordAdminEvent(tx, { action: "oidc.provider_create", target: ENV_PROVIDER_ID, after: { ...auditView(values), clientSecret: "set", source: "environment" } });
    return true;
  });
  if (seeded) core.log.info({ provider: ENV_PROVIDER_ID, issuer: env.issuer }, "identity provider seeded from ROOTCX_OIDC_ISSUER");
}

/** An enabled provider and its openid-client configuration (discovery cached), or 404. */
export async function enabledProvider(core: Core, db: Queryable, id: string): Promise<{ provider: sql.ProviderValues; client: ProviderClient }> {
  const row = await sql.getProvider(db, id);
  if (!row) throw unknownProvider(id);
  if (!row.enabled) throw new CoreError("NOT_FOUND", `the identity provider ${id} is disabled`);
  const { values } = await core.vault.values(secretScope(id));
  const client = await providerClient({
    id,
    issuerUrl: row.issuer_url,
    clientId: row.client_id,
    clientSecret: values[SECRET_KEY],
    version: row.updated_at.toISOString(),
  });
  return { provider: sql.toValues(row), client };
}

const auditView = (p: sql.ProviderValues) => ({
  displayName: p.displayName,
  issuerUrl: p.issuerUrl,
  clientId: p.clientId,
  scopes: p.scopes,
  autoRegister: p.autoRegister,
  defaultRole: p.defaultRole,
  roleClaim: p.roleClaim,
  trustEmail: p.trustEmail,
  enabled: p.enabled,
});
