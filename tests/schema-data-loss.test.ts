import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

/**
 * Schema sync never loses or alters an existing value silently: verify counts the rows each change would touch,
 * install refuses them unless the request accepts the loss, and the history records what was accepted.
 * Each test installs its own app, so the rows it counts are only its own.
 */

let core: TestCore;
let admin: Session;
let db: pg.Pool;

type Field = Record<string, unknown>;
interface Change {
  entity: string;
  change_type: string;
  column: string | null;
  detail: string;
  destructive: boolean;
  blocking: boolean;
  affectedRows: number | null;
  sample: { id: string; value: string | null; becomes?: string | null }[];
}

const app = (appId: string, fields: Field[], more: unknown[] = []) => ({ appId, name: appId, dataContract: [{ entityName: "item", fields }, ...more] });
const install = (m: unknown, query = "", token = admin.accessToken) => api(core, "POST", `/api/v1/apps${query}`, m, token);
const verify = async (m: unknown, token = admin.accessToken) => {
  const res = await api(core, "POST", "/api/v1/apps/schema/verify", m, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { compliant: boolean; changes: Change[] };
};
const only = (changes: Change[], type: string, column: string | null = null) => {
  const found = changes.filter((c) => c.change_type === type && (column === null || c.column === column));
  expect(found, JSON.stringify(changes)).toHaveLength(1);
  return found[0]!;
};

async function installed(m: unknown) {
  const res = await install(m);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** Inserts rows straight into the table (as the owner, past RLS): the test is about what sync does to them. */
async function seed(appId: string, column: string, type: string, values: unknown[]): Promise<string[]> {
  const ids: string[] = [];
  for (const v of values) {
    const { rows } = await db.query(`INSERT INTO ${appId}.item (${column}) VALUES ($1::${type}) RETURNING id::text`, [v]);
    ids.push(rows[0].id);
  }
  return ids;
}

async function values(appId: string, column: string, ids: string[]): Promise<unknown[]> {
  const { rows } = await db.query(`SELECT id::text, ${column} AS v FROM ${appId}.item`);
  const byId = new Map(rows.map((r) => [r.id, r.v]));
  return ids.map((id) => byId.get(id));
}

async function columnType(appId: string, column: string, table = "item"): Promise<string | undefined> {
  const { rows } = await db.query("SELECT data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3", [appId, table, column]);
  return rows[0]?.data_type;
}

async function lastHistory(appId: string) {
  const res = await api(core, "GET", `/api/v1/apps/${appId}/schema/history`, undefined, admin.accessToken);
  expect(res.status).toBe(200);
  return res.body[0] as { changes: Change[] };
}

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@loss.test");
  db = new pg.Pool({ connectionString: core.database.url, max: 2 });
});
afterAll(async () => {
  await db.end();
  await core.dispose();
});

describe("a change that loses values", () => {
  it("[text] → text: verify counts the arrays with more than one element; install refuses, then applies with allowDataLoss and records it", async () => {
    await installed(app("tags1", [{ name: "tags", type: "[text]" }]));
    const ids = await seed("tags1", "tags", "text[]", [["a", "b"], ["c"], null, [], ["x", "y", "z"]]);
    const next = app("tags1", [{ name: "tags", type: "text" }]);

    const change = only((await verify(next)).changes, "alter_type", "tags");
    expect(change).toMatchObject({ destructive: true, blocking: false, affectedRows: 2 });
    expect(change.sample).toEqual(
      [
        { id: ids[0], value: "{a,b}", becomes: "a" },
        { id: ids[4], value: "{x,y,z}", becomes: "x" },
      ].sort((a, b) => a.id!.localeCompare(b.id!)),
    );

    const refused = await install(next);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/alter_type on item\.tags \(text\[\] → text\): 2 rows/);
    expect(refused.body.error).toMatch(/allowDataLoss=true/);
    // Nothing changed: the column, its values, the stored manifest
    expect(await columnType("tags1", "tags")).toBe("ARRAY");
    expect(await values("tags1", "tags", ids)).toEqual([["a", "b"], ["c"], null, [], ["x", "y", "z"]]);
    expect((await api(core, "GET", "/api/v1/apps/tags1", undefined, admin.accessToken)).body.dataContract[0].fields[0].type).toBe("[text]");

    const accepted = await install(next, "?allowDataLoss=true");
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(only(accepted.body.changes, "alter_type", "tags")).toMatchObject({ destructive: true, affectedRows: 2 });
    expect(await columnType("tags1", "tags")).toBe("text");
    expect(await values("tags1", "tags", ids)).toEqual(["a", "c", null, null, "x"]);
    const history = await lastHistory("tags1");
    expect(history.changes).toEqual([{ entity: "item", change_type: "alter_type", column: "tags", detail: "text[] → text", destructive: true, affectedRows: 2 }]);
  });

  it("text → number counts values that are not numbers or would not read back the same; accepted, those become NULL", async () => {
    await installed(app("num1", [{ name: "code", type: "text" }]));
    const ids = await seed("num1", "code", "text", ["41", "abc", "0612", null, "2.5", "1e400"]);
    const next = app("num1", [{ name: "code", type: "number" }]);
    const change = only((await verify(next)).changes, "alter_type", "code");
    expect(change).toMatchObject({ destructive: true, affectedRows: 3 });
    expect(change.sample.map((s) => [s.value, s.becomes]).sort()).toEqual([["0612", "612"], ["1e400", null], ["abc", null]]);
    const refused = await install(next);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/item\.code.*3 rows/);
    expect(await values("num1", "code", ids)).toEqual(["41", "abc", "0612", null, "2.5", "1e400"]);
    expect((await install(next, "?allowDataLoss=true")).status).toBe(200);
    expect(await values("num1", "code", ids)).toEqual([41, null, 612, null, 2.5, null]);
  });

  it("text → number, boolean, uuid, date or timestamp counts every text the new type would not write back as it was", async () => {
    const cases: { type: string; kept: string[]; altered: string[]; nulled: string[] }[] = [
      { type: "number", kept: ["41", "-2.5"], altered: [" 41", "1.50"], nulled: ["NaN", "Infinity", "-Infinity"] },
      { type: "boolean", kept: ["true", "false"], altered: ["TRUE", "t", "1"], nulled: [] },
      { type: "uuid", kept: ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"], altered: ["A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"], nulled: [] },
      { type: "date", kept: ["2024-01-02"], altered: ["today", "yesterday", "epoch", "1/2/2024"], nulled: ["infinity"] },
      { type: "timestamp", kept: ["2024-01-02T10:00:00Z", "2024-01-02 10:00:00+01:00"], altered: ["epoch", "now", "1/2/2024 10:00"], nulled: ["-infinity", "infinity"] },
    ];
    for (const [i, c] of cases.entries()) {
      const appId = `strict${i}`;
      await installed(app(appId, [{ name: "v", type: "text" }]));
      const ids = await seed(appId, "v", "text", [...c.kept, ...c.altered, ...c.nulled]);
      const next = app(appId, [{ name: "v", type: c.type }]);
      const change = only((await verify(next)).changes, "alter_type", "v");
      expect(change, c.type).toMatchObject({ destructive: true, affectedRows: c.altered.length + c.nulled.length });
      expect(change.sample.map((s) => s.value).sort(), c.type).toEqual([...c.altered, ...c.nulled].sort().slice(0, 5));
      expect((await install(next)).status, c.type).toBe(409);
      expect((await install(next, "?allowDataLoss=true")).status, c.type).toBe(200);
      const after = await values(appId, "v", ids);
      expect(after.slice(c.kept.length + c.altered.length), c.type).toEqual(c.nulled.map(() => null));
      expect(after.slice(0, c.kept.length + c.altered.length).every((v) => v !== null), c.type).toBe(true);
    }
  });

  it("number → json counts a negative zero, which jsonb cannot hold", async () => {
    await installed(app("negzero", [{ name: "v", type: "number" }]));
    await seed("negzero", "v", "double precision", ["-0", "0", "1.5"]);
    expect(only((await verify(app("negzero", [{ name: "v", type: "json" }]))).changes, "alter_type", "v")).toMatchObject({ destructive: true, affectedRows: 1, sample: [{ value: "-0" }] });
  });

  it("timestamp → date counts the values that hold a time of day", async () => {
    await installed(app("ts1", [{ name: "at", type: "timestamp" }]));
    const { rows } = await db.query("SELECT '2024-01-02'::date::timestamptz::text AS midnight");
    const ids = await seed("ts1", "at", "timestamptz", ["2024-01-01T10:30:00Z", rows[0].midnight, null]);
    const next = app("ts1", [{ name: "at", type: "date" }]);
    const change = only((await verify(next)).changes, "alter_type", "at");
    expect(change).toMatchObject({ destructive: true, affectedRows: 1 });
    expect(change.sample.map((s) => s.id)).toEqual([ids[0]]);
    expect((await install(next)).status).toBe(409);
    expect((await install(next, "?allowDataLoss=true")).status).toBe(200);
    expect(await columnType("ts1", "at")).toBe("date");
  });

  it("removing an enum value counts the rows holding it; accepted, they take the default", async () => {
    const stage = { name: "stage", type: "text", enum_values: ["lead", "customer", "churned"] };
    await installed(app("enum1", [stage]));
    const ids = await seed("enum1", "stage", "text", ["lead", "churned", "churned", null]);
    const next = app("enum1", [{ ...stage, enum_values: ["lead", "customer"], default_value: "lead" }]);
    const change = only((await verify(next)).changes, "replace_check");
    expect(change).toMatchObject({ column: null, destructive: true, affectedRows: 2 });
    expect(change.detail).toMatch(/^enum_stage: /);
    expect(change.sample.map((s) => [s.value, s.becomes])).toEqual([["churned", "lead"], ["churned", "lead"]]);
    const refused = await install(next);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/replace_check on item \(enum_stage: .*\): 2 rows — rows hold a value no longer in enum_values/);
    expect(await values("enum1", "stage", ids)).toEqual(["lead", "churned", "churned", null]);
    expect((await install(next, "?allowDataLoss=true")).status).toBe(200);
    expect(await values("enum1", "stage", ids)).toEqual(["lead", "lead", "lead", null]);
    expect(only((await lastHistory("enum1")).changes, "replace_check")).toMatchObject({ destructive: true, affectedRows: 2 });
  });

  it("dropping a column counts the rows that hold a value in it", async () => {
    await installed(app("col1", [{ name: "keep", type: "text" }, { name: "notes", type: "text" }]));
    await seed("col1", "notes", "text", ["remember me", null, "me too"]);
    const next = app("col1", [{ name: "keep", type: "text" }]);
    const change = only((await verify(next)).changes, "drop_column", "notes");
    expect(change).toMatchObject({ destructive: true, affectedRows: 2 });
    expect(change.sample.map((s) => s.value).sort()).toEqual(["me too", "remember me"]);
    const refused = await install(next);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/drop_column on item\.notes.*2 rows/);
    expect(await columnType("col1", "notes")).toBe("text");
    expect((await install(next, "?allowDataLoss=true")).status).toBe(200);
    expect(await columnType("col1", "notes")).toBeUndefined();
  });

  it("dropping an entity counts its rows", async () => {
    const note = { entityName: "note", fields: [{ name: "body", type: "text" }] };
    await installed(app("ent1", [{ name: "title", type: "text" }], [note]));
    await db.query("INSERT INTO ent1.note (body) VALUES ('a'), ('b'), (NULL)");
    const next = app("ent1", [{ name: "title", type: "text" }]);
    const change = only((await verify(next)).changes, "drop_table");
    expect(change).toMatchObject({ entity: "note", destructive: true, affectedRows: 3 });
    expect(change.sample).toHaveLength(3);
    expect(JSON.parse(change.sample.find((s) => s.value?.includes('"a"'))!.value!)).toMatchObject({ body: "a" });
    const refused = await install(next);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/drop_table on note.*3 rows — rows would be deleted/);
    expect((await db.query("SELECT count(*)::int AS n FROM ent1.note")).rows[0].n).toBe(3);
    expect((await install(next, "?allowDataLoss=true")).status).toBe(200);
    expect((await db.query("SELECT 1 FROM pg_class WHERE oid = to_regclass('ent1.note')")).rowCount).toBe(0);
    expect((await lastHistory("ent1")).changes).toEqual([{ entity: "note", change_type: "drop_table", column: null, detail: "drop table note and its rows", destructive: true, affectedRows: 3 }]);
  });
});

describe("a change that loses nothing", () => {
  it("on an empty table, or a column holding only NULLs, is not destructive and installs without the flag", async () => {
    const note = { entityName: "note", fields: [{ name: "body", type: "text" }] };
    await installed(app("empty1", [{ name: "tags", type: "[text]" }, { name: "code", type: "text" }, { name: "gone", type: "text" }], [note]));
    await seed("empty1", "tags", "text[]", [null, null]);
    const next = app("empty1", [{ name: "tags", type: "text" }, { name: "code", type: "number" }]);
    const result = await verify(next);
    expect(result.changes.map((c) => `${c.entity}.${c.column ?? "-"}:${c.change_type}`).sort()).toEqual(["item.code:alter_type", "item.gone:drop_column", "item.tags:alter_type", "note.-:drop_table"]);
    for (const c of result.changes) expect(c, JSON.stringify(c)).toMatchObject({ destructive: false, blocking: false, affectedRows: 0, sample: [] });
    const res = await install(next);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await columnType("empty1", "tags")).toBe("text");
  });

  it("lossless conversions (number → text, text → [text], anything → json) with data are not destructive", async () => {
    await installed(app("safe1", [{ name: "n", type: "number" }, { name: "t", type: "text" }, { name: "j", type: "boolean" }]));
    await db.query("INSERT INTO safe1.item (n, t, j) VALUES (0.1, 'x', true), (12345678901234567, NULL, false), (NULL, 'y', NULL)");
    const next = app("safe1", [{ name: "n", type: "text" }, { name: "t", type: "[text]" }, { name: "j", type: "json" }]);
    const result = await verify(next);
    expect(result.changes).toHaveLength(3);
    for (const c of result.changes) expect(c, JSON.stringify(c)).toMatchObject({ change_type: "alter_type", destructive: false, affectedRows: 0 });
    expect((await install(next)).status).toBe(200);
    const { rows } = await db.query("SELECT n, t, j FROM safe1.item ORDER BY n NULLS LAST");
    expect(rows).toEqual([
      { n: "0.1", t: ["x"], j: true },
      { n: "1.2345678901234568e+16", t: null, j: false },
      { n: null, t: ["y"], j: null },
    ]);
  });

  it("dropping a default is not data loss", async () => {
    await installed(app("def1", [{ name: "s", type: "text", default_value: "x" }]));
    await seed("def1", "s", "text", ["x"]);
    const change = only((await verify(app("def1", [{ name: "s", type: "text" }]))).changes, "drop_default", "s");
    expect(change).toMatchObject({ destructive: false, affectedRows: 0 });
    expect((await install(app("def1", [{ name: "s", type: "text" }]))).status).toBe(200);
  });
});

describe("a change existing rows block", () => {
  it("a newly required field with NULLs is reported and refused with 409 whatever the flag, naming the rows", async () => {
    await installed(app("req1", [{ name: "name", type: "text" }]));
    await seed("req1", "name", "text", ["Ann", null]);
    const next = app("req1", [{ name: "name", type: "text", required: true }]);
    const change = only((await verify(next)).changes, "set_not_null", "name");
    expect(change).toMatchObject({ destructive: false, blocking: true, affectedRows: 1 });
    for (const query of ["", "?allowDataLoss=true"]) {
      const res = await install(next, query);
      expect(res.status).toBe(409);
      expect(res.body.error).toMatch(/existing rows prevent this schema change: set_not_null on item\.name \(required\): 1 row — rows hold NULL/);
    }
    await db.query("UPDATE req1.item SET name = 'Bob' WHERE name IS NULL");
    expect((await install(next)).status).toBe(200);
  });

  it("a new unique index over duplicates, and a required field added to a table with rows, are refused", async () => {
    await installed(app("uniq1", [{ name: "email", type: "text" }]));
    await seed("uniq1", "email", "text", ["a@x", "a@x", "b@x", null, null]);
    const unique = { ...app("uniq1", [{ name: "email", type: "text" }]), dataContract: [{ entityName: "item", fields: [{ name: "email", type: "text" }], indexes: [{ columns: ["email"], unique: true }] }] };
    const change = only((await verify(unique)).changes, "add_index");
    expect(change).toMatchObject({ blocking: true, affectedRows: 2 });
    const res = await install(unique, "?allowDataLoss=true");
    expect(res.status).toBe(409);
    expect(res.body.error).toMatch(/add_index on item.*2 rows — rows share a value/);

    const required = app("uniq1", [{ name: "email", type: "text" }, { name: "owner", type: "text", required: true }]);
    expect(only((await verify(required)).changes, "add_column", "owner")).toMatchObject({ blocking: true, affectedRows: 5 });
    expect((await install(required)).status).toBe(409);
    const withDefault = app("uniq1", [{ name: "email", type: "text" }, { name: "owner", type: "text", required: true, default_value: "nobody" }]);
    expect((await install(withDefault)).status).toBe(200);
  });
});

describe("a change existing rows block (references)", () => {
  it("a new reference over values that name no record is refused with their count", async () => {
    const account = { entityName: "account", fields: [{ name: "title", type: "text" }] };
    await installed(app("ref1", [{ name: "owner", type: "uuid" }], [account]));
    const { rows } = await db.query("INSERT INTO ref1.account (title) VALUES ('Acme') RETURNING id::text");
    await seed("ref1", "owner", "uuid", [rows[0].id, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", null]);
    const linked = app("ref1", [{ name: "owner", type: "entity_link", references: { entity: "account" } }], [account]);
    const change = only((await verify(linked)).changes, "add_foreign_key", "owner");
    expect(change).toMatchObject({ blocking: true, affectedRows: 1, sample: [{ value: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" }] });
    const res = await install(linked, "?allowDataLoss=true");
    expect(res.status).toBe(409);
    expect(res.body.error).toMatch(/add_foreign_key on item\.owner .*1 row — rows reference records that do not exist/);
    await db.query("UPDATE ref1.item SET owner = NULL WHERE owner = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'");
    expect((await install(linked)).status).toBe(200);
  });
});

describe("adapters", () => {
  it("tRPC install takes { manifest, allowDataLoss }; the REST flag refuses a value it cannot read", async () => {
    await installed(app("trpc1", [{ name: "notes", type: "text" }]));
    await seed("trpc1", "notes", "text", ["keep"]);
    const next = app("trpc1", []);
    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    await expect(client.apps.install.mutate(next)).rejects.toThrow(/drop_column on item\.notes .*1 row/);
    await expect(client.apps.install.mutate({ manifest: next, allowDataLoss: false })).rejects.toThrow(/would lose or alter existing data/);
    const bad = await install(next, "?allowDataLoss=yes");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/allowDataLoss must be "true" or "false"/);
    const res = await client.apps.install.mutate({ manifest: next, allowDataLoss: true });
    expect(res.changes).toEqual([{ entity: "item", change_type: "drop_column", column: "notes", detail: "drop notes (text) and its values", destructive: true, affectedRows: 1 }]);
  });

  it("verify shows row counts and values only to whoever may install the app; others learn only that a change is destructive", async () => {
    await installed(app("priv1", [{ name: "secret", type: "text" }]));
    await seed("priv1", "secret", "text", ["s3cr3t"]);
    const outsider = await signUpAndIn(core, "outsider@loss.test");
    const next = app("priv1", []);
    expect(only((await verify(next, outsider.accessToken)).changes, "drop_column")).toMatchObject({ destructive: true, affectedRows: null, blocking: null, sample: [] });
    expect(only((await verify(next)).changes, "drop_column")).toMatchObject({ affectedRows: 1, sample: [{ value: "s3cr3t" }] });
  });

  it("verify's answer to someone who may not install the app does not depend on the rows, so guesses about them learn nothing", async () => {
    await installed(app("priv2", [{ name: "secret", type: "text" }, { name: "kind", type: "text" }]));
    await seed("priv2", "secret", "text", ["topsecret"]);
    const outsider = await signUpAndIn(core, "guesser@loss.test");
    const fields: Field[] = [{ name: "secret", type: "text" }, { name: "kind", type: "text" }];
    const guess = (value: string) => [{ entityName: "item", fields, checks: [{ name: "g", expr: `secret <> '${value}'` }] }];
    const answers = async (token: string) => {
      const right = await verify({ ...app("priv2", []), dataContract: guess("topsecret") }, token);
      const wrong = await verify({ ...app("priv2", []), dataContract: guess("topsecreu") }, token);
      return [only(right.changes, "add_check"), only(wrong.changes, "add_check")];
    };
    const [adminRight, adminWrong] = await answers(admin.accessToken);
    // The installer is told what the rows do: the right guess is blocked by a row, the wrong one is not.
    expect([adminRight!.blocking, adminWrong!.blocking]).toEqual([true, false]);
    const [right, wrong] = await answers(outsider.accessToken);
    expect(right).toMatchObject({ blocking: null, destructive: false, affectedRows: null, sample: [] });
    const facts = (c: Change) => ({ destructive: c.destructive, blocking: c.blocking, affectedRows: c.affectedRows, sample: c.sample });
    expect(facts(wrong!)).toEqual(facts(right!));
  });
});

describe("every type change between field types", () => {
  // Values of each type that a conversion may keep, alter or be unable to read, NULL always among them.
  const samples: Record<string, { pg: string; values: (string | null)[] }> = {
    text: { pg: "text", values: ["hello", "41", "0612", "true", "2024-01-01", "2024-01-01 10:00:00+00", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", '{"a":1}', "1e400", "", null] },
    number: { pg: "double precision", values: ["0.1", "41", "-3", "1e300", "1", "0", null] },
    boolean: { pg: "boolean", values: ["true", "false", null] },
    date: { pg: "date", values: ["2024-01-01", "1999-12-31", null] },
    timestamp: { pg: "timestamp with time zone", values: ["2024-01-01 10:00:00+00", "2024-01-02 00:00:00", null] },
    uuid: { pg: "uuid", values: ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", null] },
    json: { pg: "jsonb", values: ['"s"', "41", "true", '{"a":1}', "[1,2]", '"2024-01-01"', null] },
    "[text]": { pg: "text[]", values: ["{}", "{a}", "{a,b}", "{41}", null] },
    "[number]": { pg: "double precision[]", values: ["{}", "{1}", "{1,2}", "{0.5}", null] },
  };
  const types = Object.keys(samples);
  const pairs = types.flatMap((from, i) => types.flatMap((to, j) => (i === j ? [] : [{ from, to, entity: `p_${i}_${j}` }])));
  const contract = (pick: (p: (typeof pairs)[number]) => string) => ({ appId: "matrix", name: "matrix", dataContract: pairs.map((p) => ({ entityName: p.entity, fields: [{ name: "v", type: pick(p) }] })) });

  it("converts every pair without failing, counts every value it turns into NULL, and none for lossless targets", async () => {
    await installed(contract((p) => p.from));
    for (const p of pairs) {
      const { pg: type, values: vals } = samples[p.from]!;
      await db.query(`INSERT INTO matrix.${p.entity} (v) SELECT x::${type} FROM unnest($1::text[]) AS x`, [vals]);
      await db.query(`CREATE TABLE matrix_${p.entity}_before AS SELECT id, v FROM matrix.${p.entity}`);
    }
    const next = contract((p) => p.to);
    const verified = await verify(next);
    const counted = new Map(verified.changes.filter((c) => c.change_type === "alter_type").map((c) => [c.entity, c]));
    expect(counted.size).toBe(pairs.length);
    expect((await install(next)).status).toBe(409);
    const res = await install(next, "?allowDataLoss=true");
    expect(res.status, JSON.stringify(res.body)).toBe(200);

    const problems: string[] = [];
    for (const p of pairs) {
      const change = counted.get(p.entity)!;
      // A value lost to NULL (an empty array, or JSON null, carries no value to lose).
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM matrix.${p.entity} a JOIN matrix_${p.entity}_before b USING (id)
          WHERE a.v IS NULL AND b.v IS NOT NULL AND b.v::text NOT IN ('{}', 'null')`,
      );
      if (rows[0].n > change.affectedRows!) problems.push(`${p.from} → ${p.to}: ${rows[0].n} values became NULL, ${change.affectedRows} counted`);
      if ((p.to === "text" || p.to === "json") && !(p.from === "[text]" || p.from === "[number]") && change.affectedRows !== 0) {
        problems.push(`${p.from} → ${p.to} is lossless but counted ${change.affectedRows}`);
      }
      if (change.affectedRows! > 0 && !change.destructive) problems.push(`${p.from} → ${p.to}: rows counted but not destructive`);
    }
    expect(problems).toEqual([]);
  });
});

describe("counting and applying are one step", () => {
  it("a write that commits while the install waits for the table is counted, not silently dropped", async () => {
    await installed(app("race1", [{ name: "keep", type: "text" }, { name: "notes", type: "text" }]));
    const next = app("race1", [{ name: "keep", type: "text" }]);
    expect(only((await verify(next)).changes, "drop_column", "notes")).toMatchObject({ destructive: false, affectedRows: 0 });
    const writer = await db.connect();
    try {
      await writer.query("BEGIN");
      await writer.query("INSERT INTO race1.item (notes) VALUES ('written meanwhile')");
      const pending = install(next);
      // The install now waits for the writer's lock on the table (granted = false).
      for (let i = 0; ; i++) {
        const { rows } = await db.query("SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'race1.item'::regclass AND NOT granted");
        if (rows[0].n > 0) break;
        if (i > 200) throw new Error("the install never waited for the table");
        await new Promise((r) => setTimeout(r, 25));
      }
      await writer.query("COMMIT");
      const res = await pending;
      expect(res.status, JSON.stringify(res.body)).toBe(409);
      expect(res.body.error).toMatch(/drop_column on item\.notes .*1 row/);
    } finally {
      writer.release();
    }
    expect((await db.query("SELECT notes FROM race1.item")).rows).toEqual([{ notes: "written meanwhile" }]);
  });
});
