import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { details, manifest, placeFixture } from "./workers-helpers.ts";

// POST /apps/:appId/rpc: who may call, which worker runs the call, and what the caller gets back.
let core: TestCore;
let admin: Session;
let member: Session;
let outsider: Session;
const rpc = (appId: string, body: unknown, token?: string) => api(core, "POST", `/api/v1/apps/${appId}/rpc`, body, token);

beforeAll(async () => {
  core = await startTestCore({});
  admin = await signUpAndIn(core, "admin@example.com");
  const kit = manifest("kit", { public: { rpcs: [{ name: "echo" }, { name: "scoped", scope: ["ticket_id"] }, { name: "ghost" }] }, actions: [{ id: "echo", name: "Echo" }] });
  expect((await api(core, "POST", "/api/v1/apps", kit, admin.accessToken)).status).toBe(200);
  expect((await api(core, "POST", "/api/v1/apps", manifest("frontonly"), admin.accessToken)).status).toBe(200);
  placeFixture(core, "kit", "kit");
  member = await signUpAndIn(core, "member@example.com");
  outsider = await signUpAndIn(core, "outsider@example.com");
  expect((await api(core, "POST", "/api/v1/roles", { name: "kit_caller", permissions: ["app:kit:invoke"] }, admin.accessToken)).status).toBe(200);
  expect((await api(core, "POST", "/api/v1/roles/assign", { userId: member.userId, role: "kit_caller" }, admin.accessToken)).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await core?.dispose();
});

describe("callers", () => {
  it("runs a user's call on that user's worker with the live permission list", async () => {
    const res = await rpc("kit", { method: "echo", params: { n: 1 }, id: 7 }, member.accessToken);
    expect(res.status).toBe(200);
    expect(res.body.params).toEqual({ n: 1 });
    expect(res.body.caller.userId).toBe(member.userId);
    expect(res.body.caller.email).toBe(member.email);
    expect(res.body.caller.effectivePerms).toContain("app:kit:invoke");
    expect((await details(core, admin.accessToken, "kit")).map((d) => d.identity)).toContain("user:member@example.com");
  });

  it("refuses a user without app:kit:invoke with 403 naming the key", async () => {
    expect(await rpc("kit", { method: "echo" }, outsider.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: app:kit:invoke" } });
  });

  it("runs a public RPC without a token on the anonymous worker with caller null", async () => {
    const res = await rpc("kit", { method: "echo", params: { open: true } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ params: { open: true }, caller: null });
    expect((await details(core, admin.accessToken, "kit")).map((d) => d.identity)).toContain("anon");
  });

  it("refuses a non-public method without a token with 401, and a scoped public one too", async () => {
    expect(await rpc("kit", { method: "env" })).toMatchObject({ status: 401, body: { error: "method env of app kit is not public: sign in (Authorization: Bearer <token>)" } });
    expect((await rpc("kit", { method: "scoped" })).status).toBe(401);
  });

  it("tells an anonymous caller of a public name the backend does not serve only that, never the private method names", async () => {
    expect(await rpc("kit", { method: "ghost" })).toMatchObject({ status: 404, body: { error: "unknown method: ghost" } });
    // A caller holding app:kit:invoke, and an administrator, get the list.
    for (const token of [member.accessToken, admin.accessToken]) {
      const res = await rpc("kit", { method: "ghost" }, token);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatch(/^unknown method: ghost \(the backend serves: echo, env, /);
    }
  });

  it("refuses an unknown share token and a bad JWT", async () => {
    // Share tokens are told apart by their rcsh_ prefix (tests/share-token-rpc.test.ts covers them whole).
    const share = await fetch(`${core.url}/api/v1/apps/kit/rpc`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer rcsh_${"a".repeat(43)}` }, body: JSON.stringify({ method: "echo" }) });
    expect(share.status).toBe(401);
    expect(await share.json()).toEqual({ error: "this share link is unknown, revoked or expired" });
    expect((await rpc("kit", { method: "echo" }, "not.a.jwt")).status).toBe(401);
  });
});

describe("requests", () => {
  it("validates the body", async () => {
    const needsMethod = 'the body needs a method: {"method": "…", "params": {…}}';
    expect(await rpc("kit", {}, admin.accessToken)).toMatchObject({ status: 400, body: { error: needsMethod } });
    expect(await rpc("kit", undefined, admin.accessToken)).toMatchObject({ status: 400, body: { error: needsMethod } });
    expect(await rpc("kit", { params: {} }, admin.accessToken)).toMatchObject({ status: 400, body: { error: needsMethod } });
    expect(await rpc("kit", { method: 3 }, admin.accessToken)).toMatchObject({ status: 400, body: { error: "method: method must be a string" } });
    // Content types are not checked on JSON routes (curl -d works): a form-encoded body is malformed JSON, a 400.
    const form = await fetch(`${core.url}/api/v1/apps/kit/rpc`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Bearer ${admin.accessToken}` }, body: "method=echo" });
    expect(form.status).toBe(400);
    expect(((await form.json()) as { error: string }).error).toMatch(/^malformed JSON body: /);
    expect(await rpc("kit", { method: "" }, admin.accessToken)).toMatchObject({ status: 400, body: { error: "method: method must not be empty" } });
    expect(await rpc("kit", { method: "m".repeat(201) }, admin.accessToken)).toMatchObject({ status: 400, body: { error: "method: method must be at most 200 characters" } });
    expect((await rpc("kit", [1, 2], admin.accessToken)).status).toBe(400);
  });

  it("answers 404 for an unknown app and for an app without backend", async () => {
    expect(await rpc("ghost", { method: "echo" }, admin.accessToken)).toMatchObject({ status: 404, body: { error: "app ghost not found" } });
    expect(await rpc("frontonly", { method: "echo" }, admin.accessToken)).toMatchObject({ status: 404, body: { error: "app frontonly has no backend" } });
    placeFixture(core, "kit", "emptied");
    rmSync(path.join(core.dataDir, "apps", "emptied", "index.ts"));
    expect(await rpc("emptied", { method: "echo" }, admin.accessToken)).toMatchObject({ status: 404, body: { error: "app emptied has no backend" } });
  });

  it("passes params through as JSON, {} when absent, and any JSON result back as it is", async () => {
    expect((await rpc("kit", { method: "echo" }, admin.accessToken)).body.params).toEqual({});
    expect((await rpc("kit", { method: "echo", params: [1, "two", null] }, admin.accessToken)).body.params).toEqual([1, "two", null]);
    expect((await rpc("kit", { method: "onStartCount" }, admin.accessToken)).body).toBe(0);
  });

  it("runs ctx.action as the same identity", async () => {
    const res = await rpc("kit", { method: "action", params: { name: "echo", input: { via: "action" } } }, admin.accessToken);
    expect(res.status).toBe(200);
    expect(res.body.params).toEqual({ via: "action" });
    expect(res.body.caller.userId).toBe(admin.userId);
  });

  it("is reachable through tRPC for the Studio: workers.status and workers.list", async () => {
    const status = await fetch(`${core.url}/api/trpc/workers.status?input=${encodeURIComponent(JSON.stringify({ appId: "kit" }))}`, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    expect((await status.json()).result.data).toEqual({ app_id: "kit", status: "running" });
    const list = await fetch(`${core.url}/api/trpc/workers.list?input=${encodeURIComponent(JSON.stringify({ detail: true }))}`, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    const data = (await list.json()).result.data;
    expect(data.workers.kit).toBe("running");
    expect(data.details.kit.length).toBeGreaterThanOrEqual(2);
  });
});
