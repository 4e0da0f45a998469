import type { RestRequest, RestRoute } from "../http/types.ts";
import { UPLOAD_BODY_LIMIT } from "../http/types.ts";
import { authorizeDeploy, deployBackend, deployHistory, rollback } from "./deploy.ts";
import { deployFrontend } from "./frontend.ts";
import { receiveFile, type UploadedFile } from "./multipart.ts";

/** Authorizes first, then reads the multipart field `archive`; the temporary file goes whatever happens next. */
async function withArchive<T>(req: RestRequest, fn: (appId: string, upload: UploadedFile) => Promise<T>): Promise<T> {
  const principal = await req.principal();
  const appId = await authorizeDeploy(req.core, principal, req.params.appId ?? "");
  const upload = await receiveFile(req.raw, req.core.config.dataDir, "archive", UPLOAD_BODY_LIMIT);
  try {
    return await fn(appId, upload);
  } finally {
    await upload.dispose();
  }
}

export const deployRoutes: RestRoute[] = [
  {
    method: "POST",
    path: "/apps/:appId/deploy",
    body: "raw",
    bodyLimit: UPLOAD_BODY_LIMIT,
    handler: async (req) => ({ body: await withArchive(req, async (appId, upload) => deployBackend(req.core, await req.principal(), appId, upload)) }),
  },
  {
    method: "POST",
    path: "/apps/:appId/frontend",
    body: "raw",
    bodyLimit: UPLOAD_BODY_LIMIT,
    handler: async (req) => ({ body: await withArchive(req, async (appId, upload) => deployFrontend(req.core, await req.principal(), appId, upload)) }),
  },
  {
    method: "GET",
    path: "/apps/:appId/deploy/history",
    handler: async ({ core, principal, params }) => ({ body: await deployHistory(core, await principal(), params.appId ?? "") }),
  },
  {
    method: "POST",
    path: "/apps/:appId/deploy/rollback",
    handler: async ({ core, principal, params }) => ({ body: await rollback(core, await principal(), params.appId ?? "") }),
  },
];
