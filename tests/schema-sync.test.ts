import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

let core: TestCore;
let admin: Session;
let db: pg.Pool;

type Field = Record<string, unknown>;
const manifest = (fields: Field[], extra: Record<string, unknown> = {}, more: unknown[] = []) => ({
  appId: "crm",
  name: "CRM",
  dataContract: [
    { entityName: "account", fields: [{ name: "title", type: "text", required: true }] },
    { entityName: "contact", fields, ...extra },
    ...more,
  ],
});

const base: Field[] = [
  { name: "name", type: "text", required: true },
  { name: "age", type: "text" },
  { name: "notes", type: "text" },
  { name: "account", type: "entity_link", references: { entity: "account" } },
  { name: "stage", type: "text", enum_values: ["lead", "customer"] },
];

async function column(name: string) {
  const { rows } = await db.query(
    "SELECT data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'crm' AND table_name = 'contact' AND column_name = $1",
    [name],
  );
  return rows[0] as { data_type: string; is_nullable: string; column_default: string | null } | undefined;
}

const verify = async (m: unknown) => (await api(core, "POST", "/api/v1/apps/schema/verify", m, admin.accessToken)).body;
const install = (m: unknown) => api(core, "POST", "/api/v1/apps", m, admin.accessToken);

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@sync.test");
  db = new pg.Pool({ connectionString: core.database.url, max: 2 });
  expect((await install(manifest(base))).status).toBe(200);
  const account = await api(core, "POST", "/api/v1/apps/crm/collections/account", { title: "Acme" }, admin.accessToken);
  const rows = [{ name: "Ann", age: "41", account: account.body.id, stage: "lead" }, { name: "Bob", age: "35", stage: "customer" }];
  expect((await api(core, "POST", "/api/v1/apps/crm/collections/contact/bulk", rows, admin.accessToken)).status).toBe(201);
});
afterAll(async () => {
  await db.end();
  await core.dispose();
});

describe("schema sync", () => {
  it("verify lists every change without applying it", async () => {
    const next = manifest(
      [
        { name: "name", type: "text" },
        { name: "age", type: "number", default_value: 18 },
        { name: "account", type: "entity_link", references: { entity: "account" }, onDelete: "cascade" },
        { name: "stage", type: "text", enum_values: ["lead", "customer", "churned"], required: true, default_value: "lead" },
        { name: "email", type: "text" },
      ],
      { indexes: [{ columns: ["email"], unique: true }], checks: [{ name: "adult", expr: "age >= 18" }] },
    );
    const result = await verify(next);
    expect(result.compliant).toBe(false);
    const summary = result.changes.map((c: { entity: string; change_type: string; column: string | null }) => `${c.entity}.${c.column ?? "-"}:${c.change_type}`).sort();
    expect(summary).toEqual([
      "contact.-:add_check",
      "contact.-:add_index",
      "contact.-:replace_check",
      "contact.account:alter_fk_delete_rule",
      "contact.age:alter_type",
      "contact.email:add_column",
      "contact.name:drop_not_null",
      "contact.notes:drop_column",
      "contact.stage:set_default",
      "contact.stage:set_not_null",
    ]);
    // Nothing applied yet
    expect((await column("age"))!.data_type).toBe("text");
    expect(await column("email")).toBeUndefined();

    const res = await install(next);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.changes).toHaveLength(10);
    expect((await column("age"))!).toMatchObject({ data_type: "double precision", column_default: "'18'::double precision" });
    expect((await column("name"))!.is_nullable).toBe("YES");
    expect((await column("stage"))!).toMatchObject({ is_nullable: "NO", column_default: "'lead'::text" });
    expect(await column("notes")).toBeUndefined();
    const ages = await api(core, "GET", "/api/v1/apps/crm/collections/contact?sort=name&order=asc", undefined, admin.accessToken);
    expect(ages.body.map((r: { age: number }) => r.age)).toEqual([41, 35]);
    expect(await verify(next)).toEqual({ compliant: true, changes: [] });
    // The new rules hold: unique email, the check, the widened enum
    expect(await api(core, "POST", "/api/v1/apps/crm/collections/contact", { age: 10 }, admin.accessToken)).toMatchObject({ status: 400, body: { error: "value violates the check adult" } });
    expect((await api(core, "POST", "/api/v1/apps/crm/collections/contact", { age: 20, stage: "churned", email: "a@b" }, admin.accessToken)).status).toBe(201);
    expect(await api(core, "POST", "/api/v1/apps/crm/collections/contact", { age: 20, email: "a@b" }, admin.accessToken)).toMatchObject({ status: 409, body: { error: "a record with the same unique value already exists" } });
    // cascade: deleting the account now deletes Ann
    const acc = (await api(core, "GET", "/api/v1/apps/crm/collections/account", undefined, admin.accessToken)).body[0];
    expect((await api(core, "DELETE", `/api/v1/apps/crm/collections/account/${acc.id}`, undefined, admin.accessToken)).status).toBe(200);
    const names = (await api(core, "GET", "/api/v1/apps/crm/collections/contact", undefined, admin.accessToken)).body.map((r: { name: string }) => r.name);
    expect(names).not.toContain("Ann");
  });

  it("a change that fails on existing data rolls the whole install back, naming the column", async () => {
    await api(core, "POST", "/api/v1/apps/crm/collections/contact", { age: 30, name: "not-a-number-later" }, admin.accessToken);
    const current = await api(core, "GET", "/api/v1/apps/crm", undefined, admin.accessToken);
    const fields = current.body.dataContract[1].fields.map((f: Field) => (f.name === "name" ? { ...f, type: "number" } : f));
    fields.push({ name: "extra", type: "text" });
    // Counted before anything runs: the text that is not a number would be lost, so install refuses it.
    const refused = await install(manifest(fields, { indexes: [{ columns: ["email"], unique: true }] }));
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/alter_type on contact\.name/);
    // A check over a column the same install adds cannot be counted beforehand: it fails when applied, and
    // everything before it is rolled back.
    const unchanged = current.body.dataContract[1].fields.concat([{ name: "extra", type: "text" }]);
    const res = await install(manifest(unchanged, { indexes: [{ columns: ["email"], unique: true }], checks: [{ name: "has_extra", expr: "extra IS NOT NULL" }] }));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/add_check on contact/);
    expect(await column("extra")).toBeUndefined();
    expect((await column("name"))!.data_type).toBe("text");
    const stored = await api(core, "GET", "/api/v1/apps/crm", undefined, admin.accessToken);
    expect(stored.body.dataContract[1].fields.find((f: Field) => f.name === "name").type).toBe("text");
  });

  it("adds and drops entities, and records every applied change in the history", async () => {
    const current = (await api(core, "GET", "/api/v1/apps/crm", undefined, admin.accessToken)).body;
    const withDeal = { ...current.manifest, dataContract: [...current.manifest.dataContract, { entityName: "deal", fields: [{ name: "amount", type: "number" }], identityKind: "deal_ref", identityKey: "amount" }] };
    const added = await install(withDeal);
    expect(added.body.changes.map((c: { change_type: string }) => c.change_type)).toEqual(["create_table", "add_identity_index", "add_index"]);
    expect((await api(core, "POST", "/api/v1/apps/crm/collections/deal", { amount: 5 }, admin.accessToken)).status).toBe(201);
    // The deal holds a row: dropping it is refused until the request accepts the loss.
    const refused = await install(current.manifest);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/drop_table on deal .*1 row — rows would be deleted/);
    const dropped = await api(core, "POST", "/api/v1/apps?allowDataLoss=true", current.manifest, admin.accessToken);
    expect(dropped.body.changes.map((c: { change_type: string; entity: string }) => `${c.entity}:${c.change_type}`)).toEqual(["deal:drop_table"]);
    expect(await api(core, "GET", "/api/v1/apps/crm/collections/deal", undefined, admin.accessToken)).toMatchObject({ status: 404, body: { error: "entity deal not found in app crm" } });
    const history = await api(core, "GET", "/api/v1/apps/crm/schema/history", undefined, admin.accessToken);
    expect(history.status).toBe(200);
    expect(history.body[0]).toMatchObject({ app_id: "crm", actor_uid: admin.userId, actor_email: "admin@sync.test", changes: [{ entity: "deal", change_type: "drop_table", destructive: true, affectedRows: 1 }] });
    expect(history.body[0].statements).toEqual(['DROP TABLE "crm"."deal"']);
    expect(history.body.length).toBe(4);
  });

  it("leaves alone the tables an app's deploy migrations made: verify and reinstall neither list nor drop them", async () => {
    // As a deploy migration would (workers/migrations.ts runs them as the owner): a table of the app's own, no id.
    await db.query("CREATE TABLE crm.applied_log (entry text NOT NULL, at timestamptz DEFAULT now()); INSERT INTO crm.applied_log (entry) VALUES ('kept')");
    const current = (await api(core, "GET", "/api/v1/apps/crm", undefined, admin.accessToken)).body;
    const verified = await api(core, "POST", "/api/v1/apps/schema/verify", current.manifest, admin.accessToken);
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(verified.body).toMatchObject({ compliant: true, changes: [] });
    const reinstalled = await install(current.manifest);
    expect(reinstalled.status, JSON.stringify(reinstalled.body)).toBe(200);
    expect(reinstalled.body.changes).toEqual([]);
    expect((await db.query("SELECT entry FROM crm.applied_log")).rows).toEqual([{ entry: "kept" }]);
    await db.query("DROP TABLE crm.applied_log");
  });

  it("uninstall drops the schema, keys, roles and secrets, keeps the history; the app can be installed again", async () => {
    const outsider = await signUpAndIn(core, "outsider@sync.test");
    expect(await api(core, "DELETE", "/api/v1/apps/crm", undefined, outsider.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: admin:apps.install" } });
    expect((await api(core, "POST", "/api/v1/apps/crm/secrets", { key: "TOKEN", value: "x" }, admin.accessToken)).status).toBe(200);
    expect((await api(core, "DELETE", "/api/v1/apps/crm", undefined, admin.accessToken)).body).toEqual({ message: "app crm uninstalled" });
    expect((await db.query("SELECT 1 FROM pg_namespace WHERE nspname = 'crm'")).rowCount).toBe(0);
    expect((await db.query("SELECT 1 FROM rootcx_system.rbac_permissions WHERE source_app = 'crm'")).rowCount).toBe(0);
    expect((await db.query("SELECT 1 FROM rootcx_system.rbac_roles WHERE name LIKE 'app:crm:%'")).rowCount).toBe(0);
    expect((await db.query("SELECT 1 FROM rootcx_system.secrets WHERE app_id = 'crm'")).rowCount).toBe(0);
    expect((await db.query("SELECT 1 FROM rootcx_system.schema_history WHERE app_id = 'crm'")).rowCount).toBe(5);
    expect(await api(core, "GET", "/api/v1/apps/crm/collections/contact", undefined, admin.accessToken)).toMatchObject({ status: 404, body: { error: "app crm not found" } });
    expect(await api(core, "DELETE", "/api/v1/apps/crm", undefined, admin.accessToken)).toMatchObject({ status: 404, body: { error: "app crm not found" } });
    expect((await install(manifest(base))).status).toBe(200);
    expect((await api(core, "GET", "/api/v1/apps/crm/collections/contact", undefined, admin.accessToken)).body).toEqual([]);
  });

  it("refuses to take over a schema that belongs to no app", async () => {
    await db.query("CREATE SCHEMA handmade; CREATE TABLE handmade.precious (id int)");
    const res = await install({ appId: "handmade", name: "H", dataContract: [] });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe("schema handmade already exists and belongs to no installed app");
    expect((await db.query("SELECT 1 FROM handmade.precious")).rowCount).toBe(0);
  });
});

describe("install permissions", () => {
  it("needs admin:apps.install once an app exists; platform:apps.create installs and updates its own", async () => {
    const user = await signUpAndIn(core, "self@sync.test");
    const res = await install({ appId: "notes", name: "Notes" }).then(() => api(core, "POST", "/api/v1/apps", { appId: "notes2", name: "Notes" }, user.accessToken));
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("permission required: admin:apps.install");
    await api(core, "POST", "/api/v1/roles", { name: "self-service", permissions: ["platform:apps.create"] }, admin.accessToken);
    await api(core, "POST", "/api/v1/roles/assign", { userId: user.userId, role: "self-service" }, admin.accessToken);
    expect((await api(core, "POST", "/api/v1/apps", { appId: "notes2", name: "Notes", dataContract: [{ entityName: "note", fields: [{ name: "body", type: "text" }] }] }, user.accessToken)).status).toBe(200);
    // the installer holds the app's admin role, so its data is theirs
    expect((await api(core, "POST", "/api/v1/apps/notes2/collections/note", { body: "hi" }, user.accessToken)).status).toBe(201);
    // but not someone else's app
    expect(await api(core, "POST", "/api/v1/apps", { appId: "crm", name: "Mine now" }, user.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: admin:apps.install" } });
    expect(await api(core, "DELETE", "/api/v1/apps/notes2", undefined, user.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: admin:apps.install" } });
  });

  it("on a fresh Core anyone may install the first app", async () => {
    const fresh = await startTestCore();
    try {
      await signUpAndIn(fresh, "first@fresh.test");
      const second = await signUpAndIn(fresh, "second@fresh.test");
      const first = await api(fresh, "POST", "/api/v1/apps", { appId: "first", name: "First" }, second.accessToken);
      expect(first.status).toBe(200);
      expect(await api(fresh, "POST", "/api/v1/apps", { appId: "again", name: "Again" }, second.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: admin:apps.install" } });
    } finally {
      await fresh.dispose();
    }
  });
});
