import type { Manifest } from "../apps/manifest.ts";
import type { Core } from "../core.ts";
import type { Queryable } from "../db/queryable.ts";
import { declaredWebhooks } from "./manifest.ts";
import { issueSecret } from "./secret.ts";
import * as sql from "./sql.ts";
import { newWebhookToken } from "./token.ts";

/**
 * Install step (spec §2.5, "webhooks sync"), in the install's transaction: a declared name that exists keeps its
 * row, token, secret and creator (seed 000: stable across deploys; the original regenerates them); a new name gets
 * a token and a secret, owned by the installer; a name no longer declared is deleted with its calls and secret.
 * Nobody sees a new token here: its URL is shown by a rotation (docs/JOBS.md "Webhooks").
 */
export async function reconcileWebhooks(core: Core, tx: Queryable, manifest: Manifest, installerId: string): Promise<{ created: string[]; removed: string[] }> {
  const declared = declaredWebhooks(manifest);
  const removed = await sql.deleteUndeclared(tx, manifest.appId, declared.map((d) => d.name));
  const existing = new Map((await sql.listByApp(tx, manifest.appId)).map((w) => [w.name, w]));
  const created: string[] = [];
  for (const d of declared) {
    const found = existing.get(d.name);
    if (found) {
      await sql.refreshDeclared(tx, found.id, d.method, d.requireSignature);
      continue;
    }
    const { prefix, hash } = newWebhookToken();
    const id = await sql.insert(tx, { appId: manifest.appId, name: d.name, method: d.method, manifestRequiresSignature: d.requireSignature, prefix, hash, createdBy: installerId });
    await issueSecret(core, tx, id);
    created.push(d.name);
  }
  return { created, removed };
}
