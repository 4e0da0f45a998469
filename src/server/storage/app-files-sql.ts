import type { Queryable } from "../db/queryable.ts";

/** An app file as stored (rootcx_system.app_files). */
export interface AppFileRow {
  id: string;
  app_id: string;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  blob_id: string;
  uploaded_by: string | null;
  created_at: Date;
}

const COLUMNS = "id, app_id, name, content_type, size::float8 AS size, sha256, blob_id, uploaded_by, created_at";

export async function insertAppFile(
  db: Queryable,
  f: { appId: string; name: string; contentType: string; size: number; sha256: string; blobId: string; uploadedBy: string | null },
): Promise<AppFileRow> {
  const { rows } = await db.query<AppFileRow>(
    `INSERT INTO rootcx_system.app_files (app_id, name, content_type, size, sha256, blob_id, uploaded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [f.appId, f.name, f.contentType, f.size, f.sha256, f.blobId, f.uploadedBy],
  );
  return rows[0]!;
}

export async function findAppFile(db: Queryable, appId: string, fileId: string): Promise<AppFileRow | undefined> {
  const { rows } = await db.query<AppFileRow>(`SELECT ${COLUMNS} FROM rootcx_system.app_files WHERE app_id = $1 AND id = $2`, [appId, fileId]);
  return rows[0];
}

/** Deletes the file row; its blob and chunks go with it (trigger). */
export async function deleteAppFile(db: Queryable, appId: string, fileId: string): Promise<boolean> {
  const { rowCount } = await db.query("DELETE FROM rootcx_system.app_files WHERE app_id = $1 AND id = $2", [appId, fileId]);
  return (rowCount ?? 0) > 0;
}

/** Which of `ids` are not files of the app (the Data API's check of `file` fields). */
export async function missingAppFiles(db: Queryable, appId: string, ids: string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT x.id FROM unnest($2::text[]) AS x(id)
     WHERE NOT EXISTS (SELECT 1 FROM rootcx_system.app_files f WHERE f.app_id = $1 AND f.id::text = lower(x.id))`,
    [appId, ids],
  );
  return rows.map((r) => r.id);
}

export async function appExists(db: Queryable, appId: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM rootcx_system.apps WHERE id = $1", [appId]);
  return rows.length > 0;
}
