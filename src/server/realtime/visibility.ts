import type { Principal } from "../auth/principal.ts";
import type { EntityModel } from "../apps/registry.ts";
import type { Core } from "../core.ts";
import { compileWhere, Params } from "../data/where.ts";
import type { RealtimeEvent } from "./schema.ts";
import type { ChangeRow } from "./sql.ts";

/** Subscribers that see the same rows: the same permissions and the same where. One query serves them all. */
export interface VisibilityGroup {
  /** Any member: the claims name it, the permissions are the group's. */
  principal: Principal;
  permissions: string[];
  where: Record<string, unknown> | undefined;
}

interface Answer {
  can: boolean;
  cur: { id: string; in: boolean; record: Record<string, unknown> | null }[];
  was: (number | string)[];
}

/** Interactive reads get 8 s (spec §2.6); a delivery query is one of them. */
const STATEMENT_TIMEOUT_MS = 8_000;

/**
 * One governed statement decides, for a batch of one table's changes, what a group may see: the rows as they
 * are now, read through the table's row-level security and the group's where (the same statement a read
 * runs), and which previous images matched the where (`was`: an update that leaves the view is then a
 * delete). The previous images are gone from the table, so for them the statement asks the key the table's
 * read policy asks (check_access, migration 0004): the same rule, applied to the row as it was.
 */
export function visibilityStatement(entity: EntityModel, group: VisibilityGroup, changes: readonly ChangeRow[]): { sql: string; params: unknown[] } {
  const params = new Params();
  const readKey = params.add(`app:${entity.appId}:${entity.name}.read`);
  const ids = params.add(`{${[...new Set(changes.map((c) => c.record_id))].join(",")}}`);
  const olds = params.add(`[${changes.filter((c) => c.old_record !== null).map((c) => `{"seq":${c.seq},"old":${c.old_record}}`).join(",")}]`);
  const where = group.where === undefined ? "TRUE" : compileWhere(entity, group.where, params);
  const sql = `SELECT json_build_object(
    'can', rootcx_system.check_access(${readKey}),
    'cur', coalesce((SELECT json_agg(json_build_object('id', r.id, 'in', (${where}) IS TRUE, 'record', CASE WHEN (${where}) IS TRUE THEN to_json(r) END))
                     FROM ${entity.table} r WHERE r.id = ANY(${ids}::uuid[])), '[]'::json),
    'was', coalesce((SELECT json_agg(x.seq) FROM jsonb_to_recordset(${olds}::jsonb) AS x(seq bigint, old jsonb)
                     WHERE EXISTS (SELECT 1 FROM jsonb_populate_record(NULL::${entity.table}, x.old) AS o WHERE ${where})), '[]'::json)
  )::text AS json`;
  return { sql, params: params.values };
}

/** The events a group receives for a batch of one table's changes, in commit order. */
export async function eventsFor(core: Core, entity: EntityModel, group: VisibilityGroup, changes: readonly ChangeRow[]): Promise<{ seq: number; event: RealtimeEvent }[]> {
  const { sql, params } = visibilityStatement(entity, group, changes);
  const { rows } = await core.governed.runOne<{ json: string }>(
    group.principal,
    // The group's permissions, pinned: every member holds exactly these now (they were grouped by them).
    { trigger: "realtime", readOnly: true, statementTimeoutMs: STATEMENT_TIMEOUT_MS, delegated: { permissions: group.permissions, delegatorUid: group.principal.userId } },
    sql,
    params,
  );
  const answer = JSON.parse(rows[0]!.json) as Answer;
  if (!answer.can) return [];
  return decide(changes, answer);
}

/**
 * Turns what the group may see into events. `record` is the row now (a change read later than it committed
 * shows the newest state); an update whose row has since been deleted sends nothing, its delete follows.
 */
function decide(changes: readonly ChangeRow[], answer: Answer): { seq: number; event: RealtimeEvent }[] {
  const now = new Map(answer.cur.map((c) => [c.id, c]));
  const was = new Set(answer.was.map(Number));
  const out: { seq: number; event: RealtimeEvent }[] = [];
  for (const c of changes) {
    const current = now.get(c.record_id);
    const wasIn = was.has(c.seq);
    const old = wasIn && c.old_record !== null ? (JSON.parse(c.old_record) as Record<string, unknown>) : undefined;
    const base = { id: c.record_id, at: c.at };
    let event: RealtimeEvent | undefined;
    if (c.op === "insert") {
      if (current?.in) event = { op: "insert", ...base, record: current.record! };
    } else if (c.op === "update") {
      if (current?.in) event = wasIn ? { op: "update", ...base, record: current.record!, old } : { op: "insert", ...base, record: current.record! };
      else if (current && wasIn) event = { op: "delete", ...base, old };
    } else if (wasIn) {
      event = { op: "delete", ...base, old };
    }
    if (event) out.push({ seq: c.seq, event });
  }
  return out;
}
