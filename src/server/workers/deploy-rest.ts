import { z } from "zod";
import { defineRoute } from "../http/define-route.ts";
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

const appParams = z.object({ appId: z.string() });
const tags = ["deploy"];
const archive = { mediaType: "multipart/form-data", fileField: "archive", description: "A .tar.gz archive in the multipart field `archive` (50 MiB at most)" };

export const deployRoutes: RestRoute[] = [
  defineRoute({
    method: "POST",
    path: "/apps/:appId/deploy",
    body: "raw",
    bodyLimit: UPLOAD_BODY_LIMIT,
    schemas: { params: appParams },
    docs: {
      summary: "Deploy the app's backend code and (re)start its worker",
      tags,
      requestBody: archive,
      responses: {
        415: { description: "The body is not multipart/form-data with the archive in the field `archive`." },
        502: { description: "The app's worker could not be spawned or failed to start with the new code." },
      },
    },
    handler: async (req) => ({ body: await withArchive(req, async (appId, upload) => deployBackend(req.core, await req.principal(), appId, upload)) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/frontend",
    body: "raw",
    bodyLimit: UPLOAD_BODY_LIMIT,
    schemas: { params: appParams },
    docs: { summary: "Deploy the app's frontend (index.html at the archive's root)", tags, requestBody: archive },
    handler: async (req) => ({ body: await withArchive(req, async (appId, upload) => deployFrontend(req.core, await req.principal(), appId, upload)) }),
  }),
  defineRoute({
    method: "GET",
    path: "/apps/:appId/deploy/history",
    schemas: { params: appParams },
    docs: { summary: "The app's deployments, newest first", tags },
    handler: async ({ core, principal, input }) => ({ body: await deployHistory(core, await principal(), input.params.appId) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/deploy/rollback",
    schemas: { params: appParams },
    docs: { summary: "Go back to the previous backend deployment", tags, requestBody: "none" },
    handler: async ({ core, principal, input }) => ({ body: await rollback(core, await principal(), input.params.appId) }),
  }),
];
