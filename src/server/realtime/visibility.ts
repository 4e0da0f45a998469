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
  /** Seqs whose new image the group sees (absent without a where: every image). */
  now?: (number | string)[];
  /** Seqs whose previous image the group saw. */
  was?: (number | string)[];
}

/** Interactive reads get 8 s (spec §2.6); a delivery query is one of them. */
const STATEMENT_TIMEOUT_MS = 8_000;

const images = (changes: readonly ChangeRow[], pick: (c: ChangeRow) => string | null) =>
  `[${changes.flatMap((c) => (pick(c) === null ? [] : [`{"seq":${c.seq},"img":${pick(c)}}`])).join(",")}]`;

/**
 * One governed statement decides, for a batch of one table's changes, what a group may see. The table's read
 * policy is a key check (`check_access('app:A:E.read')`, migration 0004): the statement asks it under the
 * group's claims, exactly as the policy does for a read. The where is /query's compiler over the entity's
 * columns, applied to each change's images (the row as the change left it, and as it was before), read back
 * into the table's row type — so each change is judged as it committed, even when delivery lags behind writes.
 * Without a where, every image matches and the statement is the key check alone.
 */
export function visibilityStatement(entity: EntityModel, group: VisibilityGroup, changes: readonly ChangeRow[]): { sql: string; params: unknown[] } {
  const params = new Params();
  const readKey = params.add(`app:${entity.appId}:${entity.name}.read`);
  if (group.where === undefined) return { sql: `SELECT json_build_object('can', rootcx_system.check_access(${readKey}))::text AS json`, params: params.values };
  const news = params.add(images(changes, (c) => c.new_record));
  const olds = params.add(images(changes, (c) => c.old_record));
  const where = compileWhere(entity, group.where, params);
  const matching = (list: string) =>
    `coalesce((SELECT json_agg(x.seq) FROM jsonb_to_recordset(${list}::jsonb) AS x(seq bigint, img jsonb)
       WHERE EXISTS (SELECT 1 FROM jsonb_populate_record(NULL::${entity.table}, x.img) AS o WHERE ${where})), '[]'::json)`;
  const sql = `SELECT CASE WHEN rootcx_system.check_access(${readKey})
      THEN json_build_object('can', true, 'now', ${matching(news)}, 'was', ${matching(olds)})
      ELSE json_build_object('can', false) END::text AS json`;
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

/** Turns what the group sees of each image into events: leaving its view is a delete, entering it an insert. */
function decide(changes: readonly ChangeRow[], answer: Answer): { seq: number; event: RealtimeEvent }[] {
  const now = answer.now === undefined ? undefined : new Set(answer.now.map(Number));
  const was = answer.was === undefined ? undefined : new Set(answer.was.map(Number));
  const out: { seq: number; event: RealtimeEvent }[] = [];
  for (const c of changes) {
    const isIn = c.new_record !== null && (now === undefined || now.has(c.seq));
    const wasIn = c.old_record !== null && (was === undefined || was.has(c.seq));
    const base = { id: c.record_id, at: c.at };
    const record = isIn ? (JSON.parse(c.new_record!) as Record<string, unknown>) : undefined;
    const old = wasIn ? (JSON.parse(c.old_record!) as Record<string, unknown>) : undefined;
    let event: RealtimeEvent | undefined;
    if (isIn && wasIn) event = { op: "update", ...base, record, old };
    else if (isIn) event = { op: "insert", ...base, record };
    else if (wasIn) event = { op: "delete", ...base, old };
    if (event) out.push({ seq: c.seq, event });
  }
  return out;
}
