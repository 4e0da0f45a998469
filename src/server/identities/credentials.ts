import type { Principal } from "../auth/principal.ts";
import { notifyAuthChange } from "../auth/principal-directory.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { newKey } from "./keys.ts";
import { assertCoversAccount } from "./no-escalation.ts";
import type { CreatedCredentialDto } from "./schema.ts";
import { authorize, changeAccount } from "./service-accounts.ts";
import * as sql from "./sql.ts";

/** Keys one account may hold at once (expired ones count until deleted): rotation needs two, a fleet a few more. */
export const MAX_KEYS_PER_ACCOUNT = 20;

/**
 * A new key, returned once: only its SHA-256 and its 12-character prefix are stored. The account row is locked,
 * so concurrent creations are counted one after another and two keys never share a name on one account.
 */
export async function createCredential(core: Core, p: Principal, id: string, input: { name: string; expiresInDays: number }): Promise<CreatedCredentialDto> {
  await authorize(core, p);
  const key = newKey();
  const created = await changeAccount(core, p, id, async (tx, account) => {
    await assertCoversAccount(tx, p, account, "make a key for");
    if ((await sql.countCredentials(tx, id)) >= MAX_KEYS_PER_ACCOUNT) {
      throw new CoreError("CONFLICT", `${account.email} has ${MAX_KEYS_PER_ACCOUNT} keys, the most an account may hold; delete one first`);
    }
    const row = await sql.insertCredential(tx, { userId: id, name: input.name, prefix: key.prefix, hash: key.hash, expiresInDays: input.expiresInDays });
    if (!row) throw new CoreError("CONFLICT", `${account.email} already has a key named ${JSON.stringify(input.name)}`);
    // The name and prefix identify the key in the log; the key and its hash never leave this function but in the answer.
    await recordAdminEvent(tx, {
      action: "service_account.credential_create",
      target: id,
      after: { credential_id: row.id, name: input.name, prefix: key.prefix, expires_at: row.expires_at.toISOString() },
    });
    return row;
  });
  core.log.info({ serviceAccountId: id, credentialId: created.id, prefix: key.prefix, by: p.userId }, "API key created");
  return { id: created.id, key: key.key, prefix: key.prefix, expiresAt: created.expires_at.toISOString() };
}

/** The key stops working at once in every Core process, and so do the access tokens exchanged for it. */
export async function deleteCredential(core: Core, p: Principal, id: string, credentialId: string): Promise<{ message: string }> {
  await authorize(core, p);
  const deleted = await changeAccount(core, p, id, async (tx) => {
    const ended = await sql.deleteSessions(tx, id, credentialId);
    const row = await sql.deleteCredential(tx, id, credentialId);
    if (!row) throw new CoreError("NOT_FOUND", "this service account has no key with that id");
    // changeAccount's NOTIFY makes every process forget the account's keys, this one included.
    for (const sid of ended) await notifyAuthChange(tx, "session", sid);
    await recordAdminEvent(tx, { action: "service_account.credential_delete", target: id, before: { credential_id: credentialId, name: row.name, prefix: row.prefix } });
    return { ...row, ended };
  });
  for (const sid of deleted.ended) core.auth.principals.invalidate("session", sid);
  core.log.info({ serviceAccountId: id, credentialId, by: p.userId }, "API key deleted");
  return { message: `key ${deleted.name} (${deleted.prefix}…) deleted` };
}
