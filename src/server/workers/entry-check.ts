import { readdirSync } from "node:fs";
import path from "node:path";
import { CoreError } from "../errors.ts";
import { ENTRY_POINTS, entryPoint } from "./app-files.ts";
import { migrationFiles } from "./migrations.ts";

/** What a staged archive deploys: a backend (its entry point) or migrations alone. */
export interface DeployedKind {
  hasBackend: boolean;
}

const accepted = ENTRY_POINTS.join(", ");

/**
 * Refuses an archive that would replace a running backend with nothing by mistake. `tar czf app.tgz myapp/` puts
 * the entry point one level down, where the supervisor never looks: the old worker would stop and every RPC 404.
 * An archive with migrations and no entry point at all is a deliberate migrations-only deploy and passes.
 */
export async function checkEntryPoint(root: string): Promise<DeployedKind> {
  if (entryPoint(root)) return { hasBackend: true };
  const nested = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => ({ dir: e.name, entry: entryPoint(path.join(root, e.name)) }))
    .filter((d): d is { dir: string; entry: string } => d.entry !== undefined);
  if (nested.length === 1) {
    const { dir, entry } = nested[0]!;
    const shown = path.relative(root, entry).split(path.sep).join("/");
    throw new CoreError(
      "BAD_REQUEST",
      `no entry point at the archive's root (${accepted}); it holds ${shown} — archive the folder's contents: tar czf app.tgz -C ${dir} .`,
    );
  }
  if ((await migrationFiles(root)).length === 0) {
    throw new CoreError("BAD_REQUEST", `the archive holds no backend entry point at its root (one of ${accepted}) and no migrations/*.sql: nothing to deploy`);
  }
  return { hasBackend: false };
}
