import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type pg from "pg";
import { withTransaction } from "../db/queryable.ts";

export interface ArchiveResult {
  removed: number;
  throughId: string | null;
  archiveFile: string | null;
}

/**
 * The documented retention procedure. Under the chain's lock: the longest prefix (by id) of rows older than
 * `before` are written to `<archiveDir>/audit-<first>-<last>.jsonl`, the chain's anchor moves to the last
 * of them (so verification continues from there), they are deleted, and an ARCHIVE row recording the
 * operation is appended to the log itself, naming who asked (the claims `actor` signs into the transaction).
 * A run that finds nothing to remove is recorded too when `recordEmpty` (a run someone asked for).
 */
export async function archiveAuditLog(
  pool: pg.Pool,
  opts: { before: Date; archiveDir: string; requestedBy: string | null; actor?: (tx: pg.PoolClient) => Promise<void>; recordEmpty?: boolean },
): Promise<ArchiveResult> {
  return withTransaction(pool, async (tx) => {
    await opts.actor?.(tx);
    await tx.query("SELECT pg_advisory_xact_lock(7367617)");
    // Rows join the chain at commit but keep the time of their change, so a long transaction's rows may follow
    // younger ones: the prefix ends before the first row that is not older than `before`.
    const last = (
      await tx.query<{ id: string | null }>(
        `SELECT max(id)::text AS id FROM rootcx_system.audit_log
          WHERE id < coalesce((SELECT min(id) FROM rootcx_system.audit_log WHERE changed_at >= $1), 9223372036854775807)`,
        [opts.before],
      )
    ).rows[0]?.id ?? null;
    if (!last) {
      if (opts.recordEmpty) {
        await tx.query("SELECT rootcx_system.audit_append('rootcx_system', 'audit_log', NULL, 'ARCHIVE', NULL, $1)", [
          { removed: 0, through_id: null, archive_file: null, before: opts.before.toISOString(), requested_by: opts.requestedBy },
        ]);
      }
      return { removed: 0, throughId: null, archiveFile: null };
    }
    const { rows } = await tx.query("SELECT * FROM rootcx_system.audit_log WHERE id <= $1 ORDER BY id", [last]);
    mkdirSync(opts.archiveDir, { recursive: true, mode: 0o700 });
    const file = path.join(opts.archiveDir, `audit-${rows[0].id}-${last}.jsonl`);
    // Written before the rows go: a failure here rolls the whole archive back.
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n", { mode: 0o600, flag: "wx" });
    const lastHash = rows[rows.length - 1].hash as string;
    await tx.query("UPDATE rootcx_system.audit_anchor SET after_id = $1, hash = $2, updated_at = now() WHERE id = 1", [last, lastHash]);
    await tx.query("SET LOCAL rootcx.audit_retention = 'on'");
    await tx.query("DELETE FROM rootcx_system.audit_log WHERE id <= $1", [last]);
    await tx.query("SET LOCAL rootcx.audit_retention = 'off'");
    await tx.query("SELECT rootcx_system.audit_append('rootcx_system', 'audit_log', NULL, 'ARCHIVE', NULL, $1)", [
      { removed: rows.length, through_id: last, anchor_hash: lastHash, archive_file: path.basename(file), before: opts.before.toISOString(), requested_by: opts.requestedBy },
    ]);
    return { removed: rows.length, throughId: last, archiveFile: file };
  });
}
