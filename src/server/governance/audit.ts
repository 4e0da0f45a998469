import type { Queryable } from "../db/queryable.ts";

export interface ChainReport {
  ok: boolean;
  checked: number;
  /** The first row whose hash or link does not hold, and why. */
  firstBroken?: { id: string; reason: "content altered" | "link broken (a row before it was removed, altered or reordered)" };
}

const BATCH = 5_000;

/**
 * Walks the audit chain from its anchor in id order: each row's hash must cover its content and the previous
 * row's hash. Reports the first row where that fails.
 */
export async function verifyAuditChain(db: Queryable): Promise<ChainReport> {
  const anchor = (await db.query<{ after_id: string; hash: string }>("SELECT after_id::text, hash FROM rootcx_system.audit_anchor WHERE id = 1")).rows[0]!;
  let prev = anchor.hash;
  let after = anchor.after_id;
  let checked = 0;
  for (;;) {
    const { rows } = await db.query<{ id: string; prev_hash: string; hash: string; expected: string }>(
      `SELECT a.id::text, a.prev_hash, a.hash, rootcx_system.audit_row_digest(a.prev_hash, a) AS expected
         FROM rootcx_system.audit_log a WHERE a.id > $1 ORDER BY a.id LIMIT ${BATCH}`,
      [after],
    );
    for (const r of rows) {
      if (r.prev_hash !== prev) return { ok: false, checked, firstBroken: { id: r.id, reason: "link broken (a row before it was removed, altered or reordered)" } };
      if (r.hash !== r.expected) return { ok: false, checked, firstBroken: { id: r.id, reason: "content altered" } };
      prev = r.hash;
      after = r.id;
      checked++;
    }
    if (rows.length < BATCH) return { ok: true, checked };
  }
}
