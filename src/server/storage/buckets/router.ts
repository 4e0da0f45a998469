import { z } from "zod";
import type { Principal } from "../../auth/principal.ts";
import { authedProcedure, publicProcedure, router, type TrpcContext } from "../../trpc/init.ts";
import * as bucketsService from "./buckets-service.ts";
import { bucketName, objectName } from "./names.ts";
import * as objects from "./objects-service.ts";
import { signObjectUrl } from "./signed-objects.ts";
import { breadcrumbDto, bucketDto, createBucketInput, createFolderInput, deletedDto, objectDto, objectId } from "./schema.ts";
import { signedUrlInput, urlDto } from "../schema.ts";

const inBucket = z.object({ bucket: bucketName });

/** As REST: reads of a public bucket need no token, but a token that is sent must be valid (401), never ignored. */
const optionalCaller = (ctx: TrpcContext): Promise<Principal | null> => (ctx.req.headers.authorization ? ctx.authenticate() : Promise.resolve(null));
const anObject = inBucket.extend({ id: objectId });

/** Platform storage for TypeScript clients and the Studio: the same services as /api/v1/storage (uploads and downloads stay REST). */
const bucketsRouter = router({
  list: authedProcedure.output(z.array(bucketDto)).query(({ ctx }) => bucketsService.listBuckets(ctx.core, ctx.principal)),
  create: authedProcedure.input(createBucketInput).output(bucketDto).mutation(({ ctx, input }) => bucketsService.createBucket(ctx.core, ctx.principal, input)),
  delete: authedProcedure.input(z.object({ name: bucketName })).output(deletedDto).mutation(({ ctx, input }) => bucketsService.deleteBucket(ctx.core, ctx.principal, input.name)),
});

const objectsRouter = router({
  list: publicProcedure
    .input(inBucket.extend({ parent_id: objectId.nullish() }))
    .output(z.array(objectDto))
    .query(async ({ ctx, input }) => objects.listObjects(ctx.core, await optionalCaller(ctx), input.bucket, input.parent_id ?? null)),
  createFolder: authedProcedure
    .input(inBucket.extend(createFolderInput.shape))
    .output(objectDto)
    .mutation(({ ctx, input }) => objects.createFolder(ctx.core, ctx.principal, input.bucket, { name: input.name, parent_id: input.parent_id })),
  rename: authedProcedure
    .input(anObject.extend({ name: objectName }))
    .output(objectDto)
    .mutation(({ ctx, input }) => objects.updateObject(ctx.core, ctx.principal, input.bucket, input.id, { name: input.name })),
  move: authedProcedure
    .input(anObject.extend({ parent_id: objectId.nullable() }))
    .output(objectDto)
    .mutation(({ ctx, input }) => objects.updateObject(ctx.core, ctx.principal, input.bucket, input.id, { parent_id: input.parent_id })),
  delete: authedProcedure.input(anObject).output(deletedDto).mutation(({ ctx, input }) => objects.deleteObject(ctx.core, ctx.principal, input.bucket, input.id)),
  ancestors: publicProcedure
    .input(anObject)
    .output(breadcrumbDto)
    .query(async ({ ctx, input }) => objects.ancestors(ctx.core, await optionalCaller(ctx), input.bucket, input.id)),
});

export const storageRouter = router({
  buckets: bucketsRouter,
  objects: objectsRouter,
  signedUrl: authedProcedure
    .input(anObject.extend(signedUrlInput.shape))
    .output(urlDto)
    .mutation(({ ctx, input }) => signObjectUrl(ctx.core, ctx.principal, input.bucket, input.id, input.expiresInSeconds)),
});
