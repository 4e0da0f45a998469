import type pg from "pg";
import { FIELD_TYPES, IDENTIFIER, type FieldType } from "../apps/manifest.ts";
import { quoteIdent, quoteLiteral } from "../apps/model.ts";
import type { EntityModel } from "../apps/registry.ts";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { holdsPermission } from "../governance/permissions.ts";
import { sourcesOfKind, type IdentitySource } from "./identity-sources.ts";
import type { QueryBody } from "./schema.ts";
import { bounded, boundedJson, STATEMENT_TIMEOUT_MS, type JsonText } from "./service.ts";
import { compileWhere, Params, WHERE_LIMITS } from "./where.ts";

const bad = (message: string): never => {
  throw new CoreError("BAD_REQUEST", message);
};
const shown = (name: string) => JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
const label = (s: IdentitySource) => `${s.entity.appId}.${s.entity.name}`;

/** The field names a where names (operators and values left out); its shape is compileWhere's to refuse. */
function fieldsOf(where: unknown, out: Set<string>, depth = 0): void {
  if (depth > WHERE_LIMITS.depth || out.size > WHERE_LIMITS.conditions || typeof where !== "object" || where === null || Array.isArray(where)) return;
  for (const [key, value] of Object.entries(where)) {
    if (key === "$and" || key === "$or") {
      if (Array.isArray(value)) for (const w of value) fieldsOf(w, out, depth + 1);
    } else if (key === "$not") fieldsOf(value, out, depth + 1);
    else if (!key.startsWith("$")) out.add(key);
  }
}

/**
 * The type every readable source agrees a field has. A source without the field reads it as NULL; sources whose
 * column types differ cannot be ordered or compared together, so such a field is refused, naming the sources
 * (all of them readable by the caller: a source it cannot read is never named).
 */
function agreedType(kind: string, sources: IdentitySource[], field: string): FieldType {
  const having = sources.filter((s) => s.entity.columns.has(field));
  if (having.length === 0) return bad(`unknown field ${shown(field)} for identity kind ${kind}: no source you may read has it`);
  const first = having[0]!.entity.columns.get(field)!;
  if (having.some((s) => FIELD_TYPES[s.entity.columns.get(field)!] !== FIELD_TYPES[first])) {
    const types = having.map((s) => `${label(s)}: ${FIELD_TYPES[s.entity.columns.get(field)!]}`).join(", ");
    bad(`field ${shown(field)} has different types across the sources of identity kind ${kind} (${types}); order and filter only by fields whose types agree`);
  }
  return first;
}

/** One source as a branch of the union: its id and sort key, filtered by the where; missing fields read as NULL. */
function branch(index: number, s: IdentitySource, fields: ReadonlyMap<string, FieldType>, kind: string, sortKey: string, where: unknown, params: Params): string {
  const missing = [...fields].filter(([name]) => !s.entity.columns.has(name));
  const nulls = missing.length ? ` CROSS JOIN LATERAL (SELECT ${missing.map(([name, type]) => `NULL::${FIELD_TYPES[type]} AS ${quoteIdent(name)}`).join(", ")}) m` : "";
  // The where is compiled over the agreed fields; its unqualified names find the table's column or the NULL above.
  const view: EntityModel = { ...s.entity, name: `of identity kind ${kind}`, columns: fields };
  const condition = where === undefined ? "TRUE" : compileWhere(view, where, params);
  return `SELECT ${index} AS s, r.id, ${quoteIdent(sortKey)} AS k FROM ${s.entity.table} r${nulls} WHERE ${condition}`;
}

/**
 * POST /federated/{identityKind}/query (spec §2.6): the union of every entity of every app that declares the kind,
 * each row with `_source: {app, entity}`, ordered by a field every source has with the same type (a source without
 * it sorts as NULL), paged, with the exact total. A source the caller may not read is left out before the statement
 * is built, so it neither contributes rows nor appears in any answer or refusal; the statement itself runs governed,
 * so row-level security still decides every row. One statement: a consistent snapshot of all sources.
 */
export async function federatedQuery(core: Core, principal: Principal, kind: string, body: QueryBody): Promise<JsonText> {
  if (!IDENTIFIER.test(kind)) bad(`invalid identity kind ${shown(kind)}: use a-z, 0-9 and _, starting with a letter`);
  if (body.linked !== undefined && body.linked !== false) bad("linked does not apply to a federated query: every entity of the identity kind is already in its answer");
  const orderBy = body.orderBy ?? "created_at";
  if (!IDENTIFIER.test(orderBy)) bad(`invalid orderBy ${shown(orderBy)}: a field name uses a-z, 0-9 and _`);
  const held = await core.auth.principals.permissions(principal.userId);
  const sources = (await sourcesOfKind(core, kind)).filter((s) => holdsPermission(held, `app:${s.entity.appId}:${s.entity.name}.read`));
  if (sources.length === 0) return { json: '{"data":[],"total":0}' };

  const named = new Set<string>([orderBy]);
  fieldsOf(body.where, named);
  const fields = new Map([...named].map((f) => [f, agreedType(kind, sources, f)] as const));
  const params = new Params();
  const union = sources.map((s, i) => branch(i, s, fields, kind, orderBy, body.where, params)).join("\n    UNION ALL ");
  const dir = body.order === "asc" ? "ASC" : "DESC";
  const rows = sources.map((s, i) => `SELECT p.s, p.id, p.k, to_jsonb(r.*) || jsonb_build_object('_source', jsonb_build_object('app', ${quoteLiteral(s.entity.appId)}, 'entity', ${quoteLiteral(s.entity.name)})) AS row
      FROM federated_page p JOIN ${s.entity.table} r ON p.s = ${i} AND r.id = p.id`).join("\n    UNION ALL ");
  // The page is chosen over ids and sort keys only; the rows' JSON is built for the page alone.
  const sql = `WITH federated AS MATERIALIZED (${union}),
    federated_page AS (SELECT s, id, k FROM federated ORDER BY k ${dir}, s, id LIMIT ${body.limit} OFFSET ${body.offset}),
    federated_rows AS (${rows})
  SELECT json_build_object('data', coalesce((SELECT json_agg(row ORDER BY k ${dir}, s, id) FROM federated_rows), '[]'::json),
    'total', (SELECT count(*) FROM federated))::text AS json`;
  const { rows: out } = await run(core, principal, kind, bounded(sql), params.values);
  return { json: boundedJson(out[0], '{"data":[],"total":0}') };
}

const pgCode = (err: unknown) => (typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined);

/** The governed statement; a source uninstalled or re-installed under the request is the caller racing it (409). */
async function run(core: Core, principal: Principal, kind: string, sql: string, params: unknown[]): Promise<pg.QueryResult<{ json: string | null; bytes?: string | null }>> {
  try {
    return await core.governed.runOne(principal, { trigger: "api", statementTimeoutMs: STATEMENT_TIMEOUT_MS }, sql, params);
  } catch (err) {
    const code = pgCode(err);
    if (code === "42P01" || code === "3F000" || code === "42703" || code === "42804") {
      throw new CoreError("CONFLICT", `an app of identity kind ${kind} changed during the request; retry it`, { cause: err });
    }
    throw err;
  }
}
