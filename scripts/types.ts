import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { parseManifest } from "../src/server/apps/manifest.ts";
import { manifestToTypeScript } from "../src/server/apps/typescript-types.ts";

/**
 * `npm run types -- --app crm` writes types/crm.ts from the manifest installed on a running Core
 * (ROOTCX_URL, default http://127.0.0.1:9100; a bearer token in ROOTCX_TOKEN or --token), or
 * `npm run types -- --manifest manifest.json` from a file.
 */
const { values } = parseArgs({
  options: {
    app: { type: "string" },
    manifest: { type: "string" },
    url: { type: "string", default: process.env.ROOTCX_URL ?? "http://127.0.0.1:9100" },
    token: { type: "string", default: process.env.ROOTCX_TOKEN },
    out: { type: "string" },
  },
});

async function loadManifest(): Promise<unknown> {
  if (values.manifest) return JSON.parse(readFileSync(values.manifest, "utf8"));
  if (!values.app) throw new Error("give --app <id> (read from a running Core) or --manifest <file>");
  if (!values.token) throw new Error("set ROOTCX_TOKEN (or --token) to an access token that may read the app");
  const res = await fetch(`${values.url!.replace(/\/+$/, "")}/api/v1/apps/${encodeURIComponent(values.app)}`, { headers: { authorization: `Bearer ${values.token}` } });
  const body = (await res.json()) as { manifest?: unknown; error?: string };
  if (!res.ok) throw new Error(`GET /apps/${values.app}: ${res.status} ${body.error ?? ""}`);
  return body.manifest;
}

try {
  const manifest = parseManifest(await loadManifest());
  const out = values.out ?? path.join("types", `${manifest.appId}.ts`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, manifestToTypeScript(manifest));
  console.log(`wrote ${out} (${manifest.dataContract.length} entities)`);
} catch (err) {
  console.error(`types: ${(err as Error).message}`);
  process.exit(1);
}
