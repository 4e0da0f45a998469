import { IDENTIFIER, isReservedSchema } from "../apps/manifest.ts";
import { quoteIdent, quoteLiteral } from "../apps/model.ts";
import type { EntityModel } from "../apps/registry.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { identityOf, sourcesIn, sourcesOfKind, type IdentitySource } from "./identity-sources.ts";

/** `linked` as a request gives it: every other app of the kind (true) or the named ones; false or absent is none. */
export type LinkedRequest = boolean | readonly string[] | undefined;

/** At most this many apps in one `linked` list: more is a malformed request, not a real one. */
export const LINKED_MAX_APPS = 100;

/** What a page's rows are linked through: the entity's identity key and the other apps' entities of its kind. */
export interface LinkedPlan {
  key: string;
  /** The key's column type is text: the sources' indexes on their key then serve the lookup. */
  keyIsText: boolean;
  sources: IdentitySource[];
}

const bad = (message: string): never => {
  throw new CoreError("BAD_REQUEST", message);
};
const shown = (name: string) => JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);

/** GET `?linked=`: `true`, `false`, or a comma-separated list of app ids. */
export function parseLinkedParam(raw: string | null): LinkedRequest {
  if (raw === null || raw === "false") return undefined;
  if (raw === "true") return true;
  return raw.split(",").map((s) => s.trim());
}

/**
 * Resolves `linked` for a read of `entity` (spec §2.6 "Linked enrichment"), refusing with the reason what cannot be
 * answered: an entity without an identity kind, a malformed or unknown app, the entity's own app, an app that
 * declares no entity of the kind. Which of the sources' rows the caller sees is row-level security's to decide.
 */
export async function planLinked(core: Core, entity: EntityModel, linked: LinkedRequest): Promise<LinkedPlan | undefined> {
  if (linked === undefined || linked === false) return undefined;
  const app = await core.apps.get(entity.appId);
  const identity = app && identityOf(app, entity.name);
  if (!identity) return bad(`linked: entity ${entity.appId}.${entity.name} declares no identityKind; linked records need identityKind and identityKey in its manifest`);
  const keyIsText = entity.columns.get(identity.key) === "text";
  if (linked === true) {
    const sources = (await sourcesOfKind(core, identity.kind)).filter((s) => s.entity.appId !== entity.appId);
    return { key: identity.key, keyIsText, sources };
  }
  if (linked.length === 0) bad("linked: give true or at least one app id");
  if (linked.length > LINKED_MAX_APPS) bad(`linked: more than ${LINKED_MAX_APPS} apps; name at most ${LINKED_MAX_APPS}, or give true for every app of the kind`);
  const sources: IdentitySource[] = [];
  for (const appId of new Set(linked)) {
    if (!IDENTIFIER.test(appId) || isReservedSchema(appId)) bad(`linked: invalid app id ${shown(appId)}`);
    if (appId === entity.appId) bad(`linked: ${appId} is this entity's own app; linked records come from other apps`);
    const other = await core.apps.get(appId);
    if (!other) bad(`linked: unknown app ${shown(appId)}`);
    const found = sourcesIn(other!, identity.kind);
    if (found.length === 0) bad(`linked: app ${appId} declares no entity of identity kind ${identity.kind}`);
    sources.push(...found);
  }
  return { key: identity.key, keyIsText, sources };
}

/**
 * An empty or whitespace-only identity value identifies no one (a form left blank): like NULL, it links nothing,
 * or every app's blank record would be linked to every other's.
 */
const NOT_BLANK = (textKey: string) => `${textKey} !~ '^[[:space:]]*$'`;

/**
 * One source's rows whose key is among the page's keys. A text key is compared as it is, so the source's identity
 * index serves it; any other type is compared by its text form, the only form two types have in common.
 */
function sourceRows(s: IdentitySource): string {
  const key = `r.${quoteIdent(s.key)}`;
  const text = s.entity.columns.get(s.key) === "text" ? key : `${key}::text`;
  return `SELECT ${text} AS k, ${quoteLiteral(s.entity.appId)}::text AS app, ${quoteLiteral(s.entity.name)}::text AS entity, r.id, r.created_at, to_jsonb(r.*) AS data
    FROM ${s.entity.table} r WHERE ${text} IN (SELECT k FROM linked_keys)`;
}

/**
 * The page's rows as a JSON array, each with `_linked: {<app>: {entity, recordId, data}}`, in one statement: one
 * lookup per source for the whole page (by the page's distinct keys), never one per row. Every source is read in
 * the caller's governed transaction, so a row row-level security hides is not attached, not even its id. One record
 * per app (the spec's shape): the earliest created, then by entity name and id.
 *
 * `page` selects the base entity's rows; `order` is its ORDER BY over the page's columns, qualified with `p.`.
 */
export function linkedPageSql(plan: LinkedPlan, page: string, order: string): string {
  const key = `${quoteIdent(plan.key)}${plan.keyIsText ? "" : "::text"}`;
  // Per key, the object of its links by app: the page then joins it by hash, not one scan of the links per row.
  const links = plan.sources.length
    ? `SELECT l.k, jsonb_object_agg(l.app, l.link) AS links FROM (
         SELECT DISTINCT ON (l.k, l.app) l.k, l.app, jsonb_build_object('entity', l.entity, 'recordId', l.id, 'data', l.data) AS link
         FROM (${plan.sources.map(sourceRows).join(" UNION ALL ")}) l ORDER BY l.k, l.app, l.created_at, l.entity, l.id) l GROUP BY l.k`
    : "SELECT NULL::text AS k, NULL::jsonb AS links WHERE FALSE";
  return `WITH linked_page AS (${page}),
    linked_keys AS (SELECT DISTINCT p.${key} AS k FROM linked_page p WHERE p.${quoteIdent(plan.key)} IS NOT NULL AND ${NOT_BLANK(`p.${key}`)}),
    linked_links AS (${links})
  SELECT coalesce(json_agg(to_jsonb(p.*) || jsonb_build_object('_linked', coalesce(ll.links, '{}'::jsonb)) ORDER BY ${order}), '[]'::json)::text AS json
  FROM linked_page p LEFT JOIN linked_links ll ON ll.k = p.${key}`;
}
