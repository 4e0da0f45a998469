import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { helpdesk } from "./fixtures/manifests.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

let core: TestCore;
let admin: Session;
let reader: Session;
let writer: Session;
let nobody: Session;
const T = "/api/v1/apps/helpdesk/collections/ticket";
const R = "/api/v1/apps/helpdesk/collections/reply";

async function grant(user: Session, role: string, permissions: string[]) {
  expect((await api(core, "POST", "/api/v1/roles", { name: role, permissions }, admin.accessToken)).status).toBe(200);
  expect((await api(core, "POST", "/api/v1/roles/assign", { userId: user.userId, role }, admin.accessToken)).status).toBe(200);
}

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@data.test");
  const manifest = helpdesk();
  manifest.dataContract.push({ entityName: "wide", fields: Array.from({ length: 70 }, (_, i) => ({ name: `c${i}`, type: "text" })) } as never);
  manifest.dataContract.push({ entityName: "tag", fields: [{ name: "label", type: "text", required: true }], indexes: [{ columns: ["label"], unique: true } as never] } as never);
  const res = await api(core, "POST", "/api/v1/apps", manifest, admin.accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  reader = await signUpAndIn(core, "reader@data.test");
  writer = await signUpAndIn(core, "writer@data.test");
  nobody = await signUpAndIn(core, "nobody@data.test");
  await grant(reader, "ticket-reader", ["app:helpdesk:ticket.read"]);
  await grant(writer, "ticket-writer", ["app:helpdesk:ticket.create"]);
});
afterAll(() => core.dispose());

describe("CRUD as the app's admin", () => {
  let id: string;
  it("creates with 201 and the row, defaults applied, values coerced by type", async () => {
    const res = await api(core, "POST", T, { subject: "Printer on fire", priority: "7", urgent: "true", tags: ["hw", 3], due: "2026-12-01", seen_at: "2026-11-23T10:00:00Z", meta: { a: [1, 2] }, scores: [1, "2.5"], id: "00000000-0000-0000-0000-000000000000" }, admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ subject: "Printer on fire", status: "open", priority: 7, urgent: true, tags: ["hw", "3"], due: "2026-12-01", meta: { a: [1, 2] }, scores: [1, 2.5] });
    expect(res.body.id).not.toBe("00000000-0000-0000-0000-000000000000");
    expect(Date.parse(res.body.seen_at)).toBe(Date.parse("2026-11-23T10:00:00Z"));
    id = res.body.id;
  });

  it("gets, patches (updated_at moves) and deletes", async () => {
    const got = await api(core, "GET", `${T}/${id}`, undefined, admin.accessToken);
    expect(got.body.subject).toBe("Printer on fire");
    // A few milliseconds apart, so that "moves" can be checked as strictly later at the timestamps' precision.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const patched = await api(core, "PATCH", `${T}/${id}`, { status: "pending" }, admin.accessToken);
    expect(patched.status).toBe(200);
    expect(patched.body.status).toBe("pending");
    expect(Date.parse(patched.body.updated_at)).toBeGreaterThan(Date.parse(got.body.updated_at));
    expect(patched.body.created_at).toBe(got.body.created_at);
    const reply = await api(core, "POST", R, { ticket_id: id, body: "On it" }, admin.accessToken);
    expect(reply.status).toBe(201);
    expect((await api(core, "DELETE", `${T}/${id}`, undefined, admin.accessToken)).body).toEqual({ message: "record deleted" });
    // on_delete cascade took the reply with it
    expect((await api(core, "GET", `${R}/${reply.body.id}`, undefined, admin.accessToken)).status).toBe(404);
    expect((await api(core, "GET", `${T}/${id}`, undefined, admin.accessToken)).status).toBe(404);
    expect((await api(core, "DELETE", `${T}/${id}`, undefined, admin.accessToken)).status).toBe(404);
    expect((await api(core, "PATCH", `${T}/${id}`, { status: "open" }, admin.accessToken)).status).toBe(404);
  });

  it("bulk-creates in one transaction; lists with filters, sort, order, limit and offset", async () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ subject: `t${String(i).padStart(2, "0")}`, priority: i % 10, status: i % 3 === 0 ? "closed" : "open", tags: i % 2 ? ["odd"] : ["even", "x"] }));
    const bulk = await api(core, "POST", `${T}/bulk`, rows, admin.accessToken);
    expect(bulk.status).toBe(201);
    expect(bulk.body).toHaveLength(30);
    const closed = await api(core, "GET", `${T}?status=closed&sort=subject&order=asc`, undefined, admin.accessToken);
    expect(closed.body.map((r: { subject: string }) => r.subject)).toEqual(["t00", "t03", "t06", "t09", "t12", "t15", "t18", "t21", "t24", "t27"]);
    const page = await api(core, "GET", `${T}?sort=subject&order=asc&limit=5&offset=5`, undefined, admin.accessToken);
    expect(page.body.map((r: { subject: string }) => r.subject)).toEqual(["t05", "t06", "t07", "t08", "t09"]);
    const prio = await api(core, "GET", `${T}?priority=9&sort=subject`, undefined, admin.accessToken);
    expect(prio.body.map((r: { subject: string }) => r.subject)).toEqual(["t29", "t19", "t09"]);
    // A failing row rolls the whole bulk back
    const before = (await api(core, "GET", T, undefined, admin.accessToken)).body.length;
    const failing = await api(core, "POST", `${T}/bulk`, [{ subject: "ok" }, { subject: null }], admin.accessToken);
    expect(failing.status).toBe(400);
    expect(failing.body.error).toMatch(/"subject" is required/);
    expect((await api(core, "GET", T, undefined, admin.accessToken)).body.length).toBe(before);
  });

  it("queries with the where language and returns {data, total}", async () => {
    const q = (body: unknown) => api(core, "POST", `${T}/query`, body, admin.accessToken);
    const r1 = await q({ where: { status: "closed", priority: { $gte: 5 } }, orderBy: "subject", order: "asc" });
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    expect(r1.body.data.map((r: { subject: string }) => r.subject)).toEqual(["t06", "t09", "t15", "t18", "t27"]);
    expect(r1.body.total).toBe(5);
    const r2 = await q({ where: { $or: [{ subject: { $in: ["t01", "t02"] } }, { subject: { $like: "t2%" }, priority: { $lt: 2 } }] }, orderBy: "subject", order: "asc" });
    expect(r2.body.data.map((r: { subject: string }) => r.subject)).toEqual(["t01", "t02", "t20", "t21"]);
    const r3 = await q({ where: { $not: { status: "open" }, tags: { $contains: ["even"] } }, limit: 2, orderBy: "subject", order: "asc" });
    expect(r3.body.total).toBe(5);
    expect(r3.body.data).toHaveLength(2);
    const r4 = await q({ where: { email: { $isNull: true }, subject: { $nin: [] }, priority: { $in: [] } } });
    expect(r4.body).toEqual({ data: [], total: 0 });
    const r5 = await q({ where: { subject: { $ilike: "T0%" }, email: null, status: { $ne: "closed" } } });
    expect(r5.body.total).toBe(6);
    const r6 = await q({});
    expect(r6.body.total).toBe(30);
    expect(r6.body.data).toHaveLength(30);
  });

  it("maps constraint violations: FK 409, unique 409, not null 400, check 400", async () => {
    const fk = await api(core, "POST", R, { ticket_id: "11111111-1111-1111-1111-111111111111", body: "x" }, admin.accessToken);
    expect(fk.status).toBe(409);
    expect(fk.body.error).toMatch(/referenced record does not exist/);
    const tag = "/api/v1/apps/helpdesk/collections/tag";
    expect((await api(core, "POST", tag, { label: "dup" }, admin.accessToken)).status).toBe(201);
    const dup = await api(core, "POST", tag, { label: "dup" }, admin.accessToken);
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatch(/same unique value already exists/);
    const notNull = await api(core, "POST", T, { email: "x@y" }, admin.accessToken);
    expect(notNull.status).toBe(400);
    expect(notNull.body.error).toMatch(/"subject" is required/);
    const check = await api(core, "POST", T, { subject: "s", priority: 11 }, admin.accessToken);
    expect(check.status).toBe(400);
    expect(check.body.error).toMatch(/priority_range/);
    const badEnum = await api(core, "POST", T, { subject: "s", status: "weird" }, admin.accessToken);
    expect(badEnum.status).toBe(400);
    expect(badEnum.body.error).toMatch(/enum_status/);
  });
});

describe("permissions are enforced by PostgreSQL", () => {
  let id: string;
  beforeAll(async () => {
    id = (await api(core, "POST", T, { subject: "secret" }, admin.accessToken)).body.id;
  });

  it("a user without keys sees nothing and cannot write (reads never 403)", async () => {
    expect((await api(core, "GET", T, undefined, nobody.accessToken)).body).toEqual([]);
    expect((await api(core, "POST", `${T}/query`, {}, nobody.accessToken)).body).toEqual({ data: [], total: 0 });
    expect((await api(core, "GET", `${T}/${id}`, undefined, nobody.accessToken)).status).toBe(404);
    expect((await api(core, "PATCH", `${T}/${id}`, { subject: "pwned" }, nobody.accessToken)).status).toBe(404);
    expect((await api(core, "DELETE", `${T}/${id}`, undefined, nobody.accessToken)).status).toBe(404);
    const create = await api(core, "POST", T, { subject: "nope" }, nobody.accessToken);
    expect(create.status).toBe(403);
    expect(create.body.error).toBe("write rejected by access policy");
    expect(await api(core, "POST", `${T}/bulk`, [{ subject: "nope" }], nobody.accessToken)).toMatchObject({ status: 403, body: { error: "write rejected by access policy" } });
    expect((await api(core, "GET", `${T}/${id}`, undefined, admin.accessToken)).body.subject).toBe("secret");
  });

  it("a reader reads but cannot write", async () => {
    expect((await api(core, "GET", `${T}/${id}`, undefined, reader.accessToken)).body.subject).toBe("secret");
    expect(await api(core, "POST", T, { subject: "nope" }, reader.accessToken)).toMatchObject({ status: 403, body: { error: "write rejected by access policy" } });
    expect((await api(core, "PATCH", `${T}/${id}`, { subject: "pwned" }, reader.accessToken)).status).toBe(404);
    expect((await api(core, "GET", R, undefined, reader.accessToken)).body).toEqual([]);
  });

  it("a create-only user gets 201 with the new id, and cannot read it back", async () => {
    const res = await api(core, "POST", T, { subject: "blind" }, writer.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(Object.keys(res.body)).toEqual(["id"]);
    expect((await api(core, "GET", `${T}/${res.body.id}`, undefined, writer.accessToken)).status).toBe(404);
    expect((await api(core, "GET", `${T}/${res.body.id}`, undefined, admin.accessToken)).body.subject).toBe("blind");
  });

  it("every write is audited with its actor", async () => {
    const audit = await api(core, "GET", `/api/v1/audit?table_schema=helpdesk&table_name=ticket&record_id=${id}`, undefined, admin.accessToken);
    expect(audit.body[0]).toMatchObject({ operation: "INSERT", actor_uid: admin.userId, trigger_ref: "api" });
  });
});

describe("bad input gets a clean 4xx", () => {
  const cases: [name: string, method: string, path: string, body: unknown, status: number, reason?: RegExp][] = [
    ["invalid id", "GET", `${T}/not-a-uuid`, undefined, 400, /^invalid id: expected a UUID$/],
    ["unknown entity", "GET", "/api/v1/apps/helpdesk/collections/nope", undefined, 404, /^entity nope not found in app helpdesk$/],
    ["unknown app", "GET", "/api/v1/apps/nope/collections/ticket", undefined, 404, /^app nope not found$/],
    ["system schema", "GET", "/api/v1/apps/rootcx_system/collections/users", undefined, 403, /^rootcx_system is not an app$/],
    ["pg schema", "GET", "/api/v1/apps/pg_catalog/collections/pg_class", undefined, 403, /^pg_catalog is not an app$/],
    ["quoted app", "GET", `/api/v1/apps/${encodeURIComponent('help"desk')}/collections/ticket`, undefined, 400, /^invalid app id$/],
    ["semicolon entity", "GET", `/api/v1/apps/helpdesk/collections/${encodeURIComponent("ticket;drop")}`, undefined, 400, /^invalid entity name$/],
    ["look-alike entity", "GET", `/api/v1/apps/helpdesk/collections/${encodeURIComponent("tіcket")}`, undefined, 400, /^invalid entity name$/],
    ["unknown filter column", "GET", `${T}?nope=1`, undefined, 400, /^unknown column "nope"/],
    ["hostile filter column", "GET", `${T}?${encodeURIComponent('subject" OR 1=1 --')}=x`, undefined, 400, /^unknown column "subject" OR 1=1 --"/],
    ["hostile sort", "GET", `${T}?sort=${encodeURIComponent("subject; DROP TABLE x")}`, undefined, 400, /^unknown column "subject; DROP TABLE x"/],
    ["bad limit", "GET", `${T}?limit=-1`, undefined, 400, /limit must be a non-negative integer/],
    ["wrong filter type", "GET", `${T}?priority=high`, undefined, 400, /field "priority" expects a number, got "high"/],
    ["unknown operator", "POST", `${T}/query`, { where: { subject: { $regex: "x" } } }, 400, /unknown operator "\$regex"/],
    ["unknown top operator", "POST", `${T}/query`, { where: { $where: "1" } }, 400, /unknown operator "\$where"/],
    ["unknown where column", "POST", `${T}/query`, { where: { "subject\" = '' OR true --": 1 } }, 400, /^unknown column "subject" = '' OR true --"/],
    ["where not object", "POST", `${T}/query`, { where: [1] }, 400, /^where: where must be an object$/],
    ["bad orderBy", "POST", `${T}/query`, { orderBy: "nope" }, 400, /^unknown column "nope"/],
    ["bad limit body", "POST", `${T}/query`, { limit: 5000 }, 400, /^limit: .*1000/],
    ["uuid filter garbage", "POST", `${T}/query`, { where: { external: "nope" } }, 400, /field "external" expects a UUID, got "nope"/],
    ["number as object", "POST", T, { subject: "s", priority: { a: 1 } }, 400, /field "priority" expects a number, got an object/],
    ["boolean as string", "POST", T, { subject: "s", urgent: "maybe" }, 400, /field "urgent" expects a boolean, got "maybe"/],
    ["date garbage", "POST", T, { subject: "s", due: "yesterday" }, 400, /field "due" expects a date .*got "yesterday"/],
    ["date out of range", "POST", T, { subject: "s", due: "2026-13-45" }, 400, /field "due" expects a date .*got "2026-13-45"/],
    ["timestamp garbage", "POST", T, { subject: "s", seen_at: "soon" }, 400, /field "seen_at" expects an ISO 8601 timestamp, got "soon"/],
    ["uuid garbage", "POST", T, { subject: "s", external: "123" }, 400, /field "external" expects a UUID, got "123"/],
    ["text as object", "POST", T, { subject: { x: 1 } }, 400, /field "subject" expects a string, got an object/],
    ["array as string", "POST", T, { subject: "s", tags: "a,b" }, 400, /field "tags" expects an array of strings, got "a,b"/],
    ["number array garbage", "POST", T, { subject: "s", scores: ["x"] }, 400, /field "scores" expects an array of numbers, got "x"/],
    ["unknown field", "POST", T, { subject: "s", nope: 1 }, 400, /^unknown column "nope"/],
    ["empty body", "POST", T, {}, 400, /^the body has no writable field$/],
    ["array body", "POST", T, [{ subject: "s" }], 400, /^the body must be an object$/],
    ["malformed JSON", "POST", T, "{not json", 400, /^malformed JSON body/],
    ["bulk empty", "POST", `${T}/bulk`, [], 400, /^the body must be an array of 1 to 1000 records$/],
    ["bulk object", "POST", `${T}/bulk`, { subject: "s" }, 400, /^the body must be an array of 1 to 1000 records$/],
    ["patch empty", "PATCH", `${T}/00000000-0000-4000-8000-000000000000`, {}, 400, /^the body has no writable field$/],
  ];
  for (const [name, method, path, body, status, reason] of cases) {
    it(`${name} → ${status}`, async () => {
      const res = await api(core, method, path, body, admin.accessToken);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(typeof res.body.error).toBe("string");
      if (reason) expect(res.body.error).toMatch(reason);
    });
  }

  it("refuses huge requests: 1001 rows, 70k cells, 100k $in values, 100-deep where", async () => {
    expect(await api(core, "POST", `${T}/bulk`, Array.from({ length: 1001 }, () => ({ subject: "s" })), admin.accessToken)).toMatchObject({ status: 400, body: { error: "the body must be an array of 1 to 1000 records" } });
    const W = "/api/v1/apps/helpdesk/collections/wide";
    const row = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`c${i}`, "v"]));
    const cells = await api(core, "POST", `${W}/bulk`, Array.from({ length: 1000 }, () => row), admin.accessToken);
    expect(cells.status, JSON.stringify(cells.body)).toBe(400);
    expect(cells.body.error).toMatch(/65535/);
    expect((await api(core, "GET", W, undefined, admin.accessToken)).body).toEqual([]);
    expect((await api(core, "POST", `${W}/bulk`, Array.from({ length: 900 }, () => row), admin.accessToken)).status).toBe(201);
    const manyIn = await api(core, "POST", `${T}/query`, { where: { subject: { $in: Array.from({ length: 100_000 }, (_, i) => `s${i}`) } } }, admin.accessToken);
    expect(manyIn.status).toBe(400);
    expect(manyIn.body.error).toMatch(/\$in on "subject" has more than 10000 values/);
    let deep: Record<string, unknown> = { subject: "x" };
    for (let i = 0; i < 100; i++) deep = { $not: deep };
    const nested = await api(core, "POST", `${T}/query`, { where: deep }, admin.accessToken);
    expect(nested.status).toBe(400);
    expect(nested.body.error).toMatch(/nested more than 32 levels/);
    const big = await api(core, "POST", T, { subject: "x".repeat(2 * 1024 * 1024) }, admin.accessToken);
    expect(big.status).toBe(413);
    expect(big.body.error).toMatch(/exceeds the limit of 1048576 bytes/);
  });
});
