import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { CoreError } from "../errors.ts";

/**
 * What an archive's package.json and lockfile may ask `bun install` for: packages from a registry or a remote
 * URL, never a path on the Core's machine. A `file:` dependency on `/root/...` would be copied (or hard-linked)
 * into the app, where its worker reads it.
 */

const SECTIONS = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies", "overrides", "resolutions", "catalog"] as const;
const LOCAL_PROTOCOLS = /(^|[^a-z])(file|link|workspace|portal):/i;

/** Why `spec` names a local path, or undefined when it does not. */
export function localSpecifier(spec: string): string | undefined {
  const m = LOCAL_PROTOCOLS.exec(spec);
  if (m) return `${m[2]!.toLowerCase()}: specifiers`;
  if (/^(\/|~|\\|[a-zA-Z]:[\\/])/.test(spec)) return "absolute paths";
  if (/^\.\.?([\\/]|$)/.test(spec) || spec.split(/[\\/]/).includes("..")) return "relative paths";
  return undefined;
}

const packageJson = z.looseObject({
  workspaces: z.unknown().optional(),
  catalogs: z.record(z.string(), z.unknown()).optional(),
  patchedDependencies: z.unknown().optional(),
});

/** Every string value below `value` with its dotted location, for sections whose values may nest (overrides). */
function* specifiers(value: unknown, where: string[]): Generator<[string[], string]> {
  if (typeof value === "string") yield [where, value];
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) yield* specifiers(v, [...where, k]);
}

const refuse = (reason: string) => new CoreError("BAD_REQUEST", `archive refused: ${reason}`);

/** Refuses a package.json that names local paths in any dependency section, workspaces, or patches. */
export function checkPackageJson(text: string): void {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw refuse(`package.json is not valid JSON (${(err as Error).message})`);
  }
  const parsed = packageJson.safeParse(raw);
  if (!parsed.success) throw refuse("package.json must be a JSON object");
  const pkg = parsed.data;
  if (pkg.workspaces !== undefined) throw refuse("package.json declares workspaces; the Core installs a single package (workspaces name local paths)");
  if (pkg.patchedDependencies !== undefined) throw refuse("package.json declares patchedDependencies; patches are local files the Core does not apply");
  const sections: Array<[string, unknown]> = SECTIONS.map((s) => [s, pkg[s]]);
  for (const [name, catalog] of Object.entries(pkg.catalogs ?? {})) sections.push([`catalogs.${name}`, catalog]);
  for (const [section, value] of sections) {
    for (const [where, spec] of specifiers(value, [])) {
      const why = localSpecifier(spec);
      if (why) {
        throw refuse(
          `dependency ${JSON.stringify(where.join(" > "))} in package.json ${section} is ${JSON.stringify(spec)}: ${why} are refused (they reach files on the Core's machine); depend on a published version instead`,
        );
      }
    }
  }
}

/**
 * A shipped text lockfile (bun.lock) may pin a package to a path even when package.json does not: one that
 * mentions a local protocol is refused. The binary bun.lockb cannot be read here, so it is refused outright.
 */
export async function checkLockfiles(root: string, present: (name: string) => boolean): Promise<void> {
  if (present("bun.lockb")) throw refuse("bun.lockb (the binary lockfile) cannot be checked; ship the text lockfile bun.lock instead (bun install --save-text-lockfile)");
  if (!present("bun.lock")) return;
  const text = await readFile(path.join(root, "bun.lock"), "utf8");
  const m = /"([^"\n]*)@((?:file|link|workspace|portal):[^"\n]*)"/i.exec(text) ?? /"((?:file|link|portal):[^"\n]*)"/i.exec(text);
  if (m) throw refuse(`bun.lock pins ${JSON.stringify(m[0].replaceAll('"', ""))}, a local path; local paths are refused (they reach files on the Core's machine)`);
}
