import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

// GET /db/schemas/{schema}/tables lists any schema's tables to any signed-in user, but the planner's row
// estimate is a fact about the rows: it must not reach someone row-level security keeps from every row.
let core: TestCore;
let admin: Session;

const call = (method: string, path: string, body: unknown, s: Session) => api(core, method, `/api/v1${path}`, body, s.accessToken);

async function userWith(email: string, permissions: string[] | undefined): Promise<Session> {
  const s = await signUpAndIn(core, email);
  if (permissions) {
    const role = email.split("@")[0]!.replace(/[^a-z]/g, "_");
    expect((await call("POST", "/roles", { name: role, permissions }, admin)).status).toBe(200);
    expect((await call("POST", "/roles/assign", { userId: s.userId, role }, admin)).status).toBe(200);
  }
  return s;
}

async function estimates(s: Session): Promise<Record<string, unknown>> {
  const r = await call("GET", "/db/schemas/est_app/tables", undefined, s);
  expect(r.status).toBe(200);
  return Object.fromEntries(r.body.map((t: { table_name: string; row_estimate?: number }) => [t.table_name, t.row_estimate]));
}

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@row-estimate.test");
  const app = await call(
    "POST",
    "/apps",
    {
      appId: "est_app",
      name: "Estimates",
      dataContract: [
        { entityName: "secret_note", fields: [{ name: "body", type: "text" }] },
        { entityName: "open_note", fields: [{ name: "body", type: "text" }] },
      ],
    },
    admin,
  );
  expect(app.status).toBe(200);
  await core.core.db.pool.query("INSERT INTO est_app.secret_note (body) SELECT 'n' || g FROM generate_series(1, 40) g; ANALYZE est_app.secret_note");
});
afterAll(async () => {
  await core?.dispose();
});

describe("row_estimate in the table listing", () => {
  it("is withheld from a user who cannot read the table, while its name and columns stay listed", async () => {
    const nobody = await userWith("nobody@row-estimate.test", undefined);
    const r = await call("GET", "/db/schemas/est_app/tables", undefined, nobody);
    expect(r.status).toBe(200);
    const secret = r.body.find((t: { table_name: string }) => t.table_name === "secret_note");
    expect(secret.columns.map((c: { column_name: string }) => c.column_name)).toContain("body");
    expect(secret).not.toHaveProperty("row_estimate");
    // The user really cannot read a single row: row-level security leaves the list empty.
    const rows = await call("GET", "/apps/est_app/collections/secret_note", undefined, nobody);
    expect(rows.status).toBe(200);
    expect(rows.body).toEqual([]);
  });

  it("is shown per table to a holder of that table's read permission, directly or by wildcard", async () => {
    const reader = await userWith("reader@row-estimate.test", ["app:est_app:secret_note.read"]);
    expect(await estimates(reader)).toEqual({ open_note: undefined, secret_note: 40 });
    const other = await userWith("other@row-estimate.test", ["app:est_app:open_note.read", "app:est_appx:*"]);
    const seen = await estimates(other);
    expect(seen.secret_note).toBeUndefined();
    expect(typeof seen.open_note).toBe("number");
    const wildcard = await userWith("wildcard@row-estimate.test", ["app:est_app:*"]);
    expect(await estimates(wildcard)).toEqual({ open_note: expect.any(Number), secret_note: 40 });
  });

  it("is shown for every table to a holder of admin:db.query", async () => {
    const querier = await userWith("querier@row-estimate.test", ["admin:db.query"]);
    expect(await estimates(querier)).toEqual({ open_note: expect.any(Number), secret_note: 40 });
    expect(await estimates(admin)).toEqual({ open_note: expect.any(Number), secret_note: 40 });
  });
});
