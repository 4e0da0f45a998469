import { z } from "zod";
import type { Principal } from "../../auth/principal.ts";
import { defineRoute } from "../../http/define-route.ts";
import type { RestRequest, RestRoute } from "../../http/types.ts";
import * as bucketsService from "./buckets-service.ts";
import { bucketName } from "./names.ts";
import * as objects from "./objects-service.ts";
import { breadcrumbDto, bucketDto, createBucketInput, createFolderInput, deletedDto, objectDto, objectId, PLATFORM_MAX_FILE_SIZE, updateObjectInput } from "./schema.ts";
import { signedQuery, signedUrlInput, urlDto } from "../schema.ts";
import { sendStoredFile } from "../send-file.ts";
import { withHead } from "../head-routes.ts";
import { asStoredFile, signedObject, signObjectUrl } from "./signed-objects.ts";
import { uploadObject } from "./upload.ts";

const tags = ["storage"];
const bucketParams = z.object({ bucket: bucketName });
const objectParams = z.object({ bucket: bucketName, id: objectId });
const download = {
  200: { mediaType: "application/octet-stream", description: "the file (Content-Disposition: attachment; nosniff; ETag: its SHA-256)" },
  206: { mediaType: "application/octet-stream", description: "one byte range" },
};
const listQuery = z.object({ parent_id: z.union([z.literal(""), objectId], { error: "parent_id: object ids are UUIDs" }).optional() });

/**
 * Reads of a public bucket need no token: the caller is anonymous unless it sends one, and a token it sends
 * must be valid (401), never quietly ignored.
 */
const optionalCaller = (req: RestRequest): Promise<Principal | null> => (req.raw.headers.authorization ? req.principal() : Promise.resolve(null));

export const bucketRoutes: RestRoute[] = [
  defineRoute({
    method: "GET",
    path: "/storage/buckets",
    docs: { summary: "Buckets the caller may read, and every public one", tags, responses: { 200: z.array(bucketDto) } },
    handler: async ({ core, principal }) => ({ body: await bucketsService.listBuckets(core, await principal()) }),
  }),
  defineRoute({
    method: "POST",
    path: "/storage/buckets",
    schemas: { body: createBucketInput },
    docs: { summary: "Create a bucket (storage:admin or storage:{name}:admin)", tags, responses: { 201: bucketDto } },
    handler: async ({ core, principal, input }) => ({ status: 201, body: await bucketsService.createBucket(core, await principal(), input.body) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/storage/buckets/:name",
    schemas: { params: z.object({ name: bucketName }) },
    docs: { summary: "Delete an empty bucket (not default)", tags, responses: { 200: deletedDto } },
    handler: async ({ core, principal, input }) => ({ body: await bucketsService.deleteBucket(core, await principal(), input.params.name) }),
  }),
  defineRoute({
    method: "GET",
    path: "/storage/objects/:bucket",
    schemas: { params: bucketParams, query: listQuery },
    docs: { summary: "List a folder (parent_id) or the bucket's root; public buckets need no token", tags, auth: "optional", responses: { 200: z.array(objectDto) } },
    handler: async (req) => ({ body: await objects.listObjects(req.core, await optionalCaller(req), req.input.params.bucket, req.input.query.parent_id || null) }),
  }),
  defineRoute({
    method: "POST",
    path: "/storage/objects/:bucket",
    schemas: { params: bucketParams, body: createFolderInput },
    docs: { summary: "Create a folder", tags, responses: { 201: objectDto } },
    handler: async ({ core, principal, input }) => ({ status: 201, body: await objects.createFolder(core, await principal(), input.params.bucket, input.body) }),
  }),
  defineRoute({
    method: "POST",
    path: "/storage/objects/:bucket/upload",
    body: "raw",
    // The upload reads its own body against the bucket's limit; this is the platform's ceiling plus framing.
    bodyLimit: PLATFORM_MAX_FILE_SIZE + 64 * 1024,
    schemas: { params: bucketParams },
    docs: {
      summary: "Upload one file (multipart; optional parent_id field)",
      tags,
      requestBody: { mediaType: "multipart/form-data", fileField: "file", description: "the first file part is stored (any field name); an optional parent_id field names the folder" },
      responses: { 201: objectDto },
    },
    handler: async ({ core, principal, input, raw }) => ({ status: 201, body: await uploadObject(core, await principal(), input.params.bucket, raw) }),
  }),
  ...withHead(
    defineRoute({
      method: "GET",
      path: "/storage/objects/:bucket/:id",
      schemas: { params: objectParams },
      docs: { summary: "Download a file (Range requests; If-None-Match); public buckets need no token", tags, auth: "optional", responses: download },
      handler: async (req) => sendStoredFile(req.core, req.raw, asStoredFile(await objects.fileFor(req.core, await optionalCaller(req), req.input.params.bucket, req.input.params.id))),
    }),
  ),
  defineRoute({
    method: "POST",
    path: "/storage/objects/:bucket/:id/signed-url",
    schemas: { params: objectParams, body: signedUrlInput.optional() },
    docs: { summary: "A URL that downloads the file without a token until it expires (1 s to 7 days, default 1 h)", tags, responses: { 200: urlDto } },
    handler: async ({ core, principal, input }) => ({
      body: await signObjectUrl(core, await principal(), input.params.bucket, input.params.id, input.body?.expiresInSeconds ?? 3600),
    }),
  }),
  ...withHead(
    defineRoute({
      method: "GET",
      path: "/storage/objects/:bucket/:id/signed",
      schemas: { params: objectParams, query: signedQuery },
      docs: { summary: "Download through a signed URL (no token; refused once expired or after a key rotation)", tags, auth: "none", responses: download },
      handler: async ({ core, raw, input }) =>
        sendStoredFile(core, raw, await signedObject(core, input.params.bucket, input.params.id, input.query.expires, input.query.signature)),
    }),
  ),
  defineRoute({
    method: "PATCH",
    path: "/storage/objects/:bucket/:id",
    schemas: { params: objectParams, body: updateObjectInput },
    docs: { summary: "Rename and/or move an object (never a folder into its own subtree)", tags, responses: { 200: objectDto } },
    handler: async ({ core, principal, input }) => ({ body: await objects.updateObject(core, await principal(), input.params.bucket, input.params.id, input.body) }),
  }),
  defineRoute({
    method: "DELETE",
    path: "/storage/objects/:bucket/:id",
    schemas: { params: objectParams },
    docs: { summary: "Delete an object; a folder with everything in it", tags, responses: { 200: deletedDto } },
    handler: async ({ core, principal, input }) => ({ body: await objects.deleteObject(core, await principal(), input.params.bucket, input.params.id) }),
  }),
  defineRoute({
    method: "GET",
    path: "/storage/objects/:bucket/:id/ancestors",
    schemas: { params: objectParams },
    docs: { summary: "Breadcrumb from the bucket's root to the object; public buckets need no token", tags, auth: "optional", responses: { 200: breadcrumbDto } },
    handler: async (req) => ({ body: await objects.ancestors(req.core, await optionalCaller(req), req.input.params.bucket, req.input.params.id) }),
  }),
];

