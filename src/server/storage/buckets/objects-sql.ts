import type { Queryable } from "../../db/queryable.ts";
import type { ObjectDto } from "./schema.ts";

const T = "rootcx_system.storage_objects";

const COLUMNS = `id, bucket, parent_id, name, is_folder, content_type, size::float8 AS size, sha256, created_by,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at`;

/** The unique constraint behind "one name per folder", so its violation can be told from others. */
export const NAME_PER_FOLDER = "storage_objects_name_per_folder";
/** The foreign key to the parent folder: its violation means the folder went away meanwhile. */
export const PARENT_FK = "storage_objects_parent";

export interface StoredObject extends ObjectDto {
  blob_id: string | null;
}

/** Folders first, then by name; at the root when `parentId` is null. */
export async function listChildren(db: Queryable, bucket: string, parentId: string | null): Promise<ObjectDto[]> {
  const where = parentId === null ? "parent_id IS NULL" : "parent_id = $2";
  const { rows } = await db.query<ObjectDto>(
    `SELECT ${COLUMNS} FROM ${T} WHERE bucket = $1 AND ${where} ORDER BY is_folder DESC, name`,
    parentId === null ? [bucket] : [bucket, parentId],
  );
  return rows;
}

export async function getObject(db: Queryable, bucket: string, id: string): Promise<StoredObject | undefined> {
  return (await db.query<StoredObject>(`SELECT ${COLUMNS}, blob_id FROM ${T} WHERE bucket = $1 AND id = $2`, [bucket, id])).rows[0];
}

export interface NewObject {
  bucket: string;
  parentId: string | null;
  name: string;
  createdBy: string;
  /** Absent for a folder. */
  file?: { blobId: string; contentType: string; size: number; sha256: string };
}

export async function insertObject(db: Queryable, o: NewObject): Promise<ObjectDto> {
  const { rows } = await db.query<ObjectDto>(
    `INSERT INTO ${T} (bucket, parent_id, name, is_folder, content_type, size, sha256, blob_id, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
    [o.bucket, o.parentId, o.name, !o.file, o.file?.contentType ?? null, o.file?.size ?? null, o.file?.sha256 ?? null, o.file?.blobId ?? null, o.createdBy],
  );
  return rows[0]!;
}

/** Whether `name` is taken in the folder (null: the root). A fast refusal before an upload streams; the constraint decides. */
export async function nameTaken(db: Queryable, bucket: string, parentId: string | null, name: string): Promise<boolean> {
  const where = parentId === null ? "parent_id IS NULL" : "parent_id = $3";
  const params = parentId === null ? [bucket, name] : [bucket, name, parentId];
  return !!(await db.query(`SELECT 1 FROM ${T} WHERE bucket = $1 AND name = $2 AND ${where}`, params)).rowCount;
}

/**
 * Whether `objectId` is `folderId` or one of its ancestors, i.e. whether moving `objectId` into `folderId` would
 * make a cycle. Walks up from the folder (CYCLE guards against a loop written by hand).
 */
export async function isSelfOrAncestor(db: Queryable, bucket: string, objectId: string, folderId: string): Promise<boolean> {
  const { rows } = await db.query<{ inside: boolean }>(
    `WITH RECURSIVE up (id, parent_id) AS (
       SELECT id, parent_id FROM ${T} WHERE bucket = $1 AND id = $2
       UNION ALL
       SELECT o.id, o.parent_id FROM ${T} o JOIN up ON o.bucket = $1 AND o.id = up.parent_id
     ) CYCLE id SET looped USING path
     SELECT EXISTS (SELECT 1 FROM up WHERE id = $3) AS inside`,
    [bucket, folderId, objectId],
  );
  return rows[0]!.inside;
}

export async function updateObject(db: Queryable, bucket: string, id: string, name: string, parentId: string | null): Promise<ObjectDto | undefined> {
  const { rows } = await db.query<ObjectDto>(
    `UPDATE ${T} SET name = $3, parent_id = $4, updated_at = now() WHERE bucket = $1 AND id = $2 RETURNING ${COLUMNS}`,
    [bucket, id, name, parentId],
  );
  return rows[0];
}

/** Deletes the object; its subtree goes by the parent foreign key's cascade, and every blob by the release trigger. */
export async function deleteObject(db: Queryable, bucket: string, id: string): Promise<boolean> {
  return !!(await db.query(`DELETE FROM ${T} WHERE bucket = $1 AND id = $2`, [bucket, id])).rowCount;
}

/** The path from the bucket's root down to the object, the object itself last. */
export async function ancestors(db: Queryable, bucket: string, id: string): Promise<{ id: string; name: string }[]> {
  const { rows } = await db.query<{ id: string; name: string }>(
    `WITH RECURSIVE up (id, parent_id, name, depth) AS (
       SELECT id, parent_id, name, 0 FROM ${T} WHERE bucket = $1 AND id = $2
       UNION ALL
       SELECT o.id, o.parent_id, o.name, up.depth + 1 FROM ${T} o JOIN up ON o.bucket = $1 AND o.id = up.parent_id
     ) CYCLE id SET looped USING path
     SELECT id, name FROM up WHERE NOT looped ORDER BY depth DESC`,
    [bucket, id],
  );
  return rows;
}
