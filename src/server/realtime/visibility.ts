import type { Principal } from "../auth/principal.ts";
import type { EntityModel } from "../apps/registry.ts";
import type { Core } from "../core.ts";
import { compileWhere, Params } from "../data/where.ts";
import type { RealtimeEvent } from "./schema.ts";
import type { ChangeRow } from "./sql.ts";

/**
 * Subscribers that hold the same permissions: one statement serves them all, whatever their wheres. `wheres` are
 * the distinct filters among them (undefined: no filter).
 */
export interface VisibilityGroup {
  /** Any member: the claims name it, the permissions are the group's. */
  principal: Principal;
  permissions: string[];
  wheres: readonly (Record<string, unknown> | undefined)[];
}

interface Answer {
  can: boolean;
  /** Per where, in order: seqs whose new image it matches (null for no where: every image). */
  now?: ((number | string)[] | null)[];
  /** Per where: seqs whose previous image it matched. */
  was?: ((number | string)[] | null)[];
}

/** What one where of a group sees of a batch, ready to become events. */
export interface WhereAnswer {
  now: Set<number> | undefined;
  was: Set<number> | undefined;
}

/** Interactive reads get 8 s (spec §2.6); a delivery query is one of them. */
const STATEMENT_TIMEOUT_MS = 8_000;

const images = (changes: readonly ChangeRow[], pick: (c: ChangeRow) => string | null) =>
  `[${changes.flatMap((c) => (pick(c) === null ? [] : [`{"seq":${c.seq},"img":${pick(c)}}`])).join(",")}]`;

/**
 * One governed statement decides, for a batch of one table's changes, what a group may see under each of its
 * wheres. The table's read policy is a key check (`check_access('app:A:E.read')`, migration 0004): the statement
 * asks it under the group's claims, exactly as the policy does for a read. Each where is /query's compiler over
 * the entity's columns, applied to each change's images (the row as the change left it, and as it was before),
 * read back into the table's row type — so each change is judged as it committed, even when delivery lags behind
 * writes. The images are sent once for all the wheres: many filters of one permission set cost one round trip,
 * not one each. Without any where the statement is the key check alone.
 */
export function visibilityStatement(entity: EntityModel, group: VisibilityGroup, changes: readonly ChangeRow[]): { sql: string; params: unknown[] } {
  const params = new Params();
  const readKey = params.add(`app:${entity.appId}:${entity.name}.read`);
  if (group.wheres.every((w) => w === undefined)) return { sql: `SELECT json_build_object('can', rootcx_system.check_access(${readKey}))::text AS json`, params: params.values };
  const news = params.add(images(changes, (c) => c.new_record));
  const olds = params.add(images(changes, (c) => c.old_record));
  const compiled = group.wheres.map((w) => (w === undefined ? undefined : compileWhere(entity, w, params)));
  const matching = (list: string, where: string | undefined) =>
    where === undefined
      ? "NULL::json"
      : `coalesce((SELECT json_agg(x.seq) FROM jsonb_to_recordset(${list}::jsonb) AS x(seq bigint, img jsonb)
       WHERE EXISTS (SELECT 1 FROM jsonb_populate_record(NULL::${entity.table}, x.img) AS o WHERE ${where})), '[]'::json)`;
  const all = (list: string) => `json_build_array(${compiled.map((w) => matching(list, w)).join(", ")})`;
  const sql = `SELECT CASE WHEN rootcx_system.check_access(${readKey})
      THEN json_build_object('can', true, 'now', ${all(news)}, 'was', ${all(olds)})
      ELSE json_build_object('can', false) END::text AS json`;
  return { sql, params: params.values };
}

/**
 * What a group sees of a batch of one table's changes, per where (in the order of `group.wheres`), or undefined
 * when it may not read the entity at all.
 */
export async function answersFor(core: Core, entity: EntityModel, group: VisibilityGroup, changes: readonly ChangeRow[]): Promise<WhereAnswer[] | undefined> {
  const { sql, params } = visibilityStatement(entity, group, changes);
  const { rows } = await core.governed.runOne<{ json: string }>(
    group.principal,
    // The group's permissions, pinned: every member holds exactly these now (they were grouped by them).
    { trigger: "realtime", readOnly: true, statementTimeoutMs: STATEMENT_TIMEOUT_MS, delegated: { permissions: group.permissions, delegatorUid: group.principal.userId } },
    sql,
    params,
  );
  const answer = JSON.parse(rows[0]!.json) as Answer;
  if (!answer.can) return undefined;
  const toSet = (list: (number | string)[] | null | undefined) => (list === null || list === undefined ? undefined : new Set(list.map(Number)));
  return group.wheres.map((_, i) => ({ now: toSet(answer.now?.[i]), was: toSet(answer.was?.[i]) }));
}

/** The events one subscriber (its permissions, one where) receives for a batch of one table's changes. */
export async function eventsFor(core: Core, entity: EntityModel, group: { principal: Principal; permissions: string[]; where: Record<string, unknown> | undefined }, changes: readonly ChangeRow[]): Promise<{ seq: number; event: RealtimeEvent }[]> {
  const answers = await answersFor(core, entity, { principal: group.principal, permissions: group.permissions, wheres: [group.where] }, changes);
  return answers ? decide(changes, answers[0]!) : [];
}

/** Turns what the group sees of each image into events: leaving its view is a delete, entering it an insert. */
export function decide(changes: readonly ChangeRow[], { now, was }: WhereAnswer): { seq: number; event: RealtimeEvent }[] {
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
