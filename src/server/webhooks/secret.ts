import type { Core } from "../core.ts";
import type { Queryable } from "../db/queryable.ts";
import { newSigningSecret } from "./token.ts";

/**
 * Signing secrets live in the vault under an internal scope per webhook, `webhook:{id}` / `signing_secret` (as
 * the original's), not as an app secret: app secrets are listed, overwritten and deleted through the secrets API
 * and delivered to every worker of the app (whose restart a change forces), none of which a secret only the Core
 * verifies with should allow. The vault still seals it (AES-256-GCM, bound to its slot), re-encrypts it on a
 * master-key rotation, and a trigger deletes it with its webhook (migration 0025).
 */
const scope = (webhookId: string) => `webhook:${webhookId}`;
const KEY = "signing_secret";

/** Makes and stores a new secret for the webhook, in the caller's transaction; returns it (to show once, or not). */
export async function issueSecret(core: Core, db: Queryable, webhookId: string): Promise<string> {
  const secret = newSigningSecret();
  await core.vault.set(scope(webhookId), KEY, secret, db);
  return secret;
}

/** The webhook's secret, or undefined when it is missing or no longer decrypts (the vault logs which). */
export async function readSecret(core: Core, webhookId: string): Promise<string | undefined> {
  return (await core.vault.values(scope(webhookId))).values[KEY];
}
