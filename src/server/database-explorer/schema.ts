import { z } from "zod";

/**
 * A schema name as the explorer accepts it: an unquoted PostgreSQL identifier (63 bytes at most). Anything
 * else is refused before it reaches SQL, where it is only ever a bound parameter or an escaped identifier.
 */
export const schemaName = z.string().regex(/^[a-z_][a-z0-9_$]{0,62}$/i, { message: "invalid schema name" });

export const queryInput = z.object({
  sql: z
    .string({ message: "sql must be a string" })
    .min(1, { message: "sql must not be empty" })
    .max(100_000, { message: "sql is too long (100 000 characters at most)" }),
  // The original accepts an explicit null as "no schema".
  schema: schemaName.nullish(),
});

export const schemaInfo = z.object({ schema_name: z.string(), table_count: z.number().int() });

export const columnInfo = z.object({
  column_name: z.string(),
  data_type: z.string(),
  is_nullable: z.boolean(),
  column_default: z.string().nullable(),
  ordinal_position: z.number().int(),
});

export const tableInfo = z.object({
  table_name: z.string(),
  columns: z.array(columnInfo),
  /**
   * PostgreSQL's planner estimate (pg_class.reltuples), 0 for a table never analysed; the original returns it
   * too. Only for callers who may read the table's rows (app:{schema}:{table}.read) or hold admin:db.query.
   */
  row_estimate: z.number().optional(),
});

export const queryResult = z.object({
  columns: z.array(z.string()),
  rows: z.array(z.array(z.unknown())),
  /** Rows returned (at most the cap). */
  row_count: z.number().int(),
  /** Rows are missing: the rest were never fetched. */
  truncated: z.boolean(),
  /**
   * Which limit cut the answer: `rows` (more than 500), `bytes` (the rows passed the console's byte budget,
   * 8 MiB as PostgreSQL sends them; the rows before are kept, possibly none), or null when nothing is missing.
   */
  truncated_reason: z.enum(["rows", "bytes"]).nullable(),
});

export type SchemaInfo = z.infer<typeof schemaInfo>;
export type TableInfo = z.infer<typeof tableInfo>;
export type QueryResult = z.infer<typeof queryResult>;
