import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { api, startTestCore, type TestCore } from "./harness.ts";
import { buildWorld, expectNoneIn, PEOPLE, raw, type World } from "./linked-fixtures.ts";

let core: TestCore;
let w: World;
const F = "/api/v1/federated/person/query";

beforeAll(async () => {
  core = await startTestCore();
  w = await buildWorld(core, "federated");
});
afterAll(() => core.dispose());

type Row = Record<string, unknown> & { id: string; name: string; _source: { app: string; entity: string } };
const keyOf = (r: Row) => String(r.email ?? r.mail);
const tag = (r: Row) => `${r._source.app}:${keyOf(r)}`;
const expected = (apps: (keyof typeof PEOPLE)[]) => apps.flatMap((app) => PEOPLE[app].map((e) => `${app}:${e}`));

/** Every page of a federated query, `size` rows at a time, with the total each page reported. */
async function allPages(token: string, body: Record<string, unknown>, size: number): Promise<{ rows: Row[]; totals: number[] }> {
  const rows: Row[] = [];
  const totals: number[] = [];
  for (let offset = 0; ; offset += size) {
    const res = await api(core, "POST", F, { ...body, limit: size, offset }, token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    totals.push(res.body.total);
    rows.push(...res.body.data);
    if (res.body.data.length < size) return { rows, totals };
  }
}

describe("federated query over every entity of an identity kind", () => {
  it("bob (crm and desk) pages through the union, ordered by name, with the exact total on every page", async () => {
    const all = expected(["crm", "desk"]);
    const { rows, totals } = await allPages(w.bob.accessToken, { orderBy: "name", order: "asc" }, 5);
    expect(rows.map(tag).sort()).toEqual([...all].sort());
    expect(new Set(rows.map((r) => r.id)).size).toBe(all.length);
    expect(totals.length).toBeGreaterThan(2);
    for (const t of totals) expect(t).toBe(all.length);
    const names = rows.map((r) => r.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    for (const r of rows) expect(r._source).toEqual(r._source.app === "crm" ? { app: "crm", entity: "contact" } : { app: "desk", entity: "requester" });
  });

  it("orders by a number field numerically across sources, descending, with ties broken by source and id", async () => {
    const res = await api(core, "POST", F, { orderBy: "score", order: "desc", limit: 1000 }, w.alice.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const scores = (res.body.data as Row[]).map((r) => r.score as number);
    expect(scores.length).toBe(PEOPLE.crm.length + PEOPLE.shop.length);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // 0 is in both crm and shop (their first rows): crm first (sources by app id), then shop.
    expect((res.body.data as Row[]).slice(-2).map((r) => r._source.app)).toEqual(["crm", "shop"]);
  });

  it("where applies per source; a field a source lacks reads as NULL there", async () => {
    const ann = await api(core, "POST", F, { where: { name: { $like: "%-ann" } }, orderBy: "name", order: "asc" }, w.admin.accessToken);
    expect(ann.body.data.map((r: Row) => r.name)).toEqual(["crm-ann", "desk-ann", "legacy-ann", "shop-ann"]);
    expect(ann.body.total).toBe(4);
    // `tier` is shop's only: other sources have no tier, so $isNull matches all of theirs.
    const noTier = await api(core, "POST", F, { where: { tier: { $isNull: true } }, limit: 1000 }, w.alice.accessToken);
    expect(noTier.body.total).toBe(PEOPLE.crm.length + PEOPLE.shop.length);
    const email = await api(core, "POST", F, { where: { email: "ann@x.test" } }, w.bob.accessToken);
    // desk keys by `mail`: its ann has no `email` field, so only crm's matches.
    expect(email.body.data.map(tag)).toEqual(["crm:ann@x.test"]);
  });

  it("a source the caller cannot read contributes nothing and is never named, in rows or refusals", async () => {
    const alice = await raw(core, "POST", F, w.alice.accessToken, { limit: 1000 });
    expect(alice.status, alice.text).toBe(200);
    expect(alice.json.total).toBe(PEOPLE.crm.length + PEOPLE.shop.length);
    expect((alice.json.data as Row[]).map(tag).sort()).toEqual(expected(["crm", "shop"]).sort());
    expectNoneIn(alice.text, [...Object.values(w.ids.desk), ...Object.values(w.ids.legacy), "desk", "legacy", "requester", "person_row"]);

    const carol = await raw(core, "POST", F, w.carol.accessToken, { limit: 1000, orderBy: "email" });
    expect((carol.json.data as Row[]).map(tag).sort()).toEqual(expected(["shop"]).sort());
    expectNoneIn(carol.text, [...Object.values(w.ids.crm), ...Object.values(w.ids.desk), ...Object.values(w.ids.legacy), "crm", "desk", "legacy"]);

    // legacy's score is text: for those who may read it, ordering by score is refused naming the sources…
    const admin = await api(core, "POST", F, { orderBy: "score" }, w.admin.accessToken);
    expect(admin.status).toBe(400);
    expect(admin.body.error).toMatch(/field "score" has different types across the sources of identity kind person \(.*legacy\.person_row: text.*\)/);
    // …for those who may not, legacy does not exist: no refusal, and no trace of it.
    const bob = await raw(core, "POST", F, w.bob.accessToken, { orderBy: "score", where: { score: { $gte: 0 } } });
    expect(bob.status, bob.text).toBe(200);
    expectNoneIn(bob.text, ["legacy", "shop", ...Object.values(w.ids.shop)]);
    // A field only an unreadable source has is unknown to the caller.
    const tier = await raw(core, "POST", F, w.bob.accessToken, { where: { tier: "gold" } });
    expect(tier.status).toBe(400);
    expect(tier.json.error).toBe('unknown field "tier" for identity kind person: no source you may read has it');

    const nobody = await raw(core, "POST", F, w.nobody.accessToken, {});
    expect(nobody.json).toEqual({ data: [], total: 0 });
  });

  it("the tRPC twin answers the same under the same rules", async () => {
    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${w.carol.accessToken}` } });
    const res = await client.data.federated.query({ identityKind: "person", orderBy: "email", order: "asc", limit: 3, offset: 1 });
    expect(res.total).toBe(PEOPLE.shop.length);
    expect(res.data.map((r) => r.email)).toEqual([...PEOPLE.shop].sort().slice(1, 4));
    expect(res.data.map((r) => r._source)).toEqual(Array.from({ length: 3 }, () => ({ app: "shop", entity: "customer" })));
  });
});

describe("hostile identity kinds, fields and bodies are refused with the reason", () => {
  const refused = async (url: string, body: unknown, pattern: RegExp) => {
    const res = await api(core, "POST", url, body, w.admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error).toMatch(pattern);
  };

  it("identity kinds", async () => {
    await refused(`/api/v1/federated/${encodeURIComponent("Person")}/query`, {}, /invalid identity kind "Person"/);
    await refused(`/api/v1/federated/${encodeURIComponent("person'; DROP TABLE crm.contact--")}/query`, {}, /invalid identity kind "person'; DROP TABLE crm.contact--"/);
    await refused(`/api/v1/federated/${"a".repeat(64)}/query`, {}, /invalid identity kind/);
    await refused(`/api/v1/federated/${"a".repeat(101)}/query`, {}, /identityKind/);
    // An identity kind no app declares answers as one the caller may not read: nothing.
    expect((await api(core, "POST", "/api/v1/federated/nobody_declares_this/query", {}, w.admin.accessToken)).body).toEqual({ data: [], total: 0 });
    expect((await api(core, "POST", F, {})).status).toBe(401);
  });

  it("fields, operators and the rest of the body", async () => {
    await refused(F, { orderBy: "name; DROP TABLE x" }, /invalid orderBy "name; DROP TABLE x"/);
    await refused(F, { orderBy: "Name" }, /invalid orderBy "Name"/);
    await refused(F, { orderBy: "nope" }, /unknown field "nope" for identity kind person/);
    await refused(F, JSON.stringify({ where: JSON.parse('{"__proto__": {"$eq": 1}}') }), /unknown field "__proto__"/);
    await refused(F, { where: { 'name" = name OR "1': "x" } }, /unknown field/);
    await refused(F, { where: { name: { $regex: "x" } } }, /unknown operator "\$regex"/);
    await refused(F, { where: { score: "many" } }, /score/);
    await refused(F, { where: [] }, /where must be an object/);
    await refused(F, { linked: true }, /linked does not apply to a federated query/);
    await refused(F, { limit: 0 }, /limit/);
    await refused(F, { order: "sideways" }, /order must be "asc" or "desc"/);
    await refused(F, "{not json", /JSON/i);
  });
});
