import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "./raw-http.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

/**
 * What a JSON parser would change on the way in is refused on every path, not only the Data API's REST routes:
 * tRPC parses its own input with JSON.parse, and every route stores strings in PostgreSQL.
 */

let core: TestCore;
let admin: Session;

async function trpcPost(path: string, text: string) {
  const res = await fetch(`${core.url}/api/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${admin.accessToken}` }, body: text });
  return { status: res.status, body: (await res.json()) as { result?: { data: Record<string, unknown> }; error?: { message: string; data: { code: string } } } };
}

async function rawRequestBody(method: string, path: string, text: string) {
  const res = await fetch(`${core.url}${path}`, { method, headers: { "content-type": "application/json", authorization: `Bearer ${admin.accessToken}` }, body: text });
  return { status: res.status, body: (await res.json()) as unknown };
}

async function trpcGet(path: string, input: string) {
  const res = await fetch(`${core.url}/api/trpc/${path}?input=${encodeURIComponent(input)}`, { headers: { authorization: `Bearer ${admin.accessToken}` } });
  return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
}

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@integrity.test");
  const installed = await api(core, "POST", "/api/v1/apps", {
    appId: "integ",
    name: "Integrity",
    version: "1.0.0",
    dataContract: [{ entityName: "t", fields: [{ name: "title", type: "text" }, { name: "n", type: "number" }, { name: "meta", type: "json" }] }],
  }, admin.accessToken);
  expect(installed.status).toBe(200);
});

afterAll(async () => {
  await core?.dispose();
});

describe("tRPC input that JSON.parse would change", () => {
  const count = async () => (await api(core, "POST", "/api/v1/apps/integ/collections/t/query", { limit: 1 }, admin.accessToken)).body.total as number;

  it("refuses a json field's big integer and a number field's unrepresentable value instead of storing them rounded", async () => {
    const before = await count();
    const bigJson = await trpcPost("data.create", '{"appId":"integ","entity":"t","record":{"meta":{"big":750727362669608961}}}');
    expect(bigJson.status).toBe(400);
    expect(bigJson.body.error?.message).toBe("record.meta.big: the number 750727362669608961 cannot be held by a double without changing its digits; send it as a string or use the REST API");
    const inexact = await trpcPost("data.create", '{"appId":"integ","entity":"t","record":{"n":0.10000000000000001}}');
    expect(inexact.status).toBe(400);
    expect(inexact.body.error?.message).toMatch(/^record\.n: the number 0\.10000000000000001 cannot be held by a double/);
    expect(await count()).toBe(before);
  });

  it("refuses a lone surrogate, in a body and in a query's input", async () => {
    const lone = await trpcPost("data.create", '{"appId":"integ","entity":"t","record":{"title":"a\\ud800b"}}');
    expect(lone.status).toBe(400);
    expect(lone.body.error?.message).toBe("record.title: text cannot contain a lone UTF-16 surrogate");
    const query = await trpcGet("data.query", '{"appId":"integ","entity":"t","where":{"n":9007199254740993}}');
    expect(query.status).toBe(400);
    expect(query.body.error?.message).toMatch(/^where\.n: the number 9007199254740993 cannot be held by a double/);
  });

  it("still takes what a double holds exactly, and ordinary input", async () => {
    const ok = await trpcPost("data.create", '{"appId":"integ","entity":"t","record":{"title":"caf\\u00e9 \\ud83d\\ude00","n":9007199254740992,"meta":{"x":1e300}}}');
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.result?.data).toMatchObject({ title: "café 😀", n: 9007199254740992 });
  });
});

describe("REST bodies on every route", () => {
  it("refuses a lone surrogate in a secret's value, leaving nothing stored", async () => {
    const res = await api(core, "POST", "/api/v1/platform/secrets", '{"key":"SUR","value":"a\\ud800b"}', admin.accessToken);
    expect(res).toMatchObject({ status: 400, body: { error: 'field "value": text cannot contain a lone UTF-16 surrogate' } });
    expect((await api(core, "GET", "/api/v1/platform/secrets", undefined, admin.accessToken)).body).not.toContain("SUR");
  });

  it("refuses a lone surrogate in a bulk record, naming the record and the field", async () => {
    const res = await api(core, "POST", "/api/v1/apps/integ/collections/t/bulk", '[{"title":"ok"},{"title":"\\udc00"}]', admin.accessToken);
    expect(res).toMatchObject({ status: 400, body: { error: 'record 1, field "title": text cannot contain a lone UTF-16 surrogate' } });
  });
});

describe("nesting", () => {
  const nested = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

  it("refuses JSON nested deeper than 512 levels with 400 on REST and tRPC, and takes 512 (brackets in strings not counted)", async () => {
    const deep = await rawRequestBody("POST", "/api/v1/apps/integ/collections/t", `{"meta":${nested(6000)}}`);
    expect(deep).toEqual({ status: 400, body: { error: "malformed JSON body: arrays and objects nest more than 512 levels deep" } });
    const viaTrpc = await trpcPost("data.create", `{"appId":"integ","entity":"t","record":{"meta":${nested(6000)}}}`);
    expect(viaTrpc.status).toBe(400);
    expect(viaTrpc.body.error?.message).toBe("the input nests arrays and objects more than 512 levels deep");
    // Read and passed on: the next check (no such app) answers, not the body reader.
    const atLimit = await rawRequestBody("POST", "/api/v1/apps/nosuch/rpc", `{"method":"m","params":${nested(511)}}`);
    expect(atLimit).toEqual({ status: 404, body: { error: "app nosuch not found" } });
    const inStrings = await api(core, "POST", "/api/v1/apps/integ/collections/t", { title: "[".repeat(5000), meta: { a: "{".repeat(5000) } }, admin.accessToken);
    expect(inStrings.status, JSON.stringify(inStrings.body).slice(0, 300)).toBe(201);
  });
});

describe("request targets that are not a path", () => {
  it("answers OPTIONS * with what the server allows, and refuses absolute-form targets instead of redirecting to their host", async () => {
    expect(await rawRequest(core.url, "OPTIONS", "*")).toBe(204);
    expect(await rawRequest(core.url, "GET", "*")).toBe(400);
    expect(await rawRequest(core.url, "GET", "http://evil.example/api/v1/version")).toBe(400);
    expect(await rawRequest(core.url, "GET", "http://evil.example/")).toBe(400);
    const res = await fetch(`${core.url}/health`);
    expect(res.status).toBe(200);
  });
});
