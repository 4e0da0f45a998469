import { describe, expect, it } from "vitest";
import { parseManifest } from "../src/server/apps/manifest.ts";
import { validateSqlExpression } from "../src/server/apps/sql-expression.ts";
import { CoreError } from "../src/server/errors.ts";

const entity = (fields: unknown[], extra: Record<string, unknown> = {}) => ({ entityName: "item", fields, ...extra });
const m = (dataContract: unknown[], extra: Record<string, unknown> = {}) => ({ appId: "shop", name: "Shop", dataContract, ...extra });

function errorOf(input: unknown): string {
  try {
    parseManifest(input);
  } catch (err) {
    expect(err).toBeInstanceOf(CoreError);
    expect((err as CoreError).status).toBe(400);
    return (err as CoreError).message;
  }
  throw new Error("manifest was accepted");
}

describe("manifest validation names the offending path", () => {
  it.each([
    ["unknown type", m([entity([{ name: "a", type: "text" }]), entity([{ name: "a", type: "text" }, { name: "b", type: "text" }, { name: "c", type: "text" }, { name: "d", type: "nubmer" }], { entityName: "other" })]), 'dataContract[1].fields[3].type: unknown type "nubmer"'],
    ["bad app id", m([], { appId: "Shop" }), 'appId: invalid identifier "Shop"'],
    ["reserved app id", m([], { appId: "rootcx_system" }), 'appId: app id "rootcx_system" is reserved'],
    ["pg schema", m([], { appId: "pg_catalog" }), "is reserved"],
    ["public", m([], { appId: "public" }), "is reserved"],
    ["quote in field", m([entity([{ name: 'a"b', type: "text" }])]), "dataContract[0].fields[0].name: invalid identifier"],
    ["semicolon entity", m([{ entityName: "x;drop", fields: [] }]), "dataContract[0].entityName: invalid identifier"],
    ["space", m([entity([{ name: "first name", type: "text" }])]), "dataContract[0].fields[0].name"],
    ["cyrillic look-alike", m([entity([{ name: "nаme", type: "text" }])]), "dataContract[0].fields[0].name"],
    ["too long", m([entity([{ name: "a".repeat(64), type: "text" }])]), "longer than 63"],
    ["duplicate field", m([entity([{ name: "a", type: "text" }, { name: "a", type: "number" }])]), 'dataContract[0].fields[1].name: duplicate field "a"'],
    ["duplicate entity", m([entity([]), entity([])]), 'dataContract[1].entityName: duplicate entity "item"'],
    ["cross-app reference", m([entity([{ name: "c", type: "entity_link", references: { entity: "crm:contacts" } }])]), "dataContract[0].fields[0].references.entity: cross-app reference"],
    ["unknown reference", m([entity([{ name: "c", type: "entity_link", references: { entity: "ghost" } }])]), 'unknown entity "ghost"'],
    ["link without reference", m([entity([{ name: "c", type: "entity_link" }])]), "needs references.entity"],
    ["bad default", m([entity([{ name: "n", type: "number", default_value: "many" }])]), "dataContract[0].fields[0].default_value: default for a number field must be a finite number"],
    ["object default on text", m([entity([{ name: "n", type: "text", default_value: { a: 1 } }])]), "default_value"],
    ["default outside enum", m([entity([{ name: "s", type: "text", enum_values: ["a"], default_value: "b" }])]), "is not one of enum_values"],
    ["identity half", m([entity([{ name: "e", type: "text" }], { identityKind: "email" })]), "identityKind and identityKey must be set together"],
    ["index unknown column", m([entity([{ name: "e", type: "text" }], { indexes: [{ columns: ["ghost"] }] })]), 'dataContract[0].indexes[0].columns[0]: unknown field "ghost"'],
    ["check injection", m([entity([{ name: "e", type: "text" }], { checks: [{ expr: "true); DROP SCHEMA rootcx_system CASCADE; --" }] })]), "dataContract[0].checks[0].expr"],
    ["check subquery", m([entity([{ name: "e", type: "text" }], { checks: [{ expr: "(SELECT count(*) FROM rootcx_system.users) > 0" }] })]), "dataContract[0].checks[0].expr"],
    ["check function", m([entity([{ name: "e", type: "text" }], { checks: [{ expr: "pg_terminate_backend(1)" }] })]), 'function "pg_terminate_backend" is not allowed'],
    ["index where foreign column", m([entity([{ name: "e", type: "text" }], { indexes: [{ columns: ["e"], where: "password_hash IS NULL" }] })]), 'unknown column "password_hash"'],
    ["on_delete on plain field", m([entity([{ name: "e", type: "text", on_delete: "cascade" }])]), "on_delete needs references"],
    ["not an object", [1, 2], "the manifest must be a JSON object"],
    ["missing name", { appId: "shop" }, "name"],
  ])("%s", (_name, input, message) => {
    expect(errorOf(input)).toContain(message);
  });

  it("accepts the spec's example shapes, onDelete in camelCase and index options", () => {
    const parsed = parseManifest(
      m([
        entity([{ name: "title", type: "text", required: true }, { name: "tags", type: "[text]", default_value: ["a", "b"] }], {
          indexes: [{ name: "idx_title_lower", columns: [{ expr: "lower(title)" }, { column: "created_at", sort: "desc", nulls: "last" }], unique: false, where: "title IS NOT NULL", with: { fillfactor: 80 } }],
          checks: [{ expr: "length(title) <= 200" }],
        }),
        { entityName: "line", fields: [{ name: "item", type: "entity_link", references: { entity: "item", field: "id" }, onDelete: "cascade", required: true }, { name: "owner", type: "entity_link", references: { entity: "core:users" } }] },
      ]),
    );
    expect(parsed.version).toBe("0.0.1");
    expect(parsed.dataContract[1]!.fields[0]!.onDelete).toBe("cascade");
  });
});

describe("SQL expressions in checks and indexes", () => {
  const cols = new Set(["a", "b", "created_at"]);
  it.each(["a > 0", "a IS NOT NULL AND (b = 'x''y' OR b IN ('p', 'q'))", "lower(b) <> ''", "a::integer BETWEEN 1 AND 10", "coalesce(a, 0) >= 0", "created_at > '2020-01-01'::timestamptz", "a::double precision > 1.5"])("accepts %s", (expr) => {
    expect(validateSqlExpression(expr, cols)).toBeNull();
  });
  const STATEMENTS = "comments, semicolons, dollar quotes and backslashes are not allowed in expressions";
  it.each([
    ["a > 0; DROP TABLE x", STATEMENTS],
    ["a > 0 -- comment", STATEMENTS],
    ["a /* c */ > 0", STATEMENTS],
    ["$$x$$", STATEMENTS],
    ["E'\\x'", STATEMENTS],
    ['"a" > 0', "quoted identifiers are not allowed in expressions"],
    ["(SELECT 1) > 0", 'unknown column "SELECT"'],
    ["pg_sleep(10) IS NULL", 'function "pg_sleep" is not allowed in expressions'],
    ["c > 0", 'unknown column "c"'],
    ["a > (", "unbalanced parentheses"],
    ["a > 0)", "unbalanced parentheses"],
    ["'unterminated", "unterminated string literal"],
    ["a::regclass", 'cast to unknown type "regclass"'],
    ["rootcx_system.users", 'unknown column "rootcx_system"'],
    ["a @@ b", 'unexpected character "@"'],
  ])("refuses %s", (expr, reason) => {
    expect(validateSqlExpression(expr, cols)).toBe(reason);
  });
});
