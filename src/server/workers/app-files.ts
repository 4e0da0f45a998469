import { existsSync, statSync } from "node:fs";
import path from "node:path";

/** Where an app's backend, its frontend and its kept deploy archives live under the data directory. */
export const appsRoot = (dataDir: string) => path.join(dataDir, "apps");
export const appDir = (dataDir: string, appId: string) => path.join(appsRoot(dataDir), appId);
export const frontendDir = (dataDir: string, appId: string) => path.join(dataDir, "frontends", appId);
export const deployArchiveDir = (dataDir: string, appId: string) => path.join(dataDir, "deploys", appId);

/** The entry points a backend may have, in the order spec §0 tries them. */
export const ENTRY_POINTS = ["index.ts", "index.js", "main.ts", "main.js", "src/index.ts", "src/index.js"] as const;

/** The first entry point that exists as a regular file in `dir`, or undefined (an app without a backend). */
export function entryPoint(dir: string): string | undefined {
  for (const candidate of ENTRY_POINTS) {
    const file = path.join(dir, candidate);
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return undefined;
}
