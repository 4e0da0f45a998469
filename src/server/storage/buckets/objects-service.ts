import type { Principal } from "../../auth/principal.ts";
import type { Core } from "../../core.ts";
import { withTransaction, type Queryable } from "../../db/queryable.ts";
import { CoreError, toCoreError } from "../../errors.ts";
import { mayInBucket, requireInBucket, type StorageAction } from "./access.ts";
import * as buckets from "./buckets-sql.ts";
import * as sql from "./objects-sql.ts";
import type { BucketDto, CreateFolderInput, ObjectDto, UpdateObjectInput } from "./schema.ts";

/**
 * The bucket, once the caller may do `action` in it. A public bucket is readable by anyone, without a token
 * (`caller` null); otherwise an anonymous caller is 401 whether or not the bucket exists, so it learns nothing.
 */
export async function bucketFor(core: Core, caller: Principal | null, name: string, action: StorageAction): Promise<BucketDto> {
  const bucket = await buckets.getBucket(core.db.pool, name);
  if (action === "read" && bucket?.public) return bucket;
  if (!caller) throw new CoreError("UNAUTHORIZED", "missing bearer token");
  await requireInBucket(core, caller, name, action);
  if (!bucket) throw new CoreError("NOT_FOUND", `bucket ${name} not found`);
  return bucket;
}

const objectNotFound = (bucket: string, id: string) => new CoreError("NOT_FOUND", `object ${id} not found in bucket ${bucket}`);

/** The folder `parentId` of the bucket (null: the root, always there); 404 when absent, 400 when it is a file. */
export async function requireFolder(db: Queryable, bucket: string, parentId: string | null): Promise<void> {
  if (parentId === null) return;
  const parent = await sql.getObject(db, bucket, parentId);
  if (!parent) throw new CoreError("NOT_FOUND", `folder ${parentId} not found in bucket ${bucket}`);
  if (!parent.is_folder) throw new CoreError("BAD_REQUEST", `${parent.name} is a file, not a folder`);
}

/** Turns the constraint violations a concurrent writer can cause into the answers they mean. */
export function objectWriteError(err: unknown, bucket: string, name: string, parentId: string | null): CoreError {
  const e = err as { code?: string; constraint?: string };
  if (e.code === "23505" && e.constraint === sql.NAME_PER_FOLDER) {
    return new CoreError("CONFLICT", `an object named ${JSON.stringify(name)} already exists in this folder`, { cause: err });
  }
  if (e.code === "23503" && e.constraint === sql.PARENT_FK) return new CoreError("NOT_FOUND", `folder ${parentId} not found in bucket ${bucket}`, { cause: err });
  if (e.code === "23503") return new CoreError("NOT_FOUND", `bucket ${bucket} not found`, { cause: err });
  return toCoreError(err);
}

/**
 * A folder's children. Who uploaded what is for the bucket's readers: a caller reading a public bucket without
 * holding its read permission (anonymous included) sees created_by as null.
 */
export async function listObjects(core: Core, caller: Principal | null, bucket: string, parentId: string | null): Promise<ObjectDto[]> {
  const found = await bucketFor(core, caller, bucket, "read");
  await requireFolder(core.db.pool, bucket, parentId);
  const children = await sql.listChildren(core.db.pool, bucket, parentId);
  const reader = !found.public || (caller !== null && (await mayInBucket(core, caller, bucket, "read")));
  return reader ? children : children.map((c) => ({ ...c, created_by: null }));
}

export async function createFolder(core: Core, principal: Principal, bucket: string, input: CreateFolderInput): Promise<ObjectDto> {
  await bucketFor(core, principal, bucket, "write");
  const parentId = input.parent_id ?? null;
  try {
    return await withTransaction(core.db.pool, async (tx) => {
      await requireFolder(tx, bucket, parentId);
      return sql.insertObject(tx, { bucket, parentId, name: input.name, createdBy: principal.userId });
    });
  } catch (err) {
    throw objectWriteError(err, bucket, input.name, parentId);
  }
}

/** A file's row, for a download or a signed link; 404 when absent, 400 for a folder. */
export async function fileFor(core: Core, caller: Principal | null, bucket: string, id: string): Promise<sql.StoredObject & { blob_id: string }> {
  await bucketFor(core, caller, bucket, "read");
  const object = await sql.getObject(core.db.pool, bucket, id);
  if (!object) throw objectNotFound(bucket, id);
  if (!object.blob_id) throw new CoreError("BAD_REQUEST", `${object.name} is a folder; only files can be downloaded`);
  return { ...object, blob_id: object.blob_id };
}

/**
 * Renames and/or moves an object. Moves in one bucket are serialised (a lock on the bucket's row that uploads do
 * not wait for), and the cycle check runs after the lock with a fresh snapshot, so two moves that would each be
 * fine alone but together make a loop (A into B while B goes into A) cannot both pass.
 */
export async function updateObject(core: Core, principal: Principal, bucket: string, id: string, input: UpdateObjectInput): Promise<ObjectDto> {
  await bucketFor(core, principal, bucket, "write");
  const moving = input.parent_id !== undefined;
  let name = input.name;
  let parentId = input.parent_id ?? null;
  try {
    return await withTransaction(core.db.pool, async (tx) => {
      if (moving && !(await buckets.getBucket(tx, bucket, "moves"))) throw new CoreError("NOT_FOUND", `bucket ${bucket} not found`);
      const object = await sql.getObject(tx, bucket, id);
      if (!object) throw objectNotFound(bucket, id);
      name ??= object.name;
      if (!moving) parentId = object.parent_id;
      if (moving && parentId !== null) {
        await requireFolder(tx, bucket, parentId);
        if (object.is_folder && (await sql.isSelfOrAncestor(tx, bucket, id, parentId))) {
          throw new CoreError("BAD_REQUEST", `cannot move the folder ${object.name} into itself or one of its own subfolders`);
        }
      }
      const updated = await sql.updateObject(tx, bucket, id, name, parentId);
      if (!updated) throw objectNotFound(bucket, id);
      return updated;
    });
  } catch (err) {
    throw objectWriteError(err, bucket, name ?? "", parentId);
  }
}

/** Deletes an object; a folder takes its whole subtree, and every file in it frees its blob. */
export async function deleteObject(core: Core, principal: Principal, bucket: string, id: string): Promise<{ deleted: true }> {
  await bucketFor(core, principal, bucket, "delete");
  if (!(await sql.deleteObject(core.db.pool, bucket, id))) throw objectNotFound(bucket, id);
  return { deleted: true };
}

/** The breadcrumb from the bucket's root to the object, the object last. */
export async function ancestors(core: Core, caller: Principal | null, bucket: string, id: string): Promise<{ id: string; name: string }[]> {
  await bucketFor(core, caller, bucket, "read");
  const path = await sql.ancestors(core.db.pool, bucket, id);
  if (path.length === 0) throw objectNotFound(bucket, id);
  return path;
}
