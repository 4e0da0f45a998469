import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { Principal } from "../auth/principal.ts";
import { FIELD_TYPES, IDENTIFIER, isReservedSchema } from "../apps/manifest.ts";
import { quoteIdent } from "../apps/model.ts";
import type { EntityModel, InstalledApp } from "../apps/registry.ts";
import type { Core } from "../core.ts";
import { withTransaction } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";
import type { GovernedOptions } from "../governance/executor.ts";
import { holdsPermission } from "../governance/permissions.ts";
import { linkedPageSql, planLinked, type LinkedRequest } from "./linked.ts";
import type { ListQuery, QueryBody } from "./schema.ts";
import { checkFileFields } from "../storage/file-fields.ts";
import { coerceValue, isUuid, rowsJson, type SqlValue } from "./values.ts";
import { columnOf, compileWhere, Params, typedParam } from "./where.ts";

/** Spec §2.6: interactive Data API statements get 8 s. */
export const STATEMENT_TIMEOUT_MS = 8_000;
const SYSTEM_WRITABLE = new Set(["id", "created_at", "updated_at"]);
export const BULK_MAX_ROWS = 1000;
export const BULK_MAX_CELLS = 65_535;

/** The Data API's answers are JSON text built by PostgreSQL; adapters pass it through or parse it. */
export interface JsonText {
  json: string;
}

/**
 * Resolves `/apps/{app}/collections/{entity}`: 400 for a malformed name, 403 for a system schema, 404 when unknown.
 * The model itself when the registry holds the app (no promise on the hot path), a promise when it must be read;
 * a refusal may be thrown at once, so call it where a throw and a rejection end the same way (`await` in an async
 * function).
 */
export function entityOf(core: Core, appId: string, entity: string): EntityModel | Promise<EntityModel> {
  if (!IDENTIFIER.test(appId)) throw new CoreError("BAD_REQUEST", "invalid app id");
  if (isReservedSchema(appId)) throw new CoreError("FORBIDDEN", `${appId} is not an app`);
  if (!IDENTIFIER.test(entity)) throw new CoreError("BAD_REQUEST", "invalid entity name");
  const cached = core.apps.cached(appId);
  if (cached !== undefined) return modelOf(cached, appId, entity);
  return core.apps.get(appId).then((app) => modelOf(app, appId, entity));
}

function modelOf(app: InstalledApp | null, appId: string, entity: string): EntityModel {
  if (!app) throw new CoreError("NOT_FOUND", `app ${appId} not found`);
  const model = app.entities.get(entity);
  if (!model) throw new CoreError("NOT_FOUND", `entity ${entity} not found in app ${appId}`);
  return model;
}

/**
 * Who a statement runs as when it is not an HTTP caller (spec §5 "Who the transaction runs as"): a worker's
 * principal, or null for deny-all, with its audit trigger and any delegated permission set. `bypass` is the
 * lifecycle worker's onStart path (spec §4.3 item 8): the Core's own pool, outside row-level security; the
 * entity lookup keeps it to the app's own schema.
 */
export interface DataActor {
  principal: Principal | null;
  trigger: string;
  delegated?: GovernedOptions["delegated"];
  bypass?: pg.Pool;
}

/** An HTTP caller is a principal with its live permissions and the trigger `api`. */
const actorOf = (who: Principal | DataActor): DataActor => ("userId" in who ? { principal: who, trigger: "api" } : who);

/** The permissions a statement of this actor is checked against (the bypass holds every key of its app). */
async function heldBy(core: Core, actor: DataActor): Promise<string[]> {
  if (actor.bypass) return ["*"];
  if (actor.delegated) return actor.delegated.permissions;
  return actor.principal ? core.auth.principals.permissions(actor.principal.userId) : [];
}

/** The bypass: one statement in its own transaction on the Core's pool, with the interactive timeout. */
function runBypassed<R extends pg.QueryResultRow>(pool: pg.Pool, sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
  return withTransaction(pool, async (client) => {
    await client.query(`SELECT set_config('statement_timeout', '${STATEMENT_TIMEOUT_MS}', true)`);
    return client.query<R>(sql, params);
  });
}

const pgCode = (err: unknown) => (typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined);

/**
 * One governed round trip. The entity model was resolved before the statement ran, so an uninstall or a
 * re-install that commits in between makes its table or a column vanish under the request: that is the
 * caller racing a schema change (404 / 409), not a fault of the Core.
 */
// Not async: one promise fewer per read than an async wrapper awaiting the executor's.
function one(core: Core, who: Principal | DataActor, entity: EntityModel, sql: string, params: unknown[]): Promise<pg.QueryResult<{ json: string | null; bytes?: string | null }>> {
  const actor = actorOf(who);
  const opts: GovernedOptions = { trigger: actor.trigger, statementTimeoutMs: STATEMENT_TIMEOUT_MS, delegated: actor.delegated };
  const run = actor.bypass
    ? runBypassed<{ json: string | null; bytes?: string | null }>(actor.bypass, sql, params)
    : core.governed.runOne<{ json: string | null; bytes?: string | null }>(actor.principal, opts, sql, params);
  return run.catch((err: unknown) => {
    const code = pgCode(err);
    if (code === "42P01" || code === "3F000") throw new CoreError("NOT_FOUND", `entity ${entity.name} not found in app ${entity.appId}`, { cause: err });
    if (code === "42703" || code === "42804") throw new CoreError("CONFLICT", `the schema of ${entity.appId}.${entity.name} changed during the request; retry it`, { cause: err });
    throw err;
  });
}

/** `"col" DESC, id ASC`; with `alias`, its columns qualified (a page joined to other relations). */
function orderBy(entity: EntityModel, sort: string | undefined, order: string | undefined, alias = ""): string {
  const column = sort ?? "created_at";
  columnOf(entity, column);
  return `${alias}${quoteIdent(column)} ${order?.toLowerCase() === "asc" ? "ASC" : "DESC"}, ${alias}id ASC`;
}

/**
 * The most a list or query answer may hold. PostgreSQL builds the JSON text; past ~512 MiB the driver cannot
 * turn it into a string and the process dies, so a larger answer is refused in SQL, before it is sent.
 */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** Wraps a statement whose one row has a `json` column so that an oversized answer arrives as its size only. */
export const bounded = (sql: string) =>
  `SELECT CASE WHEN octet_length(b.json) <= ${MAX_ANSWER_BYTES} THEN b.json END AS json, octet_length(b.json) AS bytes FROM (${sql}) b`;

export function boundedJson(row: { json: string | null; bytes?: number | string | null } | undefined, empty: string): string {
  if (row?.json !== null && row?.json !== undefined) return row.json;
  if (row?.bytes !== null && row?.bytes !== undefined) {
    const mib = Math.ceil(Number(row.bytes) / 1024 / 1024);
    throw new CoreError("BAD_REQUEST", `the answer would be ${mib} MiB, more than the limit of ${MAX_ANSWER_BYTES / 1024 / 1024} MiB: ask for fewer rows (limit and offset)`);
  }
  return empty;
}

/** GET /collections/{entity}: every non-reserved query parameter is an equality filter (a worker's null is IS NULL). */
export async function listRecords(core: Core, principal: Principal | DataActor, entity: EntityModel, q: ListQuery): Promise<JsonText> {
  const params = new Params();
  const filters = Object.entries(q.filters).map(([name, value]) =>
    value === null ? `${quoteIdent(name)} IS NULL` : `${quoteIdent(name)} = ${typedParam(params, name, columnOf(entity, name), value)}`);
  const page = `${q.limit !== undefined ? ` LIMIT ${q.limit}` : ""}${q.offset ? ` OFFSET ${q.offset}` : ""}`;
  const order = orderBy(entity, q.sort, q.order);
  const rowsSql = `SELECT * FROM ${entity.table}${filters.length ? ` WHERE ${filters.join(" AND ")}` : ""} ORDER BY ${order}${page}`;
  const linked = await planLinked(core, entity, q.linked);
  const sql = linked ? linkedPageSql(linked, rowsSql, orderBy(entity, q.sort, q.order, "p.")) : `SELECT coalesce(json_agg(x.*), '[]')::text AS json FROM (${rowsSql}) x`;
  const { rows } = await one(core, principal, entity, bounded(sql), params.values);
  return { json: boundedJson(rows[0], "[]") };
}

/** POST /collections/{entity}/query: the where language, a page and the total of matching rows. */
export async function queryRecords(core: Core, principal: Principal | DataActor, entity: EntityModel, body: QueryBody): Promise<JsonText> {
  const params = new Params();
  const where = body.where === undefined ? "TRUE" : compileWhere(entity, body.where, params);
  const order = orderBy(entity, body.orderBy, body.order ?? "desc");
  const rowsSql = `SELECT * FROM ${entity.table} WHERE ${where} ORDER BY ${order} LIMIT ${body.limit} OFFSET ${body.offset}`;
  const linked = await planLinked(core, entity, body.linked);
  const data = linked ? `(SELECT x.json::json FROM (${linkedPageSql(linked, rowsSql, orderBy(entity, body.orderBy, body.order ?? "desc", "p."))}) x)` : `coalesce((SELECT json_agg(x.*) FROM (${rowsSql}) x), '[]'::json)`;
  const sql = `SELECT json_build_object('data', ${data}, 'total', (SELECT count(*) FROM ${entity.table} WHERE ${where}))::text AS json`;
  const { rows } = await one(core, principal, entity, bounded(sql), params.values);
  return { json: boundedJson(rows[0], '{"data":[],"total":0}') };
}

/** The record's writable columns and their values, coerced by type; id and timestamps are the Core's. */
function writableValues(entity: EntityModel, record: unknown, at: string): Record<string, SqlValue> {
  // A plain object: an ExactNumber (a number with more digits than a double) is an object too.
  if (typeof record !== "object" || record === null || Object.getPrototypeOf(record) !== Object.prototype) throw new CoreError("BAD_REQUEST", `${at} must be an object`);
  const out: Record<string, SqlValue> = {};
  for (const [name, value] of Object.entries(record)) {
    if (SYSTEM_WRITABLE.has(name)) continue;
    out[name] = coerceValue(name, columnOf(entity, name), value);
  }
  return out;
}

/** `AS x("a" text, "b" double precision)`: the record type jsonb_to_recordset reads the values into. */
const recordType = (entity: EntityModel, columns: string[]) => columns.map((c) => `${quoteIdent(c)} ${FIELD_TYPES[entity.columns.get(c)!]}`).join(", ");

/** One INSERT of every row; with `returning`, the inserted rows as a JSON array (which needs the read key). */
async function insert(core: Core, principal: Principal | DataActor, entity: EntityModel, rows: Record<string, SqlValue>[], columns: string[], returning = true): Promise<JsonText> {
  const list = columns.map(quoteIdent).join(", ");
  const insertSql = `INSERT INTO ${entity.table} (${list}) SELECT ${list} FROM jsonb_to_recordset($1::jsonb) AS x(${recordType(entity, columns)})`;
  const sql = returning ? `WITH ins AS (${insertSql} RETURNING *) SELECT coalesce(json_agg(ins.*), '[]')::text AS json FROM ins` : insertSql;
  const { rows: out } = await one(core, principal, entity, sql, [rowsJson(rows)]);
  return { json: out[0]?.json ?? "[]" };
}

/**
 * Inserts rows that may each name different columns. A principal that may create but not read cannot see what
 * RETURNING gives back (PostgreSQL applies the read policy to it), so it gets the new ids only.
 */
async function insertRows(core: Core, principal: Principal | DataActor, entity: EntityModel, rows: Record<string, SqlValue>[]): Promise<JsonText> {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (rows.length * columns.length > BULK_MAX_CELLS) throw new CoreError("BAD_REQUEST", `rows × columns must not exceed ${BULK_MAX_CELLS}`);
  // One statement has one column list: a row that leaves out a column another row names gets the manifest's
  // default for it here, as a row inserted on its own would get it from PostgreSQL (not NULL).
  for (const spec of entity.spec.columns) {
    if (!columns.includes(spec.name)) continue;
    const fallback = spec.defaultValue === undefined ? null : coerceValue(spec.name, spec.type, spec.defaultValue);
    for (const row of rows) if (!Object.hasOwn(row, spec.name)) row[spec.name] = fallback;
  }
  const perms = await heldBy(core, actorOf(principal));
  if (holdsPermission(perms, `app:${entity.appId}:${entity.name}.read`)) return insert(core, principal, entity, rows, columns);
  const ids = rows.map(() => randomUUID());
  await insert(core, principal, entity, rows.map((r, i) => ({ ...r, id: ids[i]! })), ["id", ...columns], false);
  return { json: JSON.stringify(ids.map((id) => ({ id }))) };
}

/** POST /collections/{entity} → 201 with the row, or `{id}` for a caller that may create but not read. */
export async function createRecord(core: Core, principal: Principal | DataActor, entity: EntityModel, body: unknown): Promise<JsonText> {
  const values = writableValues(entity, body, "the body");
  if (Object.keys(values).length === 0) throw new CoreError("BAD_REQUEST", "the body has no writable field");
  await checkFileFields(core, entity, [values]);
  return { json: (await insertRows(core, principal, entity, [values])).json.slice(1, -1) };
}

/**
 * POST /collections/{entity}/bulk: 1 to 1000 rows in one statement; columns are the union of the keys, and a
 * key a row leaves out takes the column's default. A caller that may create but not read gets `[{id}, …]`.
 */
export async function bulkCreate(core: Core, principal: Principal | DataActor, entity: EntityModel, body: unknown): Promise<JsonText> {
  if (!Array.isArray(body) || body.length === 0 || body.length > BULK_MAX_ROWS) throw new CoreError("BAD_REQUEST", `the body must be an array of 1 to ${BULK_MAX_ROWS} records`);
  const rows = body.map((r, i) => writableValues(entity, r, `record ${i}`));
  if (rows.every((r) => Object.keys(r).length === 0)) throw new CoreError("BAD_REQUEST", "the records have no writable field");
  await checkFileFields(core, entity, rows, true);
  return insertRows(core, principal, entity, rows);
}

function recordId(id: string): string {
  if (!isUuid(id)) throw new CoreError("BAD_REQUEST", "invalid id: expected a UUID");
  return id.toLowerCase();
}

/** GET /collections/{entity}/{id}, with `_linked` when asked (spec §2.6); 404 when missing or hidden. */
export async function getRecord(core: Core, principal: Principal | DataActor, entity: EntityModel, id: string, linked?: LinkedRequest): Promise<JsonText> {
  // Without `linked` (the usual read) there is no plan to wait for: one await and one promise fewer per request.
  const plan = linked === undefined || linked === false ? undefined : await planLinked(core, entity, linked);
  const sql = plan
    ? `SELECT (x.json::json -> 0)::text AS json FROM (${linkedPageSql(plan, `SELECT * FROM ${entity.table} WHERE id = $1::uuid`, "p.id")}) x`
    : `SELECT to_json(r.*)::text AS json FROM ${entity.table} r WHERE r.id = $1::uuid`;
  const { rows } = await one(core, principal, entity, sql, [recordId(id)]);
  if (!rows[0]?.json) throw new CoreError("NOT_FOUND", "record not found");
  return { json: rows[0].json };
}

/** PATCH /collections/{entity}/{id}: the given fields and updated_at; 404 when missing or hidden. */
export async function updateRecord(core: Core, principal: Principal | DataActor, entity: EntityModel, id: string, body: unknown): Promise<JsonText> {
  const key = recordId(id);
  const values = writableValues(entity, body, "the body");
  const columns = Object.keys(values);
  if (columns.length === 0) throw new CoreError("BAD_REQUEST", "the body has no writable field");
  await checkFileFields(core, entity, [values]);
  const set = columns.map((c) => `${quoteIdent(c)} = x.${quoteIdent(c)}`).join(", ");
  const sql = `UPDATE ${entity.table} r SET ${set}, updated_at = now() FROM jsonb_to_record($1::jsonb) AS x(${recordType(entity, columns)})
    WHERE r.id = $2::uuid RETURNING to_json(r.*)::text AS json`;
  const { rows } = await one(core, principal, entity, sql, [rowsJson([values]).slice(1, -1), key]);
  if (!rows[0]?.json) throw new CoreError("NOT_FOUND", "record not found");
  return { json: rows[0].json };
}

export async function deleteRecord(core: Core, principal: Principal | DataActor, entity: EntityModel, id: string): Promise<{ message: string }> {
  const result = await one(core, principal, entity, `DELETE FROM ${entity.table} WHERE id = $1::uuid`, [recordId(id)]);
  if (result.rowCount === 0) throw new CoreError("NOT_FOUND", "record not found");
  return { message: "record deleted" };
}
