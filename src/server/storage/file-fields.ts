import type { EntityModel } from "../apps/registry.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import type { SqlValue } from "../data/values.ts";
import { missingAppFiles } from "./app-files-sql.ts";

/**
 * Manifest fields of type `file` hold the id of one of the app's files (POST /apps/{id}/storage/upload). A value
 * that names no file of the app is a 400 naming the field, checked in one query per write. It is a check at write
 * time, not a foreign key: deleting the file later leaves the id in place (as the original does), and the column
 * stays text so that existing rows and manifests keep their meaning.
 */
/** `bulk`: the rows of a bulk create, named `record i` in the refusal as the Data API names them. */
export async function checkFileFields(core: Core, entity: EntityModel, rows: readonly Record<string, SqlValue>[], bulk = false): Promise<void> {
  const fileColumns = [...entity.columns].filter(([, type]) => type === "file").map(([name]) => name);
  if (fileColumns.length === 0) return;
  const uses: { row: number; column: string; id: string }[] = [];
  rows.forEach((row, i) => {
    for (const column of fileColumns) {
      const v = row[column];
      if (typeof v === "string") uses.push({ row: i, column, id: v });
    }
  });
  if (uses.length === 0) return;
  const where = (u: { row: number; column: string }) => (bulk ? `record ${u.row}, field "${u.column}"` : `field "${u.column}"`);
  // Ids compare as uuid values, so an upper-case spelling would name the file yet be stored as another string:
  // only the canonical lower-case form is taken.
  const upper = uses.find((u) => u.id !== u.id.toLowerCase());
  if (upper) throw new CoreError("BAD_REQUEST", `${where(upper)}: file ids are lower-case UUIDs (${JSON.stringify(upper.id.slice(0, 100))} is not)`);
  const missing = new Set(await missingAppFiles(core.db.pool, entity.appId, [...new Set(uses.map((u) => u.id))]));
  const bad = uses.find((u) => missing.has(u.id));
  if (!bad) return;
  throw new CoreError("BAD_REQUEST", `${where(bad)}: ${JSON.stringify(bad.id.slice(0, 100))} is not a file of app ${entity.appId} (upload it with POST /apps/${entity.appId}/storage/upload)`);
}
