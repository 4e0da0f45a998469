import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../src/server/db/migrate.ts";
import { createSystemPrisma } from "../src/server/db/prisma.ts";
import { createLogger } from "../src/server/log.ts";
import { createTestDatabase, type TestDatabase } from "./harness.ts";

// Prisma's own schema parser (the WASM build the CLI uses), so the comparison reads schema.prisma exactly as Prisma does.
const wasm = createRequire(import.meta.url)("@prisma/prisma-schema-wasm") as { get_dmmf(params: string): string };

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "object" | "enum" | "unsupported";
  type: string;
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUnique: boolean;
  hasDefaultValue: boolean;
  isUpdatedAt: boolean;
  nativeType: [string, string[]] | null;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  schema: string | null;
  fields: DmmfField[];
  primaryKey: { fields: string[] } | null;
  uniqueFields: string[][];
}

const models: DmmfModel[] = JSON.parse(
  wasm.get_dmmf(JSON.stringify({ prismaSchema: [["schema.prisma", readFileSync("prisma/schema.prisma", "utf8")]] })),
).datamodel.models;

/** The PostgreSQL type Prisma maps each field to (information_schema's udt_name). */
function expectedUdt(f: DmmfField): string {
  const native = f.nativeType?.[0];
  if (native) {
    const byNative: Record<string, string> = {
      Timestamptz: "timestamptz", Timestamp: "timestamp", VarChar: "varchar", Text: "text", Uuid: "uuid",
      Date: "date", Integer: "int4", SmallInt: "int2", BigInt: "int8", JsonB: "jsonb", Json: "json",
      Inet: "inet", Char: "bpchar", DoublePrecision: "float8", Real: "float4", Decimal: "numeric", ByteA: "bytea", Boolean: "bool",
    };
    return byNative[native] ?? native.toLowerCase();
  }
  const byType: Record<string, string> = {
    String: "text", Int: "int4", BigInt: "int8", Boolean: "bool", DateTime: "timestamp", Json: "jsonb",
    Float: "float8", Decimal: "numeric", Bytes: "bytea",
  };
  return byType[f.type] ?? f.type;
}

let db: TestDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url });
  await migrate(pool, createLogger("silent"));
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe("prisma/schema.prisma matches the migrated database", () => {
  it("models every table of rootcx_system, and nothing more", async () => {
    const { rows } = await pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'rootcx_system' AND table_type = 'BASE TABLE' ORDER BY 1",
    );
    expect(models.map((m) => m.dbName ?? m.name).sort()).toEqual(rows.map((r) => r.table_name));
    for (const m of models) expect(m.schema).toBe("rootcx_system");
  });

  for (const model of models) {
    it(`${model.name}: columns, types, nullability, defaults, keys`, async () => {
      const table = model.dbName ?? model.name;
      const { rows: cols } = await pool.query<{ column_name: string; udt_name: string; is_nullable: string; column_default: string | null; is_identity: string }>(
        `SELECT column_name, udt_name, is_nullable, column_default, is_identity FROM information_schema.columns
          WHERE table_schema = 'rootcx_system' AND table_name = $1`,
        [table],
      );
      const scalars = model.fields.filter((f) => f.kind === "scalar" || f.kind === "enum");
      expect(scalars.map((f) => f.dbName ?? f.name).sort()).toEqual(cols.map((c) => c.column_name).sort());
      for (const f of scalars) {
        const col = cols.find((c) => c.column_name === (f.dbName ?? f.name))!;
        const where = `${model.name}.${f.name}`;
        expect(col.udt_name, where).toBe(f.isList ? `_${expectedUdt(f)}` : expectedUdt(f));
        expect(col.is_nullable === "NO", `${where} NOT NULL`).toBe(f.isRequired);
        // An identity column (autoincrement) has no column_default in information_schema.
        expect(col.column_default !== null || col.is_identity === "YES", `${where} DEFAULT`).toBe(f.hasDefaultValue);
      }

      const { rows: keys } = await pool.query<{ contype: string; cols: string[] }>(
        `SELECT c.contype, array_agg(a.attname::text ORDER BY a.attname) AS cols
           FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
          WHERE c.conrelid = $1::regclass AND c.contype IN ('p', 'u')
          GROUP BY c.oid, c.contype`,
        [`rootcx_system.${table}`],
      );
      const dbName = (name: string) => scalars.find((f) => f.name === name)?.dbName ?? name;
      const pk = model.primaryKey?.fields ?? scalars.filter((f) => f.isId).map((f) => f.name);
      expect(keys.filter((k) => k.contype === "p").map((k) => k.cols)).toEqual([pk.map(dbName).sort()]);
      const uniques = [...scalars.filter((f) => f.isUnique).map((f) => [f.name]), ...model.uniqueFields];
      expect(keys.filter((k) => k.contype === "u").map((k) => k.cols).sort()).toEqual(uniques.map((u) => u.map(dbName).sort()).sort());
    });
  }

  it("lets the generated Prisma client read every model", async () => {
    const prisma = createSystemPrisma(pool);
    expect(await prisma.app.findUnique({ where: { id: "core" } })).toMatchObject({ id: "core", appType: "system" });
    expect((await prisma.config.findMany()).map((c) => c.key)).toEqual(["governance.gateway"]);
    expect(await prisma.auditLog.findMany()).toEqual([]);
    expect((await prisma.auditAnchor.findUnique({ where: { id: 1 } }))?.hash).toBe("0".repeat(64));
    expect((await prisma.schemaMigration.findMany()).length).toBeGreaterThan(0);
  });
});
