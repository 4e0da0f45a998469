import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archiveAudit } from "../src/server/governance/audit-service.ts";
import { api, PASSWORD, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

// Every administrative change lands in the one hash-chained audit log, once, with actor, target and action;
// secret values and password hashes never do; GET /audit pages numerically, newest first.

let core: TestCore;
let owner: pg.Client;
let admin: Session;

const SECRET_VALUE = "sk-live-4f1c9a7e2b-NEVER-IN-THE-LOG";
const PLATFORM_VALUE = "platform-value-93e1d0c5-NEVER-IN-THE-LOG";
const NEW_PASSWORD = "Reset-Password-77x";

const crm = (fields: { name: string; type: string }[]) => ({
  appId: "crm",
  name: "CRM",
  version: fields.length > 1 ? "0.2.0" : "0.1.0",
  dataContract: [{ entityName: "deal", fields }],
});

beforeAll(async () => {
  core = await startTestCore();
  owner = new pg.Client({ connectionString: core.database.url });
  await owner.connect();
  admin = await signUpAndIn(core, "admin@events.test");
});
afterAll(async () => {
  await owner?.end();
  await core?.dispose();
});

/** As the admin, or anonymously with `null`. */
const call = (method: string, path: string, body?: unknown, s: Session | null = admin) => api(core, method, `/api/v1${path}`, body, s?.accessToken);
const ok = async (method: string, path: string, body?: unknown, s: Session | null = admin) => {
  const r = await call(method, path, body, s);
  expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
  return r.body;
};
const maxId = async () => (await owner.query<{ id: string }>("SELECT coalesce(max(id), 0)::text AS id FROM rootcx_system.audit_log")).rows[0]!.id;

interface EventRow {
  operation: string;
  table_name: string;
  record_id: string | null;
  actor_uid: string | null;
  old_record: Record<string, unknown> | null;
  new_record: Record<string, unknown> | null;
}

/** The administrative events after `mark` (not the role and assignment rows their triggers also write). */
async function eventsAfter(mark: string): Promise<EventRow[]> {
  const { rows } = await owner.query<EventRow>(
    `SELECT operation, table_name, record_id, actor_uid::text, old_record, new_record FROM rootcx_system.audit_log
      WHERE id > $1 AND (operation LIKE '%.%' OR operation = 'ARCHIVE') ORDER BY id`,
    [mark],
  );
  return rows;
}

describe("administrative changes in the audit log", () => {
  it("records the first user's registration with the user as its own actor", async () => {
    const { rows } = await owner.query<EventRow>(
      "SELECT operation, table_name, record_id, actor_uid::text, new_record FROM rootcx_system.audit_log WHERE operation = 'user.register' ORDER BY id",
    );
    expect(rows).toEqual([
      { operation: "user.register", table_name: "users", record_id: admin.userId, actor_uid: admin.userId, new_record: { email: "admin@events.test", display_name: null, role: "admin" } },
    ]);
  });

  it("records every listed action exactly once, with actor, target and action, in order", async () => {
    const mark = await maxId();
    // Created by a signed-in administrator, then a self-registration.
    const created = await ok("POST", "/auth/register", { email: "carol@events.test", password: PASSWORD });
    const bob = (await ok("POST", "/auth/register", { email: "bob@events.test", password: PASSWORD }, null)).user.id as string;
    await signUpAndIn(core, "bob@events.test");
    await ok("POST", `/users/${bob}/disable`);
    await ok("POST", `/users/${bob}/enable`);
    await ok("POST", `/users/${bob}/password`, { password: NEW_PASSWORD });
    const bobSession = await signUpAndIn(core, "bob@events.test", NEW_PASSWORD);
    const [session] = (await ok("GET", `/users/${bob}/sessions`)) as { id: string }[];
    await ok("DELETE", `/users/${bob}/sessions/${session!.id}`);
    await ok("POST", "/apps", crm([{ name: "title", type: "text" }]));
    await ok("POST", "/apps/crm/secrets", { key: "API_KEY", value: SECRET_VALUE });
    await ok("POST", "/platform/secrets", { key: "SMTP_PASSWORD", value: PLATFORM_VALUE });
    await ok("DELETE", "/apps/crm/secrets/API_KEY");
    await ok("DELETE", "/platform/secrets/SMTP_PASSWORD");
    await ok("POST", "/apps", crm([{ name: "title", type: "text" }, { name: "amount", type: "number" }]));
    const rotation = await ok("POST", "/platform/vault/rotate", {});
    await ok("POST", "/audit/archive", { before: "2000-01-01T00:00:00Z" });
    await ok("DELETE", `/users/${created.user.id}`);
    await ok("DELETE", "/apps/crm");
    expect(bobSession.userId).toBe(bob);

    const events = await eventsAfter(mark);
    expect(events.map((e) => [e.operation, e.table_name, e.record_id, e.actor_uid])).toEqual([
      ["user.create", "users", created.user.id, admin.userId],
      ["user.register", "users", bob, bob],
      ["user.disable", "users", bob, admin.userId],
      ["user.enable", "users", bob, admin.userId],
      ["user.password_reset", "users", bob, admin.userId],
      ["session.revoke", "sessions", session!.id, admin.userId],
      ["app.install", "apps", "crm", admin.userId],
      ["secret.set", "secrets", "crm:API_KEY", admin.userId],
      ["secret.set", "secrets", "_platform:SMTP_PASSWORD", admin.userId],
      ["secret.delete", "secrets", "crm:API_KEY", admin.userId],
      ["secret.delete", "secrets", "_platform:SMTP_PASSWORD", admin.userId],
      ["app.reinstall", "apps", "crm", admin.userId],
      ["vault.rotate", "vault_keys", String(rotation.version), admin.userId],
      ["ARCHIVE", "audit_log", null, admin.userId],
      ["user.delete", "users", created.user.id, admin.userId],
      ["app.uninstall", "apps", "crm", admin.userId],
    ]);
    const by = (op: string) => events.filter((e) => e.operation === op);
    expect(by("user.create")[0]!.new_record).toEqual({ email: "carol@events.test", display_name: null, role: "base" });
    expect(by("user.disable")[0]!.new_record).toEqual({ email: "bob@events.test", sessions_ended: 1 });
    expect(by("user.password_reset")[0]!.new_record).toEqual({ email: "bob@events.test", sessions_ended: 0 });
    expect(by("secret.set")[0]!.new_record).toEqual({ scope: "crm", key: "API_KEY" });
    expect(by("app.reinstall")[0]!.new_record).toMatchObject({
      version: "0.2.0",
      previous_version: "0.1.0",
      changes: [expect.objectContaining({ entity: "deal", column: "amount", change_type: "add_column" })],
    });
    expect(by("vault.rotate")[0]!.new_record).toMatchObject({ version: rotation.version, resumed: false });
    expect(by("ARCHIVE")[0]!.new_record).toMatchObject({ removed: 0, requested_by: admin.userId });
    expect(by("user.delete")[0]!.old_record).toEqual({ email: "carol@events.test", disabled: false });

    // The chain still verifies with every one of them in it.
    expect((await call("GET", "/audit/verify")).body).toMatchObject({ ok: true });
  });

  it("writes no audit row for a refused change", async () => {
    const mark = await maxId();
    expect((await call("DELETE", "/platform/secrets/NOPE")).status).toBe(404);
    const last = await call("POST", `/users/${admin.userId}/disable`);
    expect(last.status).toBe(400);
    expect(last.body).toEqual({ error: "cannot disable the last admin" });
    expect(await eventsAfter(mark)).toEqual([]);
  });

  it("never puts a secret value, a password or a password hash in the log", async () => {
    const { rows: hashes } = await owner.query<{ password_hash: string }>("SELECT password_hash FROM rootcx_system.users WHERE password_hash IS NOT NULL");
    expect(hashes.length).toBeGreaterThanOrEqual(2);
    const { rows } = await owner.query<{ text: string; n: number }>("SELECT string_agg(a::text, E'\\n') AS text, count(*)::int AS n FROM rootcx_system.audit_log a");
    expect(rows[0]!.n).toBeGreaterThan(20);
    const log = rows[0]!.text;
    for (const needle of [SECRET_VALUE, PLATFORM_VALUE, NEW_PASSWORD, PASSWORD, "$argon2", ...hashes.map((h) => h.password_hash)]) {
      expect(log.includes(needle), needle).toBe(false);
    }
    // The log does name the secrets' keys, so the search above reads the rows that could have leaked.
    expect(log).toContain("SMTP_PASSWORD");
  });

  it("filters by action, actor and target over REST", async () => {
    const r = await call("GET", `/audit?action=secret.set&actor=${admin.userId}`);
    expect(r.status).toBe(200);
    expect(r.body.map((e: EventRow) => e.record_id)).toEqual(["_platform:SMTP_PASSWORD", "crm:API_KEY"]);
    const t = await call("GET", "/audit?target=crm&action__contains=app.");
    expect(t.body.map((e: EventRow) => e.operation)).toEqual(["app.uninstall", "app.reinstall", "app.install"]);
    const bad = await call("GET", "/audit?actor=nobody");
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: "actor: not a uuid" });
  });
});

describe("GET /audit paging", () => {
  it("orders ids numerically, newest first, and `before` visits every row exactly once (> 100 rows)", async () => {
    await owner.query(
      "SELECT rootcx_system.audit_append('paging', 't', i::text, 'INSERT', NULL, jsonb_build_object('i', i)) FROM generate_series(1, 130) AS i",
    );
    // Ordered by the bigint column itself (a bare "ORDER BY id" would sort the text alias).
    const { rows } = await owner.query<{ id: string }>("SELECT a.id::text AS id FROM rootcx_system.audit_log a ORDER BY a.id DESC");
    expect(rows.length).toBeGreaterThan(100);
    const all = rows.map((r) => r.id);

    const first = await call("GET", "/audit");
    expect(first.body).toHaveLength(100);
    expect(first.body.map((e: { id: string }) => e.id)).toEqual(all.slice(0, 100));

    for (const limit of [7, 100]) {
      const seen: string[] = [];
      let before: string | undefined;
      for (let page = 0; page < 200; page++) {
        const r = await call("GET", `/audit?limit=${limit}${before ? `&before=${before}` : ""}`);
        expect(r.status).toBe(200);
        const ids = (r.body as { id: string }[]).map((e) => e.id);
        seen.push(...ids);
        if (ids.length < limit) break;
        before = ids[ids.length - 1];
      }
      expect(seen).toEqual(all);
    }
    const asc = await call("GET", "/audit?order=asc&limit=1000");
    expect(asc.body.map((e: { id: string }) => e.id)).toEqual([...all].reverse());
  });
});

describe("scheduled retention", () => {
  it("records a scheduled run that removed rows, with no actor and its trigger named; one that removed nothing changed nothing", async () => {
    const mark = await maxId();
    expect(await archiveAudit(core.core, null, new Date("2000-01-01T00:00:00Z"))).toMatchObject({ removed: 0 });
    expect(await eventsAfter(mark)).toEqual([]);
    const result = await archiveAudit(core.core, null, new Date(Date.now() + 1000));
    expect(result.removed).toBeGreaterThan(100);
    const { rows } = await owner.query("SELECT operation, actor_uid, trigger_ref, new_record FROM rootcx_system.audit_log");
    expect(rows).toEqual([
      { operation: "ARCHIVE", actor_uid: null, trigger_ref: "retention_schedule", new_record: expect.objectContaining({ removed: result.removed, requested_by: null }) },
    ]);
    expect((await call("GET", "/audit/verify")).body).toEqual({ ok: true, checked: 1 });
  });
});
