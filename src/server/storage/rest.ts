import { defineRoute } from "../http/define-route.ts";
import type { RestRoute } from "../http/types.ts";
import * as files from "./app-files.ts";
import { MULTIPART_SLACK } from "./multipart.ts";
import { appFileDto, appFileParams, deletedDto, fileParams, nonceParams, rotatedDto, signedQuery, signedUrlInput, urlDto } from "./schema.ts";
import { sendStoredFile } from "./send-file.ts";
import { withHead } from "./head-routes.ts";
import { rotateSigningKey } from "./signed-url.ts";

const tags = ["storage"];
const download = { 200: { mediaType: "application/octet-stream", description: "the file (Content-Disposition: attachment; ETag: its SHA-256)" }, 206: { mediaType: "application/octet-stream", description: "one byte range" } };
const asStored = (f: { name: string; content_type: string; size: number; sha256: string; blob_id: string }) => ({ name: f.name, contentType: f.content_type, size: f.size, sha256: f.sha256, blobId: f.blob_id });

/** App files (docs/STORAGE.md): uploads, downloads, nonces for workers and agents, signed URLs. */
export const storageRoutes: RestRoute[] = [
  defineRoute({
    method: "POST",
    path: "/apps/:appId/storage/upload",
    body: "raw",
    bodyLimit: files.APP_FILE_MAX_BYTES + MULTIPART_SLACK,
    schemas: { params: appFileParams },
    docs: { summary: "Upload a file to an app (multipart, the first file part, 50 MiB; a create or update permission of the app)", tags, requestBody: { mediaType: "multipart/form-data", fileField: "file", description: "the first file part is stored; its filename is the file's name" }, responses: { 201: appFileDto } },
    handler: async ({ core, principal, input, raw }) => ({ status: 201, body: await files.uploadAppFile(core, await principal(), input.params.appId, raw) }),
  }),
  ...withHead(
    defineRoute({
      method: "GET",
      path: "/apps/:appId/storage/:fileId",
      schemas: { params: fileParams },
      docs: { summary: "Download an app's file (a read permission of the app; Range requests)", tags, responses: download },
      handler: async ({ core, principal, input, raw }) => sendStoredFile(core, raw, asStored(await files.getAppFile(core, await principal(), input.params.appId, input.params.fileId))),
    }),
  ),
  defineRoute({
    method: "DELETE",
    path: "/apps/:appId/storage/:fileId",
    schemas: { params: fileParams },
    docs: { summary: "Delete an app's file (its uploader or an app administrator)", tags, responses: { 200: deletedDto } },
    handler: async ({ core, principal, input }) => ({ body: await files.deleteAppFile(core, await principal(), input.params.appId, input.params.fileId) }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/storage/:fileId/signed-url",
    schemas: { params: fileParams, body: signedUrlInput.optional() },
    docs: { summary: "A signed URL that downloads the file without a token until it expires (1 s to 7 days, default 1 h)", tags, responses: { 200: urlDto } },
    handler: async ({ core, principal, input }) => ({
      body: await files.signAppFileUrl(core, await principal(), input.params.appId, input.params.fileId, input.body?.expiresInSeconds ?? 3600),
    }),
  }),
  ...withHead(
    defineRoute({
      method: "GET",
      path: "/apps/:appId/storage/:fileId/signed",
      schemas: { params: fileParams, query: signedQuery },
      docs: { summary: "Download through a signed URL (no token; refused once expired or after a key rotation)", tags, auth: "none", responses: download },
      handler: async ({ core, input, raw }) =>
        sendStoredFile(core, raw, asStored(await files.signedAppFile(core, input.params.appId, input.params.fileId, input.query.expires, input.query.signature))),
    }),
  ),
  defineRoute({
    method: "POST",
    path: "/apps/:appId/storage/:fileId/download-url",
    schemas: { params: fileParams },
    docs: { summary: "A single-use download URL (300 s) for a program without a token (agents, workers)", tags, requestBody: "none", responses: { 200: urlDto } },
    handler: async ({ core, principal, input }) => ({ body: await files.mintAppFileDownload(core, await principal(), input.params.appId, input.params.fileId) }),
  }),
  defineRoute({
    method: "POST",
    path: "/storage/upload/:nonce",
    body: "raw",
    bodyLimit: files.APP_FILE_MAX_BYTES,
    schemas: { params: nonceParams },
    docs: { summary: "Upload the raw body as the file a worker announced (single-use nonce, 60 s)", tags, auth: "none", requestBody: { mediaType: "application/octet-stream", description: "the file's bytes, at most the size announced" }, responses: { 201: appFileDto } },
    handler: async ({ core, input, raw }) => ({ status: 201, body: await files.uploadWithNonce(core, input.params.nonce, raw) }),
  }),
  defineRoute({
    method: "GET",
    path: "/storage/download/:nonce",
    schemas: { params: nonceParams },
    docs: { summary: "Download the file of a single-use download nonce (300 s)", tags, auth: "none", responses: download },
    handler: async ({ core, input, raw }) => sendStoredFile(core, raw, asStored(await files.downloadWithNonce(core, input.params.nonce))),
  }),
  defineRoute({
    method: "HEAD",
    path: "/storage/download/:nonce",
    schemas: { params: nonceParams },
    docs: { summary: "Headers of a download nonce's file, no body; the nonce stays unspent", tags, auth: "none", responses: download },
    handler: async ({ core, input, raw }) => sendStoredFile(core, raw, asStored(await files.downloadWithNonce(core, input.params.nonce, false))),
  }),
  defineRoute({
    method: "POST",
    path: "/storage/signing-key/rotate",
    docs: { summary: "Replace the key of signed URLs: every URL signed so far stops working (admin, audited)", tags, requestBody: "none", responses: { 200: rotatedDto } },
    handler: async ({ core, principal }) => ({ body: await rotateSigningKey(core, await principal()) }),
  }),
];
