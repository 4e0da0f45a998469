import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { Queryable } from "../db/queryable.ts";

export const archiveFile = z.object({ name: z.string(), bytes: z.number().int(), modified_at: z.string() });

export const archiveStatus = z.object({
  /** ROOTCX_AUDIT_RETENTION_DAYS, or null when rows are only archived by hand. */
  retention_days: z.number().int().nullable(),
  /** The newest retention run the log still records (its ARCHIVE row), scheduled or asked for. */
  last_run: z
    .object({
      at: z.string(),
      removed: z.number().int(),
      through_id: z.string().nullable(),
      archive_file: z.string().nullable(),
      actor_uid: z.string().nullable(),
      trigger: z.string().nullable(),
    })
    .nullable(),
  /** Verification of the chain starts after this row: everything up to it has been archived. */
  archived_through_id: z.string().nullable(),
  /** The JSONL files in the archive directory, oldest rows first. */
  files: z.array(archiveFile),
});

export type ArchiveStatus = z.infer<typeof archiveStatus>;

const LAST_RUN_SQL = `
  SELECT to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at,
         coalesce((new_record->>'removed')::int, 0) AS removed, new_record->>'through_id' AS through_id,
         new_record->>'archive_file' AS archive_file, actor_uid::text AS actor_uid, trigger_ref AS trigger
    FROM rootcx_system.audit_log
   WHERE operation = 'ARCHIVE'
   ORDER BY id DESC
   LIMIT 1`;

/** What retention has done: read from the log itself and the archive directory, never from memory. */
export async function readArchiveStatus(db: Queryable, archiveDir: string, retentionDays: number | undefined): Promise<ArchiveStatus> {
  const [lastRun, anchor, files] = await Promise.all([
    db.query<NonNullable<ArchiveStatus["last_run"]>>(LAST_RUN_SQL),
    db.query<{ after_id: string | null }>("SELECT nullif(after_id, 0)::text AS after_id FROM rootcx_system.audit_anchor WHERE id = 1"),
    listArchiveFiles(archiveDir),
  ]);
  return {
    retention_days: retentionDays ?? null,
    last_run: lastRun.rows[0] ?? null,
    archived_through_id: anchor.rows[0]?.after_id ?? null,
    files,
  };
}

const FILE_NAME = /^audit-(\d+)-(\d+)\.jsonl$/;

async function listArchiveFiles(dir: string): Promise<ArchiveStatus["files"]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    // No run has written a file yet: the directory is made by the first one.
    if (err.code === "ENOENT") return [];
    throw err;
  });
  const archives = names.filter((n) => FILE_NAME.test(n));
  const files = await Promise.all(
    archives.map(async (name) => {
      const s = await stat(path.join(dir, name));
      return { name, bytes: s.size, modified_at: s.mtime.toISOString() };
    }),
  );
  // By first row id, numerically: names sort as text otherwise (audit-10-… before audit-9-…).
  return files.sort((a, b) => Number(BigInt(FILE_NAME.exec(a.name)![1]!) - BigInt(FILE_NAME.exec(b.name)![1]!)));
}
