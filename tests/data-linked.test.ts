import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestCore, type TestCore } from "./harness.ts";
import { buildWorld, expectNoneIn, path, PEOPLE, raw, type World } from "./linked-fixtures.ts";

let core: TestCore;
let w: World;

beforeAll(async () => {
  core = await startTestCore();
  w = await buildWorld(core, "linked");
});
afterAll(() => core.dispose());

type Linked = Record<string, { entity: string; recordId: string; data: Record<string, unknown> }>;
type Row = Record<string, unknown> & { id: string; email: string; _linked: Linked };
const byEmail = (rows: Row[]) => new Map(rows.map((r) => [r.email, r]));
const ids = (app: keyof World["ids"]) => Object.values(w.ids[app]);

describe("linked records under row-level security", () => {
  it("the admin gets, for each contact, the one record per other app with the same identity value", async () => {
    const res = await raw(core, "GET", `${path("crm")}?linked=true&sort=email&order=asc`, w.admin.accessToken);
    expect(res.status, res.text).toBe(200);
    const rows = byEmail(res.json as Row[]);
    expect(rows.size).toBe(PEOPLE.crm.length);
    expect(rows.get("ann@x.test")!._linked).toEqual({
      shop: { entity: "customer", recordId: w.ids.shop["ann@x.test"], data: expect.objectContaining({ id: w.ids.shop["ann@x.test"], email: "ann@x.test", name: "shop-ann" }) },
      desk: { entity: "requester", recordId: w.ids.desk["ann@x.test"], data: expect.objectContaining({ id: w.ids.desk["ann@x.test"], mail: "ann@x.test", name: "desk-ann" }) },
      legacy: { entity: "person_row", recordId: w.ids.legacy["ann@x.test"], data: expect.objectContaining({ name: "legacy-ann" }) },
    });
    expect(Object.keys(rows.get("ben@x.test")!._linked)).toEqual(["desk"]);
    // A contact with no counterpart still says so, with an empty object.
    expect(rows.get("dan@x.test")!._linked).toEqual({});
    // The list's own order is kept.
    expect((res.json as Row[]).map((r) => r.email)).toEqual([...PEOPLE.crm].sort());
  });

  it("alice (crm and shop) sees only shop's records; desk and legacy never appear, not even their ids", async () => {
    const res = await raw(core, "GET", `${path("crm")}?linked=true`, w.alice.accessToken);
    expect(res.status, res.text).toBe(200);
    const rows = byEmail(res.json as Row[]);
    expect(rows.get("ann@x.test")!._linked).toEqual({ shop: { entity: "customer", recordId: w.ids.shop["ann@x.test"], data: expect.objectContaining({ name: "shop-ann" }) } });
    expect(rows.get("ben@x.test")!._linked).toEqual({});
    expectNoneIn(res.text, [...ids("desk"), ...ids("legacy"), "desk-", "legacy-", '"desk"', '"legacy"']);
  });

  it("bob (crm and desk) through POST /query sees only desk's records", async () => {
    const res = await raw(core, "POST", `${path("crm")}/query`, w.bob.accessToken, { linked: true, where: { email: { $in: ["ann@x.test", "ben@x.test"] } }, orderBy: "email", order: "asc" });
    expect(res.status, res.text).toBe(200);
    expect(res.json.total).toBe(2);
    expect(res.json.data.map((r: Row) => [r.email, Object.keys(r._linked)])).toEqual([["ann@x.test", ["desk"]], ["ben@x.test", ["desk"]]]);
    expect(res.json.data[1]._linked.desk.recordId).toBe(w.ids.desk["ben@x.test"]);
    expectNoneIn(res.text, [...ids("shop"), ...ids("legacy"), "shop-", "legacy-"]);
  });

  it("carol (shop only) gets her customers with nothing linked: crm and desk contribute nothing", async () => {
    const res = await raw(core, "GET", `${path("shop")}?linked=true`, w.carol.accessToken);
    expect(res.status, res.text).toBe(200);
    const rows = res.json as Row[];
    expect(rows).toHaveLength(PEOPLE.shop.length);
    for (const r of rows) expect(r._linked).toEqual({});
    expectNoneIn(res.text, [...ids("crm"), ...ids("desk"), ...ids("legacy"), "crm-", "desk-", "legacy-"]);
  });

  it("a named app the caller cannot read contributes nothing; a readable one is attached", async () => {
    const denied = await raw(core, "GET", `${path("crm")}?linked=desk,legacy`, w.alice.accessToken);
    expect(denied.status, denied.text).toBe(200);
    for (const r of denied.json as Row[]) expect(r._linked).toEqual({});
    expectNoneIn(denied.text, [...ids("desk"), ...ids("legacy")]);
    const named = await raw(core, "GET", `${path("crm")}?linked=shop&email=ann@x.test`, w.alice.accessToken);
    expect((named.json as Row[])[0]!._linked.shop!.recordId).toBe(w.ids.shop["ann@x.test"]);
  });

  it("a record by id carries its links; a hidden linked row is left out there too", async () => {
    const id = w.ids.crm["ann@x.test"];
    const admin = await api(core, "GET", `${path("crm")}/${id}?linked=shop,desk`, undefined, w.admin.accessToken);
    expect(admin.status, JSON.stringify(admin.body)).toBe(200);
    expect(admin.body.id).toBe(id);
    expect(Object.keys(admin.body._linked).sort()).toEqual(["desk", "shop"]);
    const bob = await raw(core, "GET", `${path("crm")}/${id}?linked=true`, w.bob.accessToken);
    expect(bob.json._linked).toEqual({ desk: { entity: "requester", recordId: w.ids.desk["ann@x.test"], data: expect.objectContaining({ name: "desk-ann" }) } });
    expectNoneIn(bob.text, [w.ids.shop["ann@x.test"]!, w.ids.legacy["ann@x.test"]!, "shop-ann"]);
    // Without linked the record is as before.
    expect((await api(core, "GET", `${path("crm")}/${id}`, undefined, w.admin.accessToken)).body._linked).toBeUndefined();
    // A record the caller may not read stays a 404 with linked too.
    const hidden = await api(core, "GET", `${path("desk")}/${w.ids.desk["ann@x.test"]}?linked=true`, undefined, w.alice.accessToken);
    expect(hidden.status).toBe(404);
  });

  it("the tRPC twin attaches the same links under the same rules", async () => {
    const client = (await import("../src/client/index.ts")).createCoreClient(core.url, { headers: { authorization: `Bearer ${w.bob.accessToken}` } });
    const one = await client.data.get.query({ appId: "crm", entity: "contact", id: w.ids.crm["ann@x.test"]!, linked: true });
    expect(Object.keys(one._linked ?? {})).toEqual(["desk"]);
    const list = await client.data.list.query({ appId: "crm", entity: "contact", filters: { email: "ann@x.test" }, linked: ["desk", "shop"] });
    expect(Object.keys(list[0]!._linked ?? {})).toEqual(["desk"]);
  });

  it("one record per app: the earliest created of those with the identity value", async () => {
    // Two more shop customers for ben, one request after the other: the first has the earlier created_at.
    const first = await api(core, "POST", path("shop"), { email: "ben@x.test", name: "shop-ben-1" }, w.admin.accessToken);
    const second = await api(core, "POST", path("shop"), { email: "ben@x.test", name: "shop-ben-2" }, w.admin.accessToken);
    expect(Date.parse(first.body.created_at)).toBeLessThan(Date.parse(second.body.created_at));
    const res = await api(core, "GET", `${path("crm")}/${w.ids.crm["ben@x.test"]}?linked=shop`, undefined, w.admin.accessToken);
    expect(res.body._linked.shop.recordId).toBe(first.body.id);
    for (const id of [first.body.id, second.body.id]) expect((await api(core, "DELETE", `${path("shop")}/${id}`, undefined, w.admin.accessToken)).status).toBe(200);
  });

  it("an empty or whitespace-only identity value links nothing, as NULL does", async () => {
    const made: ["crm" | "shop" | "desk", string][] = [];
    for (const [app, email] of [["crm", ""], ["crm", "  "], ["shop", ""], ["shop", " \t"], ["desk", ""]] as const) {
      const res = await api(core, "POST", path(app), { [app === "desk" ? "mail" : "email"]: email, name: `blank-${app}` }, w.admin.accessToken);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      made.push([app, res.body.id as string]);
    }
    const res = await api(core, "POST", `${path("crm")}/query`, { linked: true, where: { name: "blank-crm" } }, w.admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.map((r: Row) => [r.email, r._linked]).sort()).toEqual([["  ", {}], ["", {}]]);
    // A real value still links, in the same request shape.
    const ann = await api(core, "POST", `${path("crm")}/query`, { linked: true, where: { email: "ann@x.test" } }, w.admin.accessToken);
    expect(Object.keys(ann.body.data[0]._linked).length).toBeGreaterThan(0);
    for (const [app, id] of made) expect((await api(core, "DELETE", `${path(app)}/${id}`, undefined, w.admin.accessToken)).status).toBe(200);
  });

  it("one governed statement per request, whatever the page size and the number of sources", async () => {
    let transactions = 0;
    core.core.governed.instrument(() => void transactions++);
    const res = await api(core, "GET", `${path("crm")}?linked=true&limit=1000`, undefined, w.admin.accessToken);
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(PEOPLE.crm.length);
    expect(transactions).toBe(1);
  });
});

describe("linked is no longer ignored: what cannot be answered is refused with the reason", () => {
  const refused = async (url: string, body: unknown, pattern: RegExp) => {
    const res = body === undefined ? await api(core, "GET", url, undefined, w.admin.accessToken) : await api(core, "POST", url, body, w.admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error).toMatch(pattern);
  };

  it("without linked (or with linked=false) no row has _linked; with it every row has", async () => {
    for (const url of [path("crm"), `${path("crm")}?linked=false`]) {
      const rows = (await api(core, "GET", url, undefined, w.admin.accessToken)).body as Row[];
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect(r).not.toHaveProperty("_linked");
    }
    const linked = (await api(core, "POST", `${path("crm")}/query`, { linked: ["shop"] }, w.admin.accessToken)).body.data as Row[];
    expect(linked.length).toBeGreaterThan(0);
    for (const r of linked) expect(r).toHaveProperty("_linked");
  });

  it("unknown, malformed, reserved and own apps in the list", async () => {
    await refused(`${path("crm")}?linked=nope`, undefined, /linked: unknown app "nope"/);
    await refused(`${path("crm")}?linked=shop,nope`, undefined, /linked: unknown app "nope"/);
    await refused(`${path("crm")}/query`, { linked: ["shop", "ghost"] }, /linked: unknown app "ghost"/);
    await refused(`${path("crm")}?linked=${encodeURIComponent("Shop'; DROP TABLE x--")}`, undefined, /linked: invalid app id "Shop'; DROP TABLE x--"/);
    await refused(`${path("crm")}?linked=rootcx_system`, undefined, /linked: invalid app id "rootcx_system"/);
    await refused(`${path("crm")}?linked=pg_catalog`, undefined, /linked: invalid app id "pg_catalog"/);
    await refused(`${path("crm")}?linked=`, undefined, /linked: invalid app id ""/);
    await refused(`${path("crm")}?linked=crm`, undefined, /linked: crm is this entity's own app/);
    await refused(`${path("crm")}?linked=other`, undefined, /linked: app other declares no entity of identity kind person/);
    await refused(`${path("crm")}/query`, { linked: [] }, /linked: give true or at least one app id/);
    await refused(`${path("crm")}/query`, { linked: "shop" }, /linked must be true, false or a list of app ids/);
    await refused(`${path("crm")}/query`, { linked: Array.from({ length: 101 }, (_, i) => `a${i}`) }, /^linked: more than 100 apps; name at most 100, or give true for every app of the kind$/);
    await refused(`${path("crm")}?linked=${Array.from({ length: 101 }, (_, i) => `a${i}`).join(",")}`, undefined, /^linked: more than 100 apps; name at most 100/);
    await refused(`${path("crm")}?linked=true&linked=shop`, undefined, /linked is given twice/);
    await refused(`${path("crm")}/${w.ids.crm["ann@x.test"]}?linked=nope`, undefined, /linked: unknown app "nope"/);
  });

  it("an entity without an identity kind refuses linked (400), documented", async () => {
    await refused("/api/v1/apps/crm/collections/note?linked=true", undefined, /linked: entity crm\.note declares no identityKind/);
    await refused("/api/v1/apps/crm/collections/note/query", { linked: true }, /declares no identityKind/);
    // linked=false asks for nothing, so it is no error there.
    expect((await api(core, "GET", "/api/v1/apps/crm/collections/note?linked=false", undefined, w.admin.accessToken)).status).toBe(200);
  });
});

describe("field names that are also the statements' own aliases", () => {
  // Names the Data API's SQL gives its own relations and columns: a field of that name must not stand in for them.
  const names = ["k", "links", "app", "entity", "data", "s", "p", "r", "l", "ll", "row", "x", "ins", "m", "b", "json"];
  const manifest = (appId: string, key: string) => ({
    appId,
    name: appId,
    dataContract: [{ entityName: "thing", identityKind: "odd_names", identityKey: key, fields: names.map((name) => ({ name, type: "text" })) }],
  });

  it("plain reads and writes, linked and federated reads answer correctly", async () => {
    for (const [appId, key] of [["odd_a", "k"], ["odd_b", "links"]] as const) {
      expect((await api(core, "POST", "/api/v1/apps", manifest(appId, key), w.admin.accessToken)).status).toBe(200);
      const rows = ["x", "y"].map((v) => Object.fromEntries(names.map((n) => [n, `${appId}-${n}-${v}`]).concat([[key, `same-${v}`]])));
      expect((await api(core, "POST", `/api/v1/apps/${appId}/collections/thing/bulk`, rows, w.admin.accessToken)).status).toBe(201);
    }
    const T = "/api/v1/apps/odd_a/collections/thing";
    const created = await api(core, "POST", T, { k: "solo", r: "r-value", x: "x-value" }, w.admin.accessToken);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ k: "solo", r: "r-value", x: "x-value", ins: null });
    expect((await api(core, "GET", `${T}/${created.body.id}`, undefined, w.admin.accessToken)).body).toMatchObject({ id: created.body.id, r: "r-value" });
    expect((await api(core, "PATCH", `${T}/${created.body.id}`, { p: "p-value" }, w.admin.accessToken)).body).toMatchObject({ id: created.body.id, p: "p-value", r: "r-value" });
    expect((await api(core, "GET", `${T}?k=solo`, undefined, w.admin.accessToken)).body).toEqual([expect.objectContaining({ id: created.body.id, x: "x-value" })]);
    expect((await api(core, "POST", `${T}/query`, { where: { k: "solo" } }, w.admin.accessToken)).body).toEqual({ data: [expect.objectContaining({ x: "x-value" })], total: 1 });
    expect((await api(core, "DELETE", `${T}/${created.body.id}`, undefined, w.admin.accessToken)).status).toBe(200);

    const res = await api(core, "GET", `${T}?linked=true&sort=k&order=asc`, undefined, w.admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.map((r: Row) => [r.k, r._linked.odd_b?.data.links, r._linked.odd_b?.data.app])).toEqual([
      ["same-x", "same-x", "odd_b-app-x"],
      ["same-y", "same-y", "odd_b-app-y"],
    ]);
    const fed = await api(core, "POST", "/api/v1/federated/odd_names/query", { orderBy: "row", order: "asc", where: { s: { $like: "%-x" } } }, w.admin.accessToken);
    expect(fed.status, JSON.stringify(fed.body)).toBe(200);
    expect(fed.body.total).toBe(2);
    expect(fed.body.data.map((r: Record<string, unknown>) => [r.row, r._source])).toEqual([
      ["odd_a-row-x", { app: "odd_a", entity: "thing" }],
      ["odd_b-row-x", { app: "odd_b", entity: "thing" }],
    ]);
  });
});
