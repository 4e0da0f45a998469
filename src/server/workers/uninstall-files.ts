import { rm } from "node:fs/promises";
import { appDir, deployArchiveDir, frontendDir } from "./app-files.ts";

/** Uninstall, after its transaction committed: the backend, the frontend and the kept deploy archives go. */
export async function removeAppFiles(dataDir: string, appId: string): Promise<void> {
  for (const dir of [appDir(dataDir, appId), frontendDir(dataDir, appId), deployArchiveDir(dataDir, appId)]) {
    await rm(dir, { recursive: true, force: true });
  }
}
