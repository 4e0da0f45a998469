import type { Queryable } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";
import { PROBE_ROW, type Probe, type SchemaChange } from "./diff.ts";

/** What a change does to the rows the table holds now, counted against those rows. */
export interface Impact {
  /** Applying it loses or alters at least one existing value. */
  destructive: boolean;
  /** Existing rows make it fail: no flag can accept it. */
  blocking: boolean;
  affectedRows: number;
  sample: SampleRow[];
}

export interface SampleRow {
  id: string;
  value: string | null;
  becomes?: string | null;
}

const SAMPLE_ROWS = 5;
const SAMPLE_CHARS = 200;
export const NO_IMPACT: Impact = Object.freeze({ destructive: false, blocking: false, affectedRows: 0, sample: [] }) as Impact;

const clip = (expr: string) => `CASE WHEN length(${expr}) > ${SAMPLE_CHARS} THEN left(${expr}, ${SAMPLE_CHARS}) || '…' ELSE ${expr} END`;

function probeSql(p: Probe): string {
  return `WITH hit AS (
    SELECT ${PROBE_ROW}.id::text AS id, (${p.value ?? "NULL"})::text AS value, (${p.becomes ?? "NULL"})::text AS becomes
      FROM ${p.table} AS ${PROBE_ROW} WHERE ${p.where})
  SELECT (SELECT count(*) FROM hit)::int AS n,
    COALESCE((SELECT json_agg(json_build_object('id', id, 'value', ${clip("value")}${p.becomes ? `, 'becomes', ${clip("becomes")}` : ""}) ORDER BY id)
      FROM (SELECT * FROM hit ORDER BY id LIMIT ${SAMPLE_ROWS}) s), '[]') AS sample`;
}

/**
 * Runs each change's probe inside `tx` (a transaction the caller holds). A loss probe that fails stops
 * everything: an unknown count must never pass as zero. A blocking probe may name what the install has not
 * created yet (a check over a column added in the same install); it is skipped, and the apply reports the
 * failure if there is one.
 */
export async function measureImpact(tx: Queryable, changes: SchemaChange[], opts: { sample: boolean }): Promise<Map<SchemaChange, Impact>> {
  const impacts = new Map<SchemaChange, Impact>();
  const probed = changes.filter((c) => c.probe);
  if (!probed.length) return impacts;
  // The Core's role reads past row-level security; were it ever not to, this makes the count fail, not shrink.
  await tx.query("SELECT set_config('row_security', 'off', true)");
  try {
    for (const change of probed) {
      const probe = change.probe!;
      await tx.query("SAVEPOINT rootcx_probe");
      let row: { n: number; sample: SampleRow[] };
      try {
        const res = await tx.query<{ n: number; sample: SampleRow[] }>(probeSql(probe));
        row = res.rows[0]!;
        await tx.query("RELEASE SAVEPOINT rootcx_probe");
      } catch (err) {
        await tx.query("ROLLBACK TO SAVEPOINT rootcx_probe");
        if (probe.kind === "blocking") continue;
        throw new CoreError("INTERNAL", `could not count the rows ${describe(change)} would change`, { cause: err });
      }
      if (row.n === 0) continue;
      impacts.set(change, {
        destructive: probe.kind === "loss",
        blocking: probe.kind === "blocking",
        affectedRows: row.n,
        sample: opts.sample ? row.sample : [],
      });
    }
  } finally {
    await tx.query("SELECT set_config('row_security', 'on', true)");
  }
  return impacts;
}

export const describe = (c: SchemaChange) => `${c.change_type} on ${c.column ? `${c.entity}.${c.column}` : c.entity}`;

/** Refuses what existing rows block, and what loses data unless the request accepts it. */
export function assertAcceptable(changes: SchemaChange[], impacts: Map<SchemaChange, Impact>, allowDataLoss: boolean): void {
  const list = (kind: "blocking" | "destructive") =>
    changes.flatMap((c) => {
      const i = impacts.get(c);
      return i?.[kind] ? [`${describe(c)} (${c.detail}): ${i.affectedRows} row${i.affectedRows === 1 ? "" : "s"} — ${c.probe!.reason}`] : [];
    });
  const blocked = list("blocking");
  if (blocked.length) throw new CoreError("CONFLICT", `existing rows prevent this schema change: ${blocked.join("; ")}`);
  const lossy = list("destructive");
  if (lossy.length && !allowDataLoss) {
    throw new CoreError("CONFLICT", `this schema change would lose or alter existing data: ${lossy.join("; ")}. Nothing was changed; to accept the loss, install again with allowDataLoss=true`);
  }
}
