import { type Dirent, existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { CoreError } from "../errors.ts";
import { ENTRY_POINTS, entryPoint } from "./app-files.ts";
import { migrationFiles } from "./migrations.ts";

/** What a staged archive deploys: a backend (its entry point) or migrations alone. */
export interface DeployedKind {
  hasBackend: boolean;
}

const accepted = ENTRY_POINTS.join(", ");

/** How far down a misplaced entry point is looked for, and how many directories at most: a hint, not a crawl. */
const SEARCH_DEPTH = 3;
const SEARCH_DIRS = 200;

/**
 * The directories below `root` (at most SEARCH_DEPTH levels down, SEARCH_DIRS visited, never node_modules) where
 * `holds` finds the file, at the shallowest level that has any; `holds` answers the file's path.
 */
function findNested(root: string, holds: (dir: string) => string | undefined): Array<{ dir: string; file: string }> {
  let level = [root];
  let visited = 0;
  for (let depth = 1; depth <= SEARCH_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const parent of level) {
      let entries: Dirent[];
      try {
        entries = readdirSync(parent, { withFileTypes: true });
      } catch {
        continue; // unreadable: nothing to suggest there
      }
      for (const e of entries) {
        if (!e.isDirectory() || e.name === "node_modules" || visited >= SEARCH_DIRS) continue;
        visited++;
        next.push(path.join(parent, e.name));
      }
    }
    const found = next.flatMap((dir) => {
      const file = holds(dir);
      return file === undefined ? [] : [{ dir, file }];
    });
    if (found.length > 0) return found;
    level = next;
  }
  return [];
}

const shown = (root: string, file: string) => path.relative(root, file).split(path.sep).join("/");

/** The hint for an archive whose file sits in one folder further down: the command that archives that folder's contents. */
function nestedHint(root: string, nested: Array<{ dir: string; file: string }>, archive: string): string | undefined {
  if (nested.length !== 1) return undefined;
  const { dir, file } = nested[0]!;
  return `it holds ${shown(root, file)} — archive the folder's contents: tar czf ${archive} -C ${shown(root, dir)} .`;
}

/**
 * Refuses an archive that would replace a running backend with nothing by mistake. `tar czf app.tgz myapp/` puts
 * the entry point one level down (or more), where the supervisor never looks: the old worker would stop and every
 * RPC 404. An archive with migrations and no entry point at all is a deliberate migrations-only deploy and passes.
 */
export async function checkEntryPoint(root: string): Promise<DeployedKind> {
  if (entryPoint(root)) return { hasBackend: true };
  const hint = nestedHint(root, findNested(root, entryPoint), "app.tgz");
  if (hint) throw new CoreError("BAD_REQUEST", `no entry point at the archive's root (${accepted}); ${hint}`);
  if ((await migrationFiles(root)).length === 0) {
    throw new CoreError("BAD_REQUEST", `the archive holds no backend entry point at its root (one of ${accepted}) and no migrations/*.sql: nothing to deploy`);
  }
  return { hasBackend: false };
}

const indexHtml = (dir: string): string | undefined => {
  const file = path.join(dir, "index.html");
  return existsSync(file) ? file : undefined;
};

/**
 * The frontend's rule: `index.html` at the archive's root, which `/apps/{id}/` serves. `tar czf fe.tgz -C fe dist`
 * would otherwise answer "deployed" and then 404.
 */
export function checkFrontendEntry(root: string): void {
  if (indexHtml(root)) return;
  const hint = nestedHint(root, findNested(root, indexHtml), "fe.tgz");
  if (hint) throw new CoreError("BAD_REQUEST", `no index.html at the archive's root; ${hint}`);
  throw new CoreError("BAD_REQUEST", "the archive holds no index.html at its root: a frontend is served from its index.html (build it, then archive the build folder's contents: tar czf fe.tgz -C dist .)");
}
