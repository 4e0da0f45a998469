import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fcParams } from "./fast-check.ts";
import { whereArbitrary } from "./where-arbitrary.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

/**
 * Property-based attacks on the install and the Data API: whatever manifests and queries are thrown at them,
 * no 5xx, nothing changes outside the installed apps' schemas, and a user without the read key sees nothing.
 */

let core: TestCore;
let admin: Session;
let nobody: Session;
let db: pg.Pool;
const installed = new Set<string>(["props"]);

const HOSTILE = ['a"b', "x;drop table y", "ｓelect", "nаme", "1abc", "", "a b", "pg_catalog", "rootcx_system", "public", "information_schema", "pg_toast", "core", "id", "created_at", "a\u0000b", "Robert'); DROP TABLE students;--", "$1", "ä", "a".repeat(70), "__proto__", "constructor"];
const identifier = fc.oneof(fc.constantFrom(...HOSTILE), fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), fc.string({ maxLength: 12 }));
const fieldType = fc.oneof(fc.constantFrom("text", "number", "boolean", "date", "timestamp", "json", "file", "uuid", "[text]", "[number]", "entity_link"), fc.constantFrom("nubmer", "TEXT", "text[]", "serial", "int; drop", ""));
const expression = fc.constantFrom("a > 0", "true); DROP SCHEMA rootcx_system CASCADE; --", "(SELECT 1) = 1", "pg_sleep(1) IS NULL", "length(a) < 5", "a IS NOT NULL", "a::regclass IS NULL", "'x' = 'x'", "lo_import('/etc/passwd') > 0");
const jsonScalar = fc.oneof(fc.string({ maxLength: 8 }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null));
const field = fc.record({ name: fc.oneof(fc.constantFrom("a", "b"), identifier), type: fieldType, required: fc.option(fc.boolean(), { nil: undefined }), default_value: fc.option(jsonScalar, { nil: undefined }), enum_values: fc.option(fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), { nil: undefined }), references: fc.option(fc.record({ entity: fc.oneof(identifier, fc.constantFrom("core:users", "crm:contacts", "e0")) }), { nil: undefined }) }, { requiredKeys: ["name", "type"] });
const entity = fc.record({
  entityName: fc.oneof(fc.constantFrom("e0", "e1"), identifier),
  fields: fc.array(field, { maxLength: 4 }),
  checks: fc.option(fc.array(fc.record({ expr: expression }), { maxLength: 2 }), { nil: undefined }),
  indexes: fc.option(fc.array(fc.record({ columns: fc.array(fc.oneof(fc.constantFrom("a", "b"), identifier, fc.record({ expr: expression })), { minLength: 1, maxLength: 2 }), where: fc.option(expression, { nil: undefined }) }), { maxLength: 2 }), { nil: undefined }),
}, { requiredKeys: ["entityName", "fields"] });
const manifest = fc.record({ appId: fc.oneof(fc.stringMatching(/^p[a-z0-9_]{0,6}$/), identifier), name: fc.oneof(fc.string({ maxLength: 10 }), fc.constant(undefined)), dataContract: fc.array(entity, { maxLength: 3 }) });

const value = fc.oneof(jsonScalar, fc.array(jsonScalar, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), jsonScalar, { maxKeys: 2 }), fc.constantFrom("' OR 1=1 --", "00000000-0000-0000-0000-000000000000", "2026-01-01", "NaN"));
const column = fc.oneof(fc.constantFrom("title", "score", "done", "due", "tags", "meta", "id", "created_at"), identifier);
const operator = fc.oneof(fc.constantFrom("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$like", "$ilike", "$in", "$nin", "$contains", "$isNull"), fc.constantFrom("$regex", "$where", "$", "$and", "eq"));
const where = whereArbitrary(column, operator, value);
const queryBody = fc.record({ where: fc.option(where, { nil: undefined }), orderBy: fc.option(column, { nil: undefined }), order: fc.option(fc.constantFrom("asc", "desc", "sideways"), { nil: undefined }), limit: fc.option(fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.constant("10")), { nil: undefined }), offset: fc.option(fc.integer({ min: -1, max: 100 }), { nil: undefined }) });

const FINGERPRINT = `
SELECT md5(string_agg(x, ',' ORDER BY x)) AS fp FROM (
  SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text || ':' || c.relrowsecurity || c.relforcerowsecurity AS x
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname <> ALL($1) AND n.nspname NOT LIKE 'pg_%' AND n.nspname <> 'information_schema'
  UNION ALL SELECT table_schema || '.' || table_name || '.' || column_name || ':' || data_type || ':' || is_nullable || coalesce(column_default, '')
    FROM information_schema.columns WHERE table_schema <> ALL($1) AND table_schema NOT LIKE 'pg_%' AND table_schema <> 'information_schema'
  UNION ALL SELECT schemaname || '.' || tablename || '.' || policyname || coalesce(qual, '') || coalesce(with_check, '') FROM pg_policies WHERE schemaname <> ALL($1)
  UNION ALL SELECT 'ns:' || nspname FROM pg_namespace WHERE nspname <> ALL($1)
  UNION ALL SELECT p.oid::regprocedure::text || md5(p.prosrc) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'rootcx_system'
  UNION ALL SELECT 'role:' || rolname || rolsuper || rolbypassrls FROM pg_roles
  UNION ALL SELECT 'trigger:' || tgname || tgrelid::regclass::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname <> ALL($1) AND NOT t.tgisinternal
) s`;
const fingerprint = async () => (await db.query<{ fp: string }>(FINGERPRINT, [[...installed]])).rows[0]!.fp;

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@props.test");
  nobody = await signUpAndIn(core, "nobody@props.test");
  db = new pg.Pool({ connectionString: core.database.url, max: 2 });
  const res = await api(core, "POST", "/api/v1/apps", {
    appId: "props",
    name: "Props",
    dataContract: [{ entityName: "task", fields: [{ name: "title", type: "text" }, { name: "score", type: "number" }, { name: "done", type: "boolean" }, { name: "due", type: "date" }, { name: "tags", type: "[text]" }, { name: "meta", type: "json" }] }],
  }, admin.accessToken);
  expect(res.status).toBe(200);
  const rows = Array.from({ length: 20 }, (_, i) => ({ title: `t${i}`, score: i, done: i % 2 === 0, due: "2026-01-01", tags: ["a", `t${i}`], meta: { i } }));
  expect((await api(core, "POST", "/api/v1/apps/props/collections/task/bulk", rows, admin.accessToken)).status).toBe(201);
}, 120_000);
afterAll(async () => {
  await db.end();
  await core.dispose();
});

describe("hostile input, generated", () => {
  it("manifests: no 5xx, no change outside the installed apps' schemas", async () => {
    let before = await fingerprint();
    await fc.assert(
      fc.asyncProperty(manifest, async (m) => {
        const verify = await api(core, "POST", "/api/v1/apps/schema/verify", m, admin.accessToken);
        expect(verify.status, JSON.stringify(verify.body)).toBeLessThan(500);
        const res = await api(core, "POST", "/api/v1/apps", m, admin.accessToken);
        expect(res.status, `${JSON.stringify(m)} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
        if (res.status === 200) {
          installed.add(m.appId);
          before = await fingerprint();
        } else {
          expect(await fingerprint()).toBe(before);
        }
      }),
      fcParams({ numRuns: 80 }),
    );
  }, 240_000);

  it("queries: no 5xx for anyone, and nothing visible without the read key", async () => {
    await fc.assert(
      fc.asyncProperty(queryBody, column, value, async (body, filter, filterValue) => {
        const asAdmin = await api(core, "POST", "/api/v1/apps/props/collections/task/query", body, admin.accessToken);
        expect(asAdmin.status, `${JSON.stringify(body)} → ${JSON.stringify(asAdmin.body)}`).toBeLessThan(500);
        const asNobody = await api(core, "POST", "/api/v1/apps/props/collections/task/query", body, nobody.accessToken);
        expect(asNobody.status).toBe(asAdmin.status);
        if (asNobody.status === 200) expect(asNobody.body).toEqual({ data: [], total: 0 });
        const qs = new URLSearchParams([[filter, typeof filterValue === "string" ? filterValue : JSON.stringify(filterValue)]]);
        const list = await api(core, "GET", `/api/v1/apps/props/collections/task?${qs}`, undefined, nobody.accessToken);
        expect(list.status, `${qs} → ${JSON.stringify(list.body)}`).toBeLessThan(500);
        if (list.status === 200) expect(list.body).toEqual([]);
      }),
      fcParams({ numRuns: 250 }),
    );
  }, 240_000);

  it("writes: no 5xx, and a user without keys changes nothing", async () => {
    const count = async () => (await db.query("SELECT count(*)::int AS n, md5(string_agg(to_jsonb(t)::text, '' ORDER BY id)) AS h FROM props.task t")).rows[0];
    const start = await count();
    await fc.assert(
      fc.asyncProperty(fc.dictionary(column, value, { maxKeys: 4 }), async (record) => {
        for (const [method, path, body] of [
          ["POST", "/api/v1/apps/props/collections/task", record],
          ["POST", "/api/v1/apps/props/collections/task/bulk", [record, record]],
          ["PATCH", `/api/v1/apps/props/collections/task/${(await db.query("SELECT id FROM props.task LIMIT 1")).rows[0].id}`, record],
        ] as const) {
          const res = await api(core, method, path, body, nobody.accessToken);
          expect(res.status, `${method} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
          expect([400, 403, 404]).toContain(res.status);
        }
      }),
      fcParams({ numRuns: 100 }),
    );
    expect(await count()).toEqual(start);
  }, 240_000);
});
