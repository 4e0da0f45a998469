import type pg from "pg";
import type { Principal } from "../auth/principal.ts";
import { notifyAuthChange } from "../auth/principal-directory.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { withActor } from "../governance/actor.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { requirePermission } from "../governance/authorize.ts";
import { credentialDirectory } from "./credential-directory.ts";
import { assertCoversAccount } from "./no-escalation.ts";
import { SERVICE_ACCOUNTS_MANAGE, type ServiceAccountDetailsDto, type ServiceAccountDto } from "./schema.ts";
import * as sql from "./sql.ts";

export const authorize = (core: Core, p: Principal) => requirePermission(core, p, SERVICE_ACCOUNTS_MANAGE);

export const accountNotFound = () => new CoreError("NOT_FOUND", "service account not found");

/**
 * Runs an (already authorized) change to one service account with its row locked, then makes every Core process
 * forget what it cached about the account, its sessions and keys: a disabled or deleted account's next request
 * is refused wherever it lands.
 */
export async function changeAccount<T>(core: Core, p: Principal, id: string, change: (tx: pg.PoolClient, account: sql.LockedAccount) => Promise<T>): Promise<T> {
  const result = await withActor(core, p, async (tx) => {
    const account = await sql.lockAccount(tx, id);
    if (!account) throw accountNotFound();
    const out = await change(tx, account);
    await notifyAuthChange(tx, "user", id);
    return out;
  });
  core.auth.principals.invalidate("user", id);
  credentialDirectory(core).changed("user", id);
  return result;
}

export async function listAccounts(core: Core, p: Principal): Promise<ServiceAccountDto[]> {
  await authorize(core, p);
  return sql.listAccounts(core.db.pool);
}

/** One account with its keys (never the keys themselves) and the people it may act as. */
export async function getAccount(core: Core, p: Principal, id: string): Promise<ServiceAccountDetailsDto> {
  await authorize(core, p);
  const account = await sql.getAccount(core.db.pool, id);
  if (!account) throw accountNotFound();
  const [credentials, actAs] = await Promise.all([sql.listCredentials(core.db.pool, id), sql.listActAs(core.db.pool, id)]);
  return { ...account, credentials, actAs };
}

/**
 * A new account owned by its creator, with no role (so no permission) and no key. A service account cannot
 * create one: every account needs a person accountable for it.
 */
export async function createAccount(core: Core, p: Principal, input: { slug: string; displayName?: string | undefined }): Promise<{ id: string; email: string }> {
  await authorize(core, p);
  if (p.kind === "service") throw new CoreError("FORBIDDEN", "a service account cannot create service accounts: each needs a person as its owner of record");
  const email = sql.serviceAccountEmail(input.slug);
  const created = await withActor(core, p, async (tx) => {
    if (!(await sql.findPerson(tx, p.userId))) throw new CoreError("FORBIDDEN", "only a person can own a service account");
    const row = await sql.insertAccount(tx, { email, displayName: input.displayName ?? null, owner: p.userId });
    if (!row) throw new CoreError("CONFLICT", `the slug ${input.slug} is taken (${email} exists)`);
    await recordAdminEvent(tx, { action: "service_account.create", target: row.id, after: { email, display_name: input.displayName ?? null, owner: p.userId } });
    return row;
  });
  core.log.info({ serviceAccountId: created.id, by: p.userId }, "service account created");
  return created;
}

export async function deleteAccount(core: Core, p: Principal, id: string): Promise<{ message: string }> {
  await authorize(core, p);
  const email = await changeAccount(core, p, id, async (tx, account) => {
    // The keys and sessions go with the row (foreign keys cascade); the NOTIFY reaches every process at commit.
    await sql.deleteAccount(tx, id);
    await recordAdminEvent(tx, { action: "service_account.delete", target: id, before: { email: account.email, owner: account.owner } });
    return account.email;
  });
  core.log.info({ serviceAccountId: id, by: p.userId }, "service account deleted");
  return { message: `service account ${email} deleted` };
}

/**
 * Disabling refuses the account's keys and ends its client-credentials tokens at once; enabling lets them work
 * again, so it needs the caller to hold everything the account holds (anyone with the permission may disable).
 */
export async function setAccountDisabled(core: Core, p: Principal, id: string, disabled: boolean): Promise<{ message: string }> {
  await authorize(core, p);
  const email = await changeAccount(core, p, id, async (tx, account) => {
    if (!disabled) await assertCoversAccount(tx, p, account, "enable");
    await sql.setDisabled(tx, id, disabled);
    const ended = disabled ? await sql.deleteSessions(tx, id) : [];
    for (const sid of ended) await notifyAuthChange(tx, "session", sid);
    await recordAdminEvent(tx, {
      action: disabled ? "service_account.disable" : "service_account.enable",
      target: id,
      after: { email: account.email, ...(disabled ? { sessions_ended: ended.length } : {}) },
    });
    return account.email;
  });
  core.log.info({ serviceAccountId: id, by: p.userId, disabled }, disabled ? "service account disabled" : "service account enabled");
  return { message: `service account ${email} ${disabled ? "disabled" : "enabled"}` };
}

/** The owner of record is always a person with an enabled account; the caller must hold all the account holds. */
export async function transferOwnership(core: Core, p: Principal, id: string, newOwner: string): Promise<{ message: string }> {
  await authorize(core, p);
  const message = await changeAccount(core, p, id, async (tx, account) => {
    await assertCoversAccount(tx, p, account, "transfer");
    const person = await sql.findPerson(tx, newOwner);
    if (!person) throw new CoreError("BAD_REQUEST", "the new owner must be a person's account (not a service account or other system principal)");
    if (person.disabled) throw new CoreError("BAD_REQUEST", `the new owner ${person.email} is disabled`);
    await sql.setOwner(tx, id, newOwner);
    await recordAdminEvent(tx, { action: "service_account.transfer_ownership", target: id, before: { owner: account.owner }, after: { owner: newOwner, owner_email: person.email } });
    return `service account ${account.email} is now owned by ${person.email}`;
  });
  core.log.info({ serviceAccountId: id, by: p.userId, owner: newOwner }, "service account ownership transferred");
  return { message };
}
