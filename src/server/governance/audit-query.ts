import { z } from "zod";
import type { Queryable } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";

/** Filterable fields, with the original's aliases. */
const FIELDS: Record<string, { column: string; type: "text" | "uuid" | "time" | "id" }> = {
  table_schema: { column: "table_schema", type: "text" },
  app_id: { column: "table_schema", type: "text" },
  table_name: { column: "table_name", type: "text" },
  entity: { column: "table_name", type: "text" },
  record_id: { column: "record_id", type: "text" },
  operation: { column: "operation", type: "text" },
  // Administrative events name their action (user.disable, secret.set, …) in `operation`.
  action: { column: "operation", type: "text" },
  target: { column: "record_id", type: "text" },
  changed_at: { column: "changed_at", type: "time" },
  actor_uid: { column: "actor_uid", type: "uuid" },
  actor: { column: "actor_uid", type: "uuid" },
  trigger_ref: { column: "trigger_ref", type: "text" },
};
const OPS = { "": "=", neq: "<>", contains: "ILIKE", gte: ">=", lte: "<=" } as const;
const ORDERABLE = new Set(["id", "changed_at", "table_schema", "table_name", "operation"]);
const CONTROL = new Set(["before", "limit", "order_by", "order"]);

export interface AuditRow {
  id: string;
  table_schema: string;
  table_name: string;
  record_id: string | null;
  operation: string;
  old_record: unknown;
  new_record: unknown;
  actor_uid: string | null;
  delegator_uid: string | null;
  trigger_ref: string | null;
  changed_at: string;
  prev_hash: string;
  hash: string;
}

const limitSchema = z.coerce.number().int().min(1, { message: "limit must be 1..1000" }).max(1000, { message: "limit must be 1..1000" });

/**
 * GET /audit's query language (spec §2.18): `field`, `field__neq`, `field__contains`, `field__gte`,
 * `field__lte`; cursor `before=<id>`; `limit` (100, at most 1000); `order_by`/`order` (default id DESC).
 * Every field and operator comes from an allowlist and every value is a parameter.
 */
export async function queryAudit(db: Queryable, params: URLSearchParams): Promise<AuditRow[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (v: unknown) => `$${values.push(v)}`;
  for (const [name, raw] of params) {
    if (CONTROL.has(name)) continue;
    const [fieldName, opName = "", extra] = name.split("__");
    // Own keys only: `toString` or `constructor__neq` would otherwise find Object.prototype's members.
    const field = fieldName && Object.hasOwn(FIELDS, fieldName) ? FIELDS[fieldName] : undefined;
    if (!field || extra !== undefined || !Object.hasOwn(OPS, opName)) throw new CoreError("BAD_REQUEST", `unknown audit filter: ${name}`);
    const op = OPS[opName as keyof typeof OPS];
    if (field.type === "time" && Number.isNaN(Date.parse(raw))) throw new CoreError("BAD_REQUEST", `${name}: not a date`);
    if (field.type === "uuid" && op !== "ILIKE" && !/^[0-9a-f-]{36}$/i.test(raw)) throw new CoreError("BAD_REQUEST", `${name}: not a uuid`);
    if (op === "ILIKE") {
      where.push(`a.${field.column}::text ILIKE ${add(`%${raw.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`);
    } else {
      where.push(`a.${field.column} ${op} ${add(raw)}${field.type === "time" ? "::timestamptz" : field.type === "uuid" ? "::uuid" : ""}`);
    }
  }
  const before = params.get("before");
  if (before !== null) {
    if (!/^\d{1,19}$/.test(before)) throw new CoreError("BAD_REQUEST", "before: must be an audit row id");
    where.push(`a.id < ${add(before)}::bigint`);
  }
  const limit = limitSchema.parse(params.get("limit") ?? 100);
  const orderBy = params.get("order_by") ?? "id";
  if (!ORDERABLE.has(orderBy)) throw new CoreError("BAD_REQUEST", `order_by: one of ${[...ORDERABLE].join(", ")}`);
  const order = (params.get("order") ?? "desc").toLowerCase();
  if (order !== "asc" && order !== "desc") throw new CoreError("BAD_REQUEST", "order: asc or desc");
  const { rows } = await db.query<AuditRow>(
    // Every column is qualified: the output renames id and changed_at to text, and a bare ORDER BY id would sort
    // those strings ("9" after "10"), not the numbers.
    `SELECT a.id::text AS id, a.table_schema, a.table_name, a.record_id, a.operation, a.old_record, a.new_record, a.actor_uid,
            a.delegator_uid, a.trigger_ref, a.prev_hash, a.hash,
            -- Microsecond precision, as stored (a JS Date would keep milliseconds only).
            to_char(a.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS changed_at
       FROM rootcx_system.audit_log a
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY a.${orderBy} ${order}${orderBy === "id" ? "" : `, a.id ${order}`}
      LIMIT ${limit}`,
    values,
  );
  return rows;
}
