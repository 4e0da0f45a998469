import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

/** One row reads the same through every Data API route, and no query key slips past the column check. */

let core: TestCore;
let admin: Session;
const T = "/api/v1/apps/cons/collections/t";

async function text(method: string, path: string, body?: string) {
  const res = await fetch(core.url + path, { method, headers: { authorization: `Bearer ${admin.accessToken}`, "content-type": "application/json" }, body });
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@cons.test");
  const installed = await api(core, "POST", "/api/v1/apps", {
    appId: "cons",
    name: "Consistency",
    version: "1.0.0",
    dataContract: [{ entityName: "t", fields: [{ name: "title", type: "text" }, { name: "n", type: "number" }, { name: "nums", type: "[number]" }, { name: "big", type: "number" }] }],
  }, admin.accessToken);
  expect(installed.status).toBe(200);
});

afterAll(async () => {
  await core?.dispose();
});

describe("one row, every route", () => {
  it("list, query, get and the PATCH answer write its numbers the same way (-0, 1e+300, arrays)", async () => {
    const created = await text("POST", T, '{"title":"x","n":-0,"nums":[1.5,-0,1e300],"big":1e300}');
    expect(created.status, created.text).toBe(201);
    const id = (JSON.parse(created.text) as { id: string }).id;
    const pick = (json: string) => /"n":[^,]*,"nums":\[[^\]]*\],"big":[^,}]*/.exec(json)?.[0];
    const expected = '"n":-0,"nums":[1.5,-0,1e+300],"big":1e+300';
    expect(pick(created.text)).toBe(expected);
    expect(pick((await text("GET", `${T}/${id}`)).text)).toBe(expected);
    expect(pick((await text("GET", `${T}?title=x`)).text)).toBe(expected);
    expect(pick((await text("POST", `${T}/query`, '{"where":{"title":"x"}}')).text)).toBe(expected);
    expect(pick((await text("PATCH", `${T}/${id}`, '{"title":"x"}')).text)).toBe(expected);
  });
});

describe("keys that name no column", () => {
  it("a __proto__ filter or where key is an unknown column (400), never silently dropped", async () => {
    await api(core, "POST", T, { title: "other" }, admin.accessToken);
    expect(await api(core, "GET", `${T}?__proto__=zzz`, undefined, admin.accessToken)).toMatchObject({ status: 400, body: { error: 'unknown column "__proto__" for entity t' } });
    expect(await api(core, "POST", `${T}/query`, '{"where":{"__proto__":{"title":"big"}}}', admin.accessToken)).toMatchObject({ status: 400, body: { error: 'unknown column "__proto__" for entity t' } });
    expect(await api(core, "POST", `${T}/query`, '{"where":{"title":{"__proto__":{"$eq":"x"}}}}', admin.accessToken)).toMatchObject({ status: 400 });
  });
});

describe("CORS preflight", () => {
  it("echoes the requested headers and never answers a credentialed preflight with a literal *", async () => {
    const pre = (headers: Record<string, string>) => fetch(`${core.url}${T}`, { method: "OPTIONS", headers: { origin: "http://localhost:5173", "access-control-request-method": "POST", ...headers } });
    const withHeaders = await pre({ "access-control-request-headers": "authorization, content-type" });
    expect(withHeaders.status).toBe(204);
    expect(withHeaders.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
    const without = await pre({});
    expect(without.status).toBe(204);
    expect(without.headers.get("access-control-allow-credentials")).toBe("true");
    expect(without.headers.get("access-control-allow-headers")).toBeNull();
  });
});
