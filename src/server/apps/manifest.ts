import { z } from "zod";
import { CoreError } from "../errors.ts";
import { validateSqlExpression } from "./sql-expression.ts";

/** The manifest field types (spec §3) and the PostgreSQL column type each becomes. */
export const FIELD_TYPES = {
  text: "text",
  number: "double precision",
  boolean: "boolean",
  date: "date",
  timestamp: "timestamp with time zone",
  json: "jsonb",
  file: "text",
  uuid: "uuid",
  entity_link: "uuid",
  "[text]": "text[]",
  "[number]": "double precision[]",
} as const;
export type FieldType = keyof typeof FIELD_TYPES;

/** Columns every entity table has; the manifest cannot declare them (declared ones are ignored). */
export const SYSTEM_COLUMNS = ["id", "created_at", "updated_at"] as const;

/** App ids, entity and field names: they become PostgreSQL names, always quoted but never free-form. */
export const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;
const identifier = z
  .string({ error: "must be a string" })
  .max(63, { error: "is longer than 63 characters" })
  .refine((v) => IDENTIFIER.test(v), { error: (iss) => `invalid identifier ${JSON.stringify(iss.input)}: use a-z, 0-9 and _, starting with a letter` });

/** Schemas the platform or PostgreSQL owns: an app id that names one would let an install reach into them. */
export function isReservedSchema(name: string): boolean {
  return name === "public" || name === "information_schema" || name === "core" || name.startsWith("pg_") || name.startsWith("rootcx");
}

export const appIdSchema = identifier.refine((v) => !isReservedSchema(v), { error: (iss) => `app id ${JSON.stringify(iss.input)} is reserved` });

const fieldType = z.string({ error: "must be a string" }).refine((v): v is FieldType => Object.hasOwn(FIELD_TYPES, v), {
  error: (iss) => `unknown type ${JSON.stringify(iss.input)}`,
});
const onDelete = z.enum(["cascade", "restrict", "set_null"], { error: 'must be "cascade", "restrict" or "set_null"' });
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const jsonValue = z.union([scalar, z.array(z.unknown()), z.record(z.string(), z.unknown())]);

const fieldSchema = z.object({
  name: identifier,
  type: fieldType,
  required: z.boolean().optional(),
  default_value: jsonValue.optional(),
  enum_values: z.array(z.string().max(200)).min(1).max(500).optional(),
  references: z.object({ entity: z.string().max(130), field: z.string().max(63).optional() }).optional(),
  is_primary_key: z.boolean().optional(),
  on_delete: onDelete.optional(),
  // The Task-Manager and CRM manifests spell it in camelCase; the original ignored it, we honour both.
  onDelete: onDelete.optional(),
  description: z.string().optional(),
  label: z.string().optional(),
});

const indexColumn = z.union([
  identifier,
  z.object({
    column: identifier.optional(),
    expr: z.string().max(2000).optional(),
    sort: z.enum(["asc", "desc"]).optional(),
    nulls: z.enum(["first", "last"]).optional(),
    ops: identifier.optional(),
  }),
]);

const indexSchema = z.object({
  name: identifier.optional(),
  columns: z.array(indexColumn).min(1).max(32),
  unique: z.boolean().optional(),
  using: z.enum(["btree", "hash", "gist", "gin", "spgist", "brin"]).optional(),
  where: z.string().max(2000).optional(),
  with: z.record(z.string().regex(/^[a-z_]{1,63}$/, { error: "storage parameter names use a-z and _" }), z.union([z.number(), z.boolean(), z.string().regex(/^[a-z0-9_]{1,63}$/)])).optional(),
});

const entitySchema = z.object({
  entityName: identifier,
  fields: z.array(fieldSchema).max(1500),
  identityKind: identifier.optional(),
  identityKey: identifier.optional(),
  indexes: z.array(indexSchema).max(100).optional(),
  checks: z.array(z.object({ name: identifier.optional(), expr: z.string().min(1).max(2000) })).max(100).optional(),
  description: z.string().optional(),
  label: z.string().optional(),
});

const permissionKey = z.string().regex(/^[a-z0-9_:.*]{1,150}$/, { error: "permission keys use a-z, 0-9, _ : . and *" });

export const manifestSchema = z.object({
  appId: appIdSchema,
  name: z.string({ error: "is required" }).min(1).max(200),
  version: z.string().max(50).default("0.0.1"),
  description: z.string().max(5000).optional(),
  type: z.enum(["app", "integration", "agent"]).default("app"),
  icon: z.string().max(500).optional(),
  dataContract: z.array(entitySchema).max(200).default([]),
  permissions: z.object({ permissions: z.array(z.object({ key: permissionKey, description: z.string().max(500).default("") })).max(500).default([]) }).optional(),
  actions: z.array(z.object({ id: identifier, name: z.string().max(200), description: z.string().optional(), inputSchema: z.unknown().optional(), outputSchema: z.unknown().optional() })).max(500).optional(),
  // Crons, webhooks, triggers and the rest belong to later subsystems; they are kept in the manifest as given.
  crons: z.array(z.unknown()).optional(),
  webhooks: z.array(z.unknown()).optional(),
  trigger: z.unknown().optional(),
  public: z.unknown().optional(),
  configSchema: z.unknown().optional(),
  userAuth: z.unknown().optional(),
  instructions: z.string().optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type FieldContract = z.infer<typeof fieldSchema>;
export type EntityContract = z.infer<typeof entitySchema>;
export type IndexContract = z.infer<typeof indexSchema>;

/** `dataContract[1].fields[3].type`: the path form the manifest's authors read. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

function fail(path: readonly PropertyKey[], message: string): never {
  throw new CoreError("BAD_REQUEST", `${formatPath(path)}: ${message}`);
}

/** Validates a manifest: shape first (zod), then the rules that span fields and entities. */
export function parseManifest(input: unknown): Manifest {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new CoreError("BAD_REQUEST", "the manifest must be a JSON object");
  const parsed = manifestSchema.safeParse(input);
  if (!parsed.success) {
    throw new CoreError("BAD_REQUEST", parsed.error.issues.slice(0, 5).map((i) => (i.path.length ? `${formatPath(i.path)}: ${i.message}` : i.message)).join("; "));
  }
  const m = parsed.data;
  const entities = new Map(m.dataContract.map((e) => [e.entityName, e]));
  const seenEntities = new Set<string>();
  m.dataContract.forEach((entity, ei) => {
    const at = ["dataContract", ei] as const;
    if (seenEntities.has(entity.entityName)) fail([...at, "entityName"], `duplicate entity "${entity.entityName}"`);
    seenEntities.add(entity.entityName);
    const columns = new Set<string>(SYSTEM_COLUMNS);
    entity.fields.forEach((f, fi) => {
      const fat = [...at, "fields", fi];
      if (f.name === "created_at" || f.name === "updated_at") return;
      if (f.name === "id") {
        if (f.type !== "uuid") fail([...fat, "type"], `"id" is the entity's UUID primary key; it cannot be of type "${f.type}"`);
        return;
      }
      if (columns.has(f.name)) fail([...fat, "name"], `duplicate field "${f.name}"`);
      columns.add(f.name);
      checkField(f, fat, entities);
    });
    if ((entity.identityKind === undefined) !== (entity.identityKey === undefined)) fail(at, "identityKind and identityKey must be set together");
    if (entity.identityKey !== undefined && !columns.has(entity.identityKey)) fail([...at, "identityKey"], `unknown field "${entity.identityKey}"`);
    entity.indexes?.forEach((index, ii) => {
      index.columns.forEach((c, ci) => {
        const cat = [...at, "indexes", ii, "columns", ci];
        if (typeof c === "string") {
          if (!columns.has(c)) fail(cat, `unknown field "${c}"`);
          return;
        }
        if ((c.column === undefined) === (c.expr === undefined)) fail(cat, "give exactly one of column and expr");
        if (c.column !== undefined && !columns.has(c.column)) fail([...cat, "column"], `unknown field "${c.column}"`);
        if (c.expr !== undefined) validateOrFail(c.expr, columns, [...cat, "expr"]);
      });
      if (index.where !== undefined) validateOrFail(index.where, columns, [...at, "indexes", ii, "where"]);
    });
    entity.checks?.forEach((check, ci) => validateOrFail(check.expr, columns, [...at, "checks", ci, "expr"]));
  });
  return m;
}

function validateOrFail(expr: string, columns: ReadonlySet<string>, path: readonly PropertyKey[]): void {
  const problem = validateSqlExpression(expr, columns);
  if (problem) fail(path, problem);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function checkField(f: FieldContract, at: readonly PropertyKey[], entities: ReadonlyMap<string, EntityContract>): void {
  if (f.type === "entity_link" && !f.references) fail(at, `entity_link field "${f.name}" needs references.entity`);
  if (f.references) {
    if (f.type !== "entity_link" && f.type !== "uuid") fail([...at, "references"], `only entity_link fields can reference another entity`);
    const target = f.references.entity;
    if (target !== "core:users" && !entities.has(target)) {
      fail([...at, "references", "entity"], target.includes(":") ? `cross-app reference "${target}" is not allowed (use an entity of this app or "core:users")` : `unknown entity "${target}"`);
    }
    if (f.references.field !== undefined && f.references.field !== "id") fail([...at, "references", "field"], "references must point at the id field");
  }
  if ((f.on_delete ?? f.onDelete) && !f.references) fail([...at, "on_delete"], "on_delete needs references");
  if (f.on_delete === "set_null" && f.required) fail([...at, "on_delete"], "set_null cannot apply to a required field");
  if (f.enum_values) {
    if (f.type !== "text") fail([...at, "enum_values"], "enum_values apply to text fields only");
    if (new Set(f.enum_values).size !== f.enum_values.length) fail([...at, "enum_values"], "duplicate enum value");
  }
  if (f.default_value !== undefined && f.default_value !== null) checkDefault(f, [...at, "default_value"]);
}

function checkDefault(f: FieldContract, at: readonly PropertyKey[]): void {
  const v = f.default_value;
  const bad = (expected: string): never => fail(at, `default for a ${f.type} field must be ${expected}`);
  switch (f.type as FieldType) {
    case "text":
    case "file":
      if (typeof v !== "string") bad("a string");
      if (f.enum_values && !f.enum_values.includes(v as string)) fail(at, `default "${String(v)}" is not one of enum_values`);
      return;
    case "number":
      if (typeof v !== "number" || !Number.isFinite(v)) bad("a finite number");
      return;
    case "boolean":
      if (typeof v !== "boolean") bad("true or false");
      return;
    case "date":
      if (typeof v !== "string" || !DATE.test(v) || Number.isNaN(Date.parse(v))) bad('a date "YYYY-MM-DD"');
      return;
    case "timestamp":
      if (typeof v !== "string" || Number.isNaN(Date.parse(v))) bad("an ISO 8601 timestamp");
      return;
    case "uuid":
    case "entity_link":
      if (typeof v !== "string" || !UUID.test(v)) bad("a lower-case UUID");
      return;
    case "json":
      return;
    case "[text]":
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) bad("an array of strings");
      return;
    case "[number]":
      if (!Array.isArray(v) || v.some((x) => typeof x !== "number" || !Number.isFinite(x))) bad("an array of numbers");
      return;
  }
}
