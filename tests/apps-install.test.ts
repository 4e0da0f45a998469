import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { helpdesk } from "./fixtures/manifests.ts";

let core: TestCore;
let admin: Session;
let db: pg.Pool;

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@apps.test");
  db = new pg.Pool({ connectionString: core.database.url, max: 2 });
});
afterAll(async () => {
  await db.end();
  await core.dispose();
});

async function columns(table: string) {
  const { rows } = await db.query<{ column_name: string; data_type: string; is_nullable: string; column_default: string | null }>(
    "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'helpdesk' AND table_name = $1 ORDER BY ordinal_position",
    [table],
  );
  return Object.fromEntries(rows.map((r) => [r.column_name, r]));
}

describe("install", () => {
  it("creates the schema, the tables under RLS, the keys and the admin role", async () => {
    const res = await api(core, "POST", "/api/v1/apps", helpdesk(), admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.message).toMatch(/installed/);
    const cols = await columns("ticket");
    expect(cols.id!.data_type).toBe("uuid");
    expect(cols.priority!.data_type).toBe("double precision");
    expect(cols.tags!.data_type).toBe("ARRAY");
    expect(cols.subject!.is_nullable).toBe("NO");
    expect(cols.status!.column_default).toBe("'open'::text");
    const rls = await db.query("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relnamespace = 'helpdesk'::regnamespace AND relkind = 'r' ORDER BY relname");
    expect(rls.rows).toEqual([
      { relname: "reply", relrowsecurity: true, relforcerowsecurity: true },
      { relname: "ticket", relrowsecurity: true, relforcerowsecurity: true },
    ]);
    const keys = await db.query("SELECT key FROM rootcx_system.rbac_permissions WHERE source_app = 'helpdesk' ORDER BY key");
    expect(keys.rows.map((r) => r.key)).toEqual(expect.arrayContaining(["app:helpdesk:ticket.read", "app:helpdesk:reply.delete", "app:helpdesk:invoke", "app:helpdesk:public.share", "app:helpdesk:action:close_stale", "app:helpdesk:cron.trigger"]));
    const role = await db.query("SELECT permissions FROM rootcx_system.rbac_roles WHERE name = 'app:helpdesk:admin'");
    expect(role.rows[0].permissions).toEqual(["app:helpdesk:*"]);
    const assigned = await db.query("SELECT 1 FROM rootcx_system.rbac_assignments WHERE user_id = $1 AND role = 'app:helpdesk:admin'", [admin.userId]);
    expect(assigned.rowCount).toBe(1);
  });

  it("re-installing the same manifest changes nothing, and verify says compliant", async () => {
    const verify = await api(core, "POST", "/api/v1/apps/schema/verify", helpdesk(), admin.accessToken);
    expect(verify.body).toEqual({ compliant: true, changes: [] });
    const res = await api(core, "POST", "/api/v1/apps", helpdesk(), admin.accessToken);
    expect(res.status).toBe(200);
    expect(res.body.changes).toEqual([]);
  });

  it("lists and gets apps", async () => {
    const list = await api(core, "GET", "/api/v1/apps", undefined, admin.accessToken);
    expect(list.body).toEqual([{ id: "helpdesk", name: "Helpdesk", version: "0.1.0", status: "installed", type: "app", entities: ["ticket", "reply"], hasFrontend: false }]);
    const one = await api(core, "GET", "/api/v1/apps/helpdesk", undefined, admin.accessToken);
    expect(one.body.dataContract).toHaveLength(2);
    expect(await api(core, "GET", "/api/v1/apps/nope", undefined, admin.accessToken)).toMatchObject({ status: 404, body: { error: "app nope not found" } });
  });
});
