import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../src/server/db/migrate.ts";
import { hasPermission, permissionMatches, resolvePermissions } from "../src/server/governance/permissions.ts";
import { createsCycle } from "../src/server/governance/roles.ts";
import { createLogger } from "../src/server/log.ts";
import { createTestDatabase, type TestDatabase } from "./harness.ts";

describe("permissionMatches", () => {
  it.each([
    ["*", "anything:at.all", true],
    ["app:crm:deals.read", "app:crm:deals.read", true],
    ["app:crm:*", "app:crm:deals.read", true],
    ["app:crm:*", "app:crm:action:x", true],
    ["app:crm:*", "app:crmx:y", false],
    ["app:crm:*", "app:crm:", false],
    ["app:crm:*", "app:crm", false],
    ["app:*", "app:crm:deals.read", true],
    ["app:crm:deals.*", "app:crm:deals.read", false],
    ["app*", "app:crm", false],
    ["app:crm:deals.read", "app:crm:deals.readx", false],
    ["tool:*", "tool:search", true],
    ["app:crm:deals.read", "*", false],
    ["app:*", "*", false],
  ])("%s grants %s: %s", (held, required, expected) => {
    expect(permissionMatches(held, required)).toBe(expected);
  });
});

describe("createsCycle", () => {
  const roles = [
    { name: "a", description: null, inherits: [], permissions: [] },
    { name: "b", description: null, inherits: ["a"], permissions: [] },
  ];
  it("finds a loop through existing roles and allows a tree", () => {
    expect(createsCycle(roles, "a", ["b"])).toEqual(["a", "b", "a"]);
    expect(createsCycle(roles, "c", ["a", "b"])).toBeUndefined();
  });
});

describe("resolution in SQL", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  const uid = "11111111-1111-4111-8111-111111111111";
  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url });
    await migrate(pool, createLogger("silent"));
    await pool.query("INSERT INTO rootcx_system.users (id, email) VALUES ($1, 'r@test.local')", [uid]);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("expands deep inheritance and survives a cycle written straight into the table", async () => {
    // A chain of 70 roles, deeper than the 64-level cap, and a cycle x ↔ y that the API would refuse.
    for (let i = 0; i < 70; i++) {
      await pool.query("INSERT INTO rootcx_system.rbac_roles (name, inherits, permissions) VALUES ($1, $2, $3)", [`r${i}`, i < 69 ? [`r${i + 1}`] : [], [`k:r${i}`]]);
    }
    await pool.query("INSERT INTO rootcx_system.rbac_roles (name, inherits, permissions) VALUES ('x', '{y}', '{k:x}'), ('y', '{x}', '{k:y}')");
    await pool.query("INSERT INTO rootcx_system.rbac_assignments (user_id, role) VALUES ($1, 'r0'), ($1, 'x')", [uid]);
    const resolved = await resolvePermissions(pool, uid);
    expect(resolved.roles).toContain("x");
    expect(resolved.roles).toContain("y");
    expect(resolved.roles).toContain("r63");
    expect(resolved.roles).not.toContain("r64");
    expect(await hasPermission(pool, uid, "k:y")).toBe(true);
    expect(await hasPermission(pool, uid, "k:r63")).toBe(true);
    expect(await hasPermission(pool, uid, "k:r69")).toBe(false);
    expect(await hasPermission(pool, "22222222-2222-4222-8222-222222222222", "k:x")).toBe(false);
    // The same answers from the SQL functions themselves.
    const sqlHas = async (user: string | null, key: string) =>
      (await pool.query("SELECT rootcx_system.has_permission($1, $2) AS ok", [user, key])).rows[0].ok as boolean;
    expect(await sqlHas(uid, "k:y")).toBe(true);
    expect(await sqlHas(uid, "k:r69")).toBe(false);
    expect(await sqlHas(null, "k:y")).toBe(false);
    const match = async (held: string[], key: string) =>
      (await pool.query("SELECT rootcx_system.match_permission($1, $2) AS ok", [held, key])).rows[0].ok as boolean;
    expect(await match(["app:crm:*"], "app:crm:deals.read")).toBe(true);
    expect(await match(["app:crm:*"], "app:crmx:y")).toBe(false);
    expect(await match(["*"], "anything")).toBe(true);
    expect(await match([], "anything")).toBe(false);
  });
});
