import { rm } from "node:fs/promises";
import path from "node:path";
import { appDir, deployArchiveDir, frontendDir } from "./app-files.ts";
import { workerHomeRoot } from "./spawn.ts";

/** Uninstall, after its transaction committed: the backend, the frontend, the kept deploy archives and the workers' home go. */
export async function removeAppFiles(dataDir: string, appId: string): Promise<void> {
  for (const dir of [appDir(dataDir, appId), frontendDir(dataDir, appId), deployArchiveDir(dataDir, appId), path.join(workerHomeRoot(dataDir), appId)]) {
    await rm(dir, { recursive: true, force: true });
  }
}
