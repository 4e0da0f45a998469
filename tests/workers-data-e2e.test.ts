import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { manifest, placeFixture } from "./workers-helpers.ts";

// ctx.sql, ctx.transaction, ctx.collection and ctx.action from a real Bun worker (the kit fixture), through
// POST /apps/kit/rpc: the worker host's messages, the supervisor's routing and the data session together.
let core: TestCore;
let admin: Session;
let reader: Session;
let caller: Session;
const rpc = (method: string, params: unknown, token: string) => api(core, "POST", "/api/v1/apps/kit/rpc", { method, params }, token);

async function titles(): Promise<string[]> {
  const { rows } = await core.core.db.pool.query<{ title: string }>("SELECT title FROM kit.note ORDER BY title");
  return rows.map((r) => r.title);
}

async function role(user: Session, name: string, permissions: string[]) {
  expect((await api(core, "POST", "/api/v1/roles", { name, permissions }, admin.accessToken)).status).toBe(200);
  expect((await api(core, "POST", "/api/v1/roles/assign", { userId: user.userId, role: name }, admin.accessToken)).status).toBe(200);
}

beforeAll(async () => {
  core = await startTestCore({});
  admin = await signUpAndIn(core, "admin@data-e2e.test");
  const kit = manifest("kit", { actions: [{ id: "echo", name: "Echo" }] });
  expect((await api(core, "POST", "/api/v1/apps", kit, admin.accessToken)).status).toBe(200);
  placeFixture(core, "kit", "kit");
  reader = await signUpAndIn(core, "reader@data-e2e.test");
  caller = await signUpAndIn(core, "caller@data-e2e.test");
  await role(reader, "kit_reader", ["app:kit:invoke", "app:kit:note.read", "app:kit:action:echo"]);
  await role(caller, "kit_caller", ["app:kit:invoke"]);
  await core.core.db.pool.query("INSERT INTO kit.note (title) VALUES ('seeded')");
}, 60_000);

afterAll(async () => {
  await core?.dispose();
});

describe("data access from a worker process", () => {
  it("ctx.sql runs as the calling user: a reader sees rows, a caller without the read key none", async () => {
    const seen = await rpc("sql", { text: "SELECT title FROM note WHERE title = $1", params: ["seeded"] }, reader.accessToken);
    expect(seen.status, JSON.stringify(seen.body)).toBe(200);
    expect(seen.body).toEqual({ columns: ["title"], rows: [["seeded"]], rowCount: 1 });
    const none = await rpc("sql", { text: "SELECT title FROM note" }, caller.accessToken);
    expect(none.body).toEqual({ columns: ["title"], rows: [], rowCount: 0 });
  });

  it("a reader's write and a DROP are refused with their reasons; the table is untouched", async () => {
    const write = await rpc("sql", { text: "INSERT INTO note (title) VALUES ('reader wrote')" }, reader.accessToken);
    expect(write.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(write.body)).toMatch(/permission denied: new row violates row-level security policy for table \\"note\\"/);
    const drop = await rpc("sql", { text: "DROP TABLE note" }, admin.accessToken);
    expect(JSON.stringify(drop.body)).toContain("statement refused: DROP — schema changes (DROP) belong in the app's migrations");
    expect(await titles()).toEqual(["seeded"]);
  });

  it("ctx.transaction commits, and a transaction that throws leaves nothing", async () => {
    const kept = await rpc("tx", { statements: ["INSERT INTO note (title) VALUES ('tx kept')", "SELECT count(*) AS n FROM note"] }, admin.accessToken);
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    expect(kept.body[1].rows).toEqual([["2"]]);
    const dropped = await rpc("tx", { statements: ["INSERT INTO note (title) VALUES ('tx dropped')"], fail: true }, admin.accessToken);
    expect(JSON.stringify(dropped.body)).toContain("rolled back on purpose");
    expect(await titles()).toEqual(["seeded", "tx kept"]);
  });

  it("ctx.collection inserts and finds through the Data API's rules", async () => {
    const ins = await rpc("collection", { entity: "note", op: "insert", data: { title: "from collection" } }, admin.accessToken);
    expect(ins.status, JSON.stringify(ins.body)).toBe(200);
    expect(ins.body).toMatchObject({ title: "from collection" });
    const found = await rpc("collection", { entity: "note", op: "findOne", data: { title: "from collection" } }, admin.accessToken);
    expect(found.body).toEqual(ins.body);
    const hidden = await rpc("collection", { entity: "note", op: "find", data: {} }, caller.accessToken);
    expect(hidden.body).toEqual([]);
  });

  it("ctx.action runs the app's action as the same identity, and needs the action's key", async () => {
    const ran = await rpc("action", { name: "echo", input: { n: 1 } }, reader.accessToken);
    expect(ran.status, JSON.stringify(ran.body)).toBe(200);
    expect(ran.body).toMatchObject({ params: { n: 1 }, caller: { userId: reader.userId } });
    const denied = await rpc("action", { name: "echo", input: { n: 1 } }, caller.accessToken);
    expect(JSON.stringify(denied.body)).toContain("permission denied: calling action echo needs app:kit:action:echo");
  });
});
