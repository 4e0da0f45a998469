import type { TestCore } from "./harness.ts";
import { api, type Json } from "./harness.ts";

/** The smallest installable app: one entity, so the schema exists for migrations. */
export function deployableManifest(appId: string) {
  return { appId, name: `App ${appId}`, version: "1.0.0", dataContract: [{ entityName: "note", fields: [{ name: "body", type: "text" }] }] };
}

export async function installApp(core: TestCore, appId: string, token: string): Promise<void> {
  const res = await api(core, "POST", "/api/v1/apps", deployableManifest(appId), token);
  if (res.status !== 200) throw new Error(`install ${appId}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** POST of a multipart body with the archive in `field` (default `archive`), as a browser or curl -F sends it. */
export async function upload(core: { url: string }, path: string, archive: Buffer, token: string, field = "archive"): Promise<Json> {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(archive)]), "archive.tar.gz");
  const res = await fetch(core.url + path, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
