/**
 * The manifest as the schema editor edits it: plain JSON, keeping every key the form does not know (indexes,
 * checks, labels, crons…) exactly as it was. The server validates it on preview; the rules checked here are
 * only those that make the form itself make sense (a name, a unique name, a target for a link).
 */

/** The manifest field types (src/server/apps/manifest.ts FIELD_TYPES; not imported: that module runs zod). */
export const FIELD_TYPES = ["text", "number", "boolean", "date", "timestamp", "uuid", "entity_link", "json", "file", "[text]", "[number]"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** The server's identifier rule for app ids, entity and field names. */
export const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;
export const IDENTIFIER_RULE = "Use a-z, 0-9 and _, starting with a letter (at most 63 characters).";
/** Columns every entity has; the manifest does not declare them. */
export const SYSTEM_FIELDS = new Set(["id", "created_at", "updated_at"]);
/** Besides this app's entities, a link may point at the platform's users. */
export const USERS_ENTITY = "core:users";

export interface DraftField {
  name: string;
  type: string;
  required?: boolean;
  default_value?: unknown;
  enum_values?: string[];
  references?: { entity: string; field?: string };
  [key: string]: unknown;
}

export interface DraftEntity {
  entityName: string;
  fields: DraftField[];
  [key: string]: unknown;
}

export interface Draft {
  appId: string;
  name: string;
  version: string;
  dataContract: DraftEntity[];
  [key: string]: unknown;
}

export const EMPTY_DRAFT: Draft = { appId: "", name: "", version: "1.0.0", dataContract: [] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The draft a manifest text holds, or why the form cannot show it (then only the JSON editor can). An empty
 * text is an empty draft, so a new app can start in the form.
 */
export function parseDraft(text: string): { draft: Draft } | { problem: string } {
  if (!text.trim()) return { draft: EMPTY_DRAFT };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { problem: `The manifest is not valid JSON (${err instanceof Error ? err.message : String(err)}).` };
  }
  if (!isObject(value)) return { problem: "The manifest must be a JSON object." };
  const contract = value.dataContract ?? [];
  if (!Array.isArray(contract)) return { problem: "dataContract must be a list of entities." };
  for (const [i, e] of contract.entries()) {
    if (!isObject(e) || typeof e.entityName !== "string") return { problem: `dataContract[${i}] needs an entityName.` };
    const fields: unknown = e.fields ?? [];
    if (!Array.isArray(fields) || !fields.every((f: unknown) => isObject(f) && typeof f.name === "string" && typeof f.type === "string")) {
      return { problem: `Each field of ${e.entityName} needs a name and a type.` };
    }
  }
  return {
    draft: {
      ...value,
      appId: typeof value.appId === "string" ? value.appId : "",
      name: typeof value.name === "string" ? value.name : "",
      version: typeof value.version === "string" ? value.version : "1.0.0",
      dataContract: (contract as DraftEntity[]).map((e) => ({ ...e, fields: e.fields ?? [] })),
    },
  };
}

export const serialize = (d: Draft): string => JSON.stringify(d, null, 2);

export function setEntity(d: Draft, index: number, entity: DraftEntity): Draft {
  return { ...d, dataContract: d.dataContract.map((e, i) => (i === index ? entity : e)) };
}

/**
 * Renames an entity and every link to it, so the manifest stays valid. For the database this is a drop of the
 * old table and the creation of a new, empty one: the manifest has no rename.
 */
export function renameEntity(d: Draft, index: number, to: string): Draft {
  const from = d.dataContract[index]?.entityName;
  return {
    ...d,
    dataContract: d.dataContract.map((e, i) => ({
      ...e,
      ...(i === index ? { entityName: to } : {}),
      fields: e.fields.map((f) => (f.references?.entity === from ? { ...f, references: { ...f.references, entity: to } } : f)),
    })),
  };
}

export const removeEntity = (d: Draft, index: number): Draft => ({ ...d, dataContract: d.dataContract.filter((_, i) => i !== index) });

/** The fields of other entities that link to this one (it cannot go while they do). */
export function linksTo(d: Draft, entityName: string): string[] {
  return d.dataContract.flatMap((e) => (e.entityName === entityName ? [] : e.fields.filter((f) => f.references?.entity === entityName).map((f) => `${e.entityName}.${f.name}`)));
}

/** Puts the field at `index` (or appends it when index is undefined). */
export function putField(entity: DraftEntity, field: DraftField, index?: number): DraftEntity {
  return { ...entity, fields: index === undefined ? [...entity.fields, field] : entity.fields.map((f, i) => (i === index ? field : f)) };
}

export const removeField = (entity: DraftEntity, index: number): DraftEntity => ({ ...entity, fields: entity.fields.filter((_, i) => i !== index) });

/** How a default value reads in the form's one text box. */
export function defaultText(v: unknown): string {
  if (v === undefined || v === null) return "";
  return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * The default value a text box means for a type: numbers and booleans become JSON values, lists and json are
 * written as JSON, anything else is the text itself. `undefined` for an empty box (no default).
 */
export function parseDefault(type: string, text: string): { value: unknown } | { problem: string } {
  const t = text.trim();
  if (!t) return { value: undefined };
  if (type === "number") {
    const n = Number(t);
    return Number.isFinite(n) ? { value: n } : { problem: "The default of a number field must be a number." };
  }
  if (type === "boolean") return t === "true" || t === "false" ? { value: t === "true" } : { problem: "The default of a boolean field is true or false." };
  if (type === "json" || type.startsWith("[")) {
    try {
      const value: unknown = JSON.parse(t);
      if (type.startsWith("[") && !Array.isArray(value)) return { problem: `The default of a ${type} field is a JSON list, e.g. ${type === "[number]" ? "[1, 2]" : '["a", "b"]'}.` };
      return { value };
    } catch {
      return { problem: "The default must be written as JSON." };
    }
  }
  return { value: text };
}

/** Enum values typed one per line or separated by commas. */
export const parseEnum = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((v) => v.trim())
    .filter(Boolean);
