import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

let core: TestCore;
let admin: Session;
let user: Session;

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@roles.test");
  user = await signUpAndIn(core, "user@roles.test");
});
afterAll(async () => {
  await core?.dispose();
});

const as = (s: Session) => ({
  get: (path: string) => api(core, "GET", `/api/v1${path}`, undefined, s.accessToken),
  post: (path: string, body: unknown) => api(core, "POST", `/api/v1${path}`, body, s.accessToken),
  patch: (path: string, body: unknown) => api(core, "PATCH", `/api/v1${path}`, body, s.accessToken),
  del: (path: string) => api(core, "DELETE", `/api/v1${path}`, undefined, s.accessToken),
});

describe("roles", () => {
  it("lists the seeded roles to signed-in users only, sorted by name", async () => {
    expect(await api(core, "GET", "/api/v1/roles")).toMatchObject({ status: 401, body: { error: "missing bearer token" } });
    const r = await as(user).get("/roles");
    expect(r.status).toBe(200);
    expect(r.body).toEqual([
      { name: "admin", description: "Full access to everything", inherits: [], permissions: ["*"] },
      { name: "base", description: "Signed-in user without permissions", inherits: [], permissions: [] },
    ]);
  });

  it("lets only an admin create, edit and delete roles", async () => {
    expect(await as(user).post("/roles", { name: "sneaky", permissions: ["*"] })).toMatchObject({ status: 403, body: { error: "admin role required" } });
    const created = await as(admin).post("/roles", { name: "viewer", description: "Reads CRM", permissions: ["app:crm:deals.read", "app:crm:deals.read"] });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ message: "role viewer created" });
    expect(await as(admin).post("/roles", { name: "viewer" })).toMatchObject({ status: 400, body: { error: "role viewer already exists" } });
    expect((await as(admin).patch("/roles/viewer", { description: "Reads deals" })).status).toBe(200);
    expect(await as(user).patch("/roles/viewer", { permissions: ["*"] })).toMatchObject({ status: 403, body: { error: "admin role required" } });
    const roles = (await as(admin).get("/roles")).body as { name: string; description: string; permissions: string[] }[];
    expect(roles.find((r) => r.name === "viewer")).toEqual({ name: "viewer", description: "Reads deals", inherits: [], permissions: ["app:crm:deals.read"] });
    expect((await as(admin).patch("/roles/viewer", {})).body.error).toMatch(/nothing to update/);
    expect(await as(admin).patch("/roles/nope", { description: "x" })).toMatchObject({ status: 404, body: { error: "role nope not found" } });
    expect(await as(user).del("/roles/viewer")).toMatchObject({ status: 403, body: { error: "admin role required" } });
    expect((await as(admin).get("/roles")).body.map((r: { name: string }) => r.name)).toContain("viewer");
    expect(await as(admin).del("/roles/viewer")).toMatchObject({ status: 200 });
    expect((await as(admin).get("/roles")).body.map((r: { name: string }) => r.name)).not.toContain("viewer");
  });

  it.each([
    [{ name: "Bad Name" }, /role names/],
    [{ name: "x", permissions: ["app:crm:deals,read"] }, /permission keys/],
    [{ name: "x", permissions: ["DROP TABLE"] }, /permission keys/],
    [{ name: "x", inherits: ["ghost"] }, /unknown inherited role: ghost/],
    [{ name: "admin" }, /reserved/],
  ])("refuses %j with 400", async (body, message) => {
    const r = await as(admin).post("/roles", body);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(message);
  });

  it("keeps admin fixed and the built-in roles undeletable", async () => {
    expect(await as(admin).patch("/roles/admin", { permissions: [] })).toMatchObject({ status: 400, body: { error: "the admin role cannot be edited" } });
    expect(await as(admin).del("/roles/admin")).toMatchObject({ status: 400, body: { error: "the admin role is built in and cannot be deleted" } });
    expect(await as(admin).del("/roles/base")).toMatchObject({ status: 400, body: { error: "the base role is built in and cannot be deleted" } });
  });

  it("refuses inheritance cycles, direct and indirect, naming the loop", async () => {
    await as(admin).post("/roles", { name: "a", permissions: ["k:a"] });
    await as(admin).post("/roles", { name: "b", inherits: ["a"] });
    await as(admin).post("/roles", { name: "c", inherits: ["b"] });
    const r = await as(admin).patch("/roles/a", { inherits: ["c"] });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("inheritance cycle: a → c → b → a");
    expect((await as(admin).patch("/roles/a", { inherits: ["a"] })).body.error).toBe("inheritance cycle: a → a");
  });

  it("deleting a role removes it from assignments and from the roles inheriting it", async () => {
    await as(admin).post("/roles", { name: "temp", permissions: ["k:temp"] });
    await as(admin).post("/roles", { name: "child", inherits: ["temp"] });
    await as(admin).post("/roles/assign", { userId: user.userId, role: "temp" });
    const assigned = async () => ((await as(admin).get("/roles/assignments")).body as { role: string }[]).map((a) => a.role);
    expect(await assigned()).toContain("temp");
    expect((await as(admin).del("/roles/temp")).status).toBe(200);
    const roles = (await as(admin).get("/roles")).body as { name: string; inherits: string[] }[];
    expect(roles.find((r) => r.name === "child")?.inherits).toEqual([]);
    const after = await assigned();
    expect(after).toContain("admin");
    expect(after).not.toContain("temp");
    expect(await as(admin).del("/roles/temp")).toMatchObject({ status: 404, body: { error: "role temp not found" } });
  });
});

describe("assignments and effective permissions", () => {
  it("assigns idempotently, resolves inheritance and wildcards, and revokes", async () => {
    await as(admin).post("/roles", { name: "crm_reader", permissions: ["app:crm:deals.read"] });
    await as(admin).post("/roles", { name: "crm_all", inherits: ["crm_reader"], permissions: ["app:crm:*", "tool:search"] });
    expect(await as(user).post("/roles/assign", { userId: user.userId, role: "crm_all" })).toMatchObject({ status: 403, body: { error: "admin role required" } });
    for (let i = 0; i < 2; i++) expect((await as(admin).post("/roles/assign", { userId: user.userId, role: "crm_all" })).status).toBe(200);

    const mine = await as(user).get("/permissions");
    expect(mine.body).toEqual({ roles: ["base", "crm_all", "crm_reader"], permissions: ["app:crm:*", "app:crm:deals.read", "tool:search"] });
    const assignments = (await as(admin).get("/roles/assignments")).body as { userId: string; role: string; assignedAt: string }[];
    expect(assignments.filter((a) => a.userId === user.userId && a.role === "crm_all")).toHaveLength(1);
    expect(await as(user).get("/roles/assignments")).toMatchObject({ status: 403, body: { error: "admin role required" } });

    // Self or admin only.
    expect(await as(user).get(`/permissions/${admin.userId}`)).toMatchObject({ status: 403, body: { error: "admin role required" } });
    expect((await as(admin).get(`/permissions/${user.userId}`)).body.permissions).toContain("tool:search");

    expect((await as(admin).post("/roles/revoke", { userId: user.userId, role: "crm_all" })).status).toBe(200);
    expect(await as(admin).post("/roles/revoke", { userId: user.userId, role: "crm_all" })).toMatchObject({ status: 404, body: { error: "assignment not found" } });
    expect((await as(user).get("/permissions")).body).toEqual({ roles: ["base"], permissions: [] });
  });

  it("refuses unknown roles and users", async () => {
    expect(await as(admin).post("/roles/assign", { userId: user.userId, role: "ghost" })).toMatchObject({ status: 404, body: { error: "role ghost not found" } });
    expect(await as(admin).post("/roles/assign", { userId: "00000000-0000-0000-0000-00000000dead", role: "base" })).toMatchObject({ status: 404, body: { error: "user not found" } });
    expect(await as(admin).post("/roles/assign", { userId: "not-a-uuid", role: "base" })).toMatchObject({ status: 400, body: { error: "userId: invalid userId" } });
  });

  it("never revokes the last admin", async () => {
    const r = await as(admin).post("/roles/revoke", { userId: admin.userId, role: "admin" });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: "cannot revoke the last admin" });
  });

  it("offers the declared keys the caller holds", async () => {
    expect((await as(user).get("/permissions/available")).body).toEqual([]);
    const all = (await as(admin).get("/permissions/available")).body as { key: string }[];
    expect(all.map((p) => p.key)).toContain("admin:audit.read");
    await as(admin).post("/roles", { name: "auditor", permissions: ["admin:audit.read"] });
    await as(admin).post("/roles/assign", { userId: user.userId, role: "auditor" });
    expect((await as(user).get("/permissions/available")).body).toEqual([{ key: "admin:audit.read", description: "Read the audit log" }]);
    await as(admin).post("/roles/revoke", { userId: user.userId, role: "auditor" });
  });
});

describe("explain", () => {
  it("says through which role, path and key a permission is held, or that nothing grants it", async () => {
    await as(admin).post("/roles", { name: "sales", permissions: ["app:crm:deals.read"] });
    await as(admin).post("/roles", { name: "sales_lead", inherits: ["sales"], permissions: ["app:crm:deals.update"] });
    await as(admin).post("/roles/assign", { userId: user.userId, role: "sales_lead" });

    const yes = await as(admin).get(`/permissions/explain?userId=${user.userId}&key=app:crm:deals.read`);
    expect(yes.body).toEqual({
      userId: user.userId,
      key: "app:crm:deals.read",
      granted: true,
      grants: [{ assignedRole: "sales_lead", path: ["sales_lead", "sales"], role: "sales", heldKey: "app:crm:deals.read" }],
    });
    const no = await as(user).get(`/permissions/explain?userId=${user.userId}&key=app:crmx:deals.read`);
    expect(no.body).toMatchObject({ granted: false, grants: [] });
    const viaStar = await as(admin).get(`/permissions/explain?userId=${admin.userId}&key=anything:at.all`);
    expect(viaStar.body.grants).toEqual([{ assignedRole: "admin", path: ["admin"], role: "admin", heldKey: "*" }]);
    expect(await as(user).get(`/permissions/explain?userId=${admin.userId}&key=x`)).toMatchObject({ status: 403, body: { error: "admin role required" } });
    expect(await as(user).get(`/permissions/explain?userId=${user.userId}`)).toMatchObject({ status: 400, body: { error: "key: Invalid input: expected string, received undefined" } });
  });
});

describe("role changes are audited", () => {
  it("records who created a role and who assigned it, keyed by name and by user:role", async () => {
    await as(admin).post("/roles", { name: "audited_role", permissions: ["k:one", "k:two"] });
    await as(admin).post("/roles/assign", { userId: user.userId, role: "audited_role" });
    const roles = await as(admin).get("/audit?table_name=rbac_roles&record_id=audited_role");
    expect(roles.body).toHaveLength(1);
    expect(roles.body[0]).toMatchObject({ operation: "INSERT", actor_uid: admin.userId, trigger_ref: "control_plane", new_record: { name: "audited_role", permissions: ["k:one", "k:two"] } });
    const assignment = await as(admin).get(`/audit?table_name=rbac_assignments&record_id=${user.userId}:audited_role`);
    expect(assignment.body[0]).toMatchObject({ operation: "INSERT", actor_uid: admin.userId });
    await as(admin).post("/roles/revoke", { userId: user.userId, role: "audited_role" });
    const revoked = await as(admin).get(`/audit?table_name=rbac_assignments&record_id=${user.userId}:audited_role&operation=DELETE`);
    expect(revoked.body).toHaveLength(1);
    expect((await as(admin).get("/audit/verify")).body.ok).toBe(true);
  });
});
