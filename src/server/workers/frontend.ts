import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { withActor } from "../governance/actor.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { frontendDir } from "./app-files.ts";
import { checkFrontendEntry } from "./entry-check.ts";
import { lockDeploys } from "./migrations.ts";
import type { UploadedFile } from "./multipart.ts";
import { stageArchive, swapInto } from "./release.ts";

/**
 * POST /apps/{id}/frontend with the archive already received (and authorizeDeploy passed): same checks as a
 * backend archive, extracted to `<data>/frontends/{id}` by the same swap, served at `/apps/{id}/`.
 */
export async function deployFrontend(core: Core, principal: Principal, appId: string, upload: UploadedFile): Promise<{ message: string; url: string }> {
  const lock = await lockDeploys(core.db.pool, `${appId}.frontend`);
  try {
    const staged = await stageArchive(core.config.dataDir, upload.file, `${appId}-frontend`);
    try {
      checkFrontendEntry(staged.root);
      await swapInto(staged, frontendDir(core.config.dataDir, appId));
    } finally {
      await staged.dispose();
    }
  } finally {
    await lock.release();
  }
  await withActor(core, principal, (tx) => recordAdminEvent(tx, { action: "app.frontend", target: appId, after: { size: upload.size, sha256: upload.sha256 } }));
  core.log.info({ app: appId, size: upload.size, by: principal.userId }, "app frontend deployed");
  return { message: `frontend of app ${appId} deployed`, url: `/apps/${appId}/` };
}
