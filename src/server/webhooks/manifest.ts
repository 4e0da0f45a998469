import { z } from "zod";
import { CoreError } from "../errors.ts";
import type { Manifest } from "../apps/manifest.ts";

/** Names as the original's crons and webhooks allow them; they appear in URLs of the Studio and in RPC params. */
export const webhookNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "webhook names use A-Z, a-z, 0-9, _ and -, at most 64" });
const methodSchema = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, { error: "RPC method names use A-Z, a-z, 0-9, _ . : and -" });

// Spec §3: `"name"` (method "POST", as in the original) or `{name, method = "POST"}`; requireSignature is ours.
const entryObject = z.strictObject({ name: webhookNameSchema, method: methodSchema.default("POST"), requireSignature: z.boolean().default(false) });
const entrySchema = z.unknown().transform((raw) => (typeof raw === "string" ? { name: raw } : raw)).pipe(entryObject);

export interface DeclaredWebhook {
  name: string;
  method: string;
  requireSignature: boolean;
}

/** The manifest's `webhooks`, validated; a problem is a 400 naming its path, which fails the install. */
export function declaredWebhooks(manifest: Manifest): DeclaredWebhook[] {
  const out: DeclaredWebhook[] = [];
  const seen = new Set<string>();
  (manifest.webhooks ?? []).forEach((raw, i) => {
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue?.path.length ? `.${issue.path.map(String).join(".")}` : "";
      throw new CoreError("BAD_REQUEST", `webhooks[${i}]${at}: ${issue?.message ?? "invalid webhook"}`);
    }
    const w = parsed.data;
    // The original routes method "agent" to the app's agent; agents are not part of this Core yet.
    if (w.method === "agent") throw new CoreError("BAD_REQUEST", `webhooks[${i}].method: "agent" (calling the app's agent) is not supported yet; name a worker RPC`);
    if (seen.has(w.name)) throw new CoreError("BAD_REQUEST", `webhooks[${i}].name: duplicate webhook "${w.name}"`);
    seen.add(w.name);
    out.push(w);
  });
  if (out.length > 100) throw new CoreError("BAD_REQUEST", "webhooks: at most 100 per app");
  return out;
}
