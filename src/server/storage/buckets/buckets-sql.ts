import type { Queryable } from "../../db/queryable.ts";
import { STORAGE_ACTIONS } from "./access.ts";
import type { BucketDto, CreateBucketInput } from "./schema.ts";

const COLUMNS = `name, public, max_file_size::float8 AS max_file_size, allowed_types,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at`;

export async function listBuckets(db: Queryable): Promise<BucketDto[]> {
  return (await db.query<BucketDto>(`SELECT ${COLUMNS} FROM rootcx_system.storage_buckets ORDER BY name`)).rows;
}

/**
 * A bucket, or undefined. `lock`: "share" keeps it from being deleted until the transaction ends; "moves"
 * serialises the moves inside it (FOR NO KEY UPDATE does not block uploads' foreign-key checks, which take KEY
 * SHARE); "delete" takes it whole.
 */
export async function getBucket(db: Queryable, name: string, lock?: "share" | "moves" | "delete"): Promise<BucketDto | undefined> {
  const clause = lock === "share" ? " FOR KEY SHARE" : lock === "moves" ? " FOR NO KEY UPDATE" : lock === "delete" ? " FOR UPDATE" : "";
  return (await db.query<BucketDto>(`SELECT ${COLUMNS} FROM rootcx_system.storage_buckets WHERE name = $1${clause}`, [name])).rows[0];
}

/** Inserts the bucket and declares its four permission keys; undefined when the name is taken. */
export async function insertBucket(db: Queryable, input: CreateBucketInput): Promise<BucketDto | undefined> {
  const { rows } = await db.query<BucketDto>(
    `INSERT INTO rootcx_system.storage_buckets (name, public, max_file_size, allowed_types) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name) DO NOTHING RETURNING ${COLUMNS}`,
    [input.name, input.public ?? false, input.max_file_size ?? null, input.allowed_types ?? []],
  );
  if (!rows[0]) return undefined;
  await db.query(
    `INSERT INTO rootcx_system.rbac_permissions (key, description)
     SELECT 'storage:' || $1 || ':' || a, d || $1 FROM unnest($2::text[], $3::text[]) AS t(a, d)
     ON CONFLICT (key) DO NOTHING`,
    [input.name, [...STORAGE_ACTIONS], STORAGE_ACTIONS.map((a) => KEY_DESCRIPTION[a])],
  );
  return rows[0];
}

const KEY_DESCRIPTION: Record<(typeof STORAGE_ACTIONS)[number], string> = {
  read: "List and download objects of the bucket ",
  write: "Upload, create folders, rename and move in the bucket ",
  delete: "Delete objects of the bucket ",
  admin: "Administer the bucket ",
};

export async function bucketIsEmpty(db: Queryable, name: string): Promise<boolean> {
  return !(await db.query("SELECT 1 FROM rootcx_system.storage_objects WHERE bucket = $1 LIMIT 1", [name])).rowCount;
}

/**
 * Deletes the bucket and withdraws its declared keys (roles that hold one keep it: it grants again if a bucket of
 * that name is created later, as an app's keys do on reinstall).
 */
export async function deleteBucket(db: Queryable, name: string): Promise<void> {
  await db.query("DELETE FROM rootcx_system.storage_buckets WHERE name = $1", [name]);
  await db.query("DELETE FROM rootcx_system.rbac_permissions WHERE key = ANY ($1::text[])", [STORAGE_ACTIONS.map((a) => `storage:${name}:${a}`)]);
}
