import type { Queryable } from "../db/queryable.ts";

/** The channel realtime_link_fn (migration 0027) notifies with the last seq of each committing transaction. */
export const REALTIME_CHANNEL = "rootcx_realtime";

/** One committed change as the log holds it. */
export interface ChangeRow {
  seq: number;
  app_id: string;
  entity: string;
  record_id: string;
  op: "insert" | "update" | "delete";
  /** The row before the change, as JSON text (updates and deletes). */
  old_record: string | null;
  /** The row as the change left it, as JSON text (inserts and updates). */
  new_record: string | null;
  at: string;
}

const COLUMNS = `seq::float8 AS seq, app_id, entity, record_id::text AS record_id, op, old_record::text AS old_record, new_record::text AS new_record,
  to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at`;

/** Where this Core starts reading: the last committed seq (everything at or below it is already visible). */
export async function headSeq(db: Queryable): Promise<{ head: number; prunedThrough: number }> {
  const { rows } = await db.query<{ head: number; pruned: number }>(
    `SELECT coalesce((SELECT max(seq) FROM rootcx_system.realtime_changes), 0)::float8 AS head,
            (SELECT pruned_through FROM rootcx_system.realtime_state WHERE id = 1)::float8 AS pruned`,
  );
  const pruned = rows[0]?.pruned ?? 0;
  return { head: Math.max(rows[0]?.head ?? 0, pruned), prunedThrough: pruned };
}

/** The next changes after `after`, of every table, in commit order. */
export async function changesAfter(db: Queryable, after: number, limit: number): Promise<ChangeRow[]> {
  const { rows } = await db.query<ChangeRow>(`SELECT ${COLUMNS} FROM rootcx_system.realtime_changes WHERE seq > $1 ORDER BY seq LIMIT $2`, [after, limit]);
  return rows;
}

/** One table's changes in (after, upTo], for a subscriber catching up from its Last-Event-ID. */
export async function tableChanges(db: Queryable, appId: string, entity: string, after: number, upTo: number, limit: number): Promise<ChangeRow[]> {
  const { rows } = await db.query<ChangeRow>(
    `SELECT ${COLUMNS} FROM rootcx_system.realtime_changes WHERE seq > $1 AND seq <= $2 AND app_id = $3 AND entity = $4 ORDER BY seq LIMIT $5`,
    [after, upTo, appId, entity, limit],
  );
  return rows;
}

export async function prunedThrough(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ pruned: number }>("SELECT pruned_through::float8 AS pruned FROM rootcx_system.realtime_state WHERE id = 1");
  return rows[0]?.pruned ?? 0;
}

/** Drops changes older than the window and remembers the highest seq dropped (a resume from below it must resync). */
export async function prune(db: Queryable, windowMs: number): Promise<number> {
  const { rowCount } = await db.query(
    `WITH d AS (DELETE FROM rootcx_system.realtime_changes WHERE at < now() - make_interval(secs => $1::float8 / 1000) RETURNING seq)
     UPDATE rootcx_system.realtime_state SET pruned_through = greatest(pruned_through, (SELECT max(seq) FROM d))
     WHERE id = 1 AND EXISTS (SELECT 1 FROM d)`,
    [windowMs],
  );
  return rowCount ?? 0;
}

/** Installs the capture trigger on an entity table if it has none (tables installed before migration 0027). */
export async function ensureCapture(db: Queryable, table: string, appId: string, entity: string): Promise<void> {
  await db.query("SELECT rootcx_system.realtime_capture($1::regclass, $2, $3)", [table, appId, entity]);
}
