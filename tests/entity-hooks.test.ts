import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { createCoreClient } from "../src/client/index.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { FIXTURES, placeFixture, waitFor } from "./workers-helpers.ts";

// Entity hooks (issue 15 item 4, spec §2.10 and §6.3): a committed change of a hooked entity enqueues exactly one
// job per hook in the writer's own transaction, with the record and the old record; a rolled-back change none.
let core: TestCore;
let admin: Session;
let outsider: Session;
let db: pg.Pool;
const manifest = JSON.parse(readFileSync(path.join(FIXTURES, "hooked", "manifest.json"), "utf8")) as Record<string, unknown>;
const notes = "/api/v1/apps/hooked/collections/note";

interface HookJob {
  msg_id: string;
  user_id: string;
  source: string;
  source_id: string;
  payload: { _hook: boolean; hook_id: string; entity: string; operation: string; record_id: string; record: Record<string, unknown> | null; old_record: Record<string, unknown> | null; action_type: string; action_config: Record<string, unknown> };
}

/** Every job entity hooks enqueued, whatever the dispatcher has done with it since. */
async function hookJobs(): Promise<HookJob[]> {
  const { rows } = await db.query<HookJob>("SELECT j.msg_id::text AS msg_id, j.user_id, j.source, j.source_id, j.payload FROM rootcx_system.jobs j WHERE j.source = 'hook' ORDER BY j.msg_id");
  return rows;
}

async function createHook(body: Record<string, unknown>, token = admin.accessToken) {
  return api(core, "POST", "/api/v1/apps/hooked/hooks", body, token);
}

async function triggers(): Promise<string[]> {
  const { rows } = await db.query<{ tgname: string }>("SELECT tgname FROM pg_trigger WHERE tgrelid = 'hooked.note'::regclass AND tgname LIKE 'rootcx_hook_%' ORDER BY tgname");
  return rows.map((r) => r.tgname);
}

let hooks: Record<"INSERT" | "UPDATE" | "DELETE", string>;

beforeAll(async () => {
  core = await startTestCore({});
  admin = await signUpAndIn(core, "admin@example.com");
  outsider = await signUpAndIn(core, "outsider@example.com");
  expect((await api(core, "POST", "/api/v1/apps", manifest, admin.accessToken)).status).toBe(200);
  placeFixture(core, "hooked", "hooked");
  db = new pg.Pool({ connectionString: core.database.url, max: 2 });
  hooks = { INSERT: "", UPDATE: "", DELETE: "" };
  for (const operation of ["INSERT", "UPDATE", "DELETE"] as const) {
    const res = await createHook({ entity: "note", operation, action_type: "job", action_config: { via: operation.toLowerCase() } });
    expect(res.status).toBe(201);
    hooks[operation] = res.body.id;
  }
}, 60_000);

afterAll(async () => {
  await db?.end();
  await core?.dispose();
});

describe("firing", () => {
  let id: string;

  it("enqueues one job for a committed INSERT, with the record, as the hook's creator", async () => {
    const before = (await hookJobs()).length;
    const res = await api(core, "POST", notes, { title: "first" }, admin.accessToken);
    expect(res.status).toBe(201);
    id = res.body.id;
    const jobs = (await hookJobs()).slice(before);
    expect(jobs.length).toBe(1);
    expect(jobs[0]).toMatchObject({ user_id: admin.userId, source: "hook", source_id: hooks.INSERT });
    expect(jobs[0]!.payload).toMatchObject({ _hook: true, hook_id: hooks.INSERT, entity: "note", operation: "INSERT", record_id: id, old_record: null, action_type: "job", action_config: { via: "insert" } });
    expect(jobs[0]!.payload.record).toMatchObject({ id, title: "first", done: false });
  });

  it("enqueues one job for a committed UPDATE, with the old and the new record", async () => {
    const before = (await hookJobs()).length;
    expect((await api(core, "PATCH", `${notes}/${id}`, { title: "second", done: true }, admin.accessToken)).status).toBe(200);
    const jobs = (await hookJobs()).slice(before);
    expect(jobs.length).toBe(1);
    expect(jobs[0]!.payload).toMatchObject({ hook_id: hooks.UPDATE, operation: "UPDATE", record_id: id, record: { title: "second", done: true }, old_record: { title: "first", done: false } });
  });

  it("enqueues one job for a committed DELETE, with the old record", async () => {
    const before = (await hookJobs()).length;
    expect((await api(core, "DELETE", `${notes}/${id}`, undefined, admin.accessToken)).status).toBe(200);
    const jobs = (await hookJobs()).slice(before);
    expect(jobs.length).toBe(1);
    expect(jobs[0]!.payload).toMatchObject({ hook_id: hooks.DELETE, operation: "DELETE", record_id: id, record: null, old_record: { id, title: "second" } });
  });

  it("enqueues nothing for a change that rolls back: a bulk insert whose last row breaks a constraint", async () => {
    const before = await hookJobs();
    const res = await api(core, "POST", `${notes}/bulk`, [{ title: "a" }, { title: "b" }, { done: true }], admin.accessToken);
    // The first two rows were inserted (and their triggers ran) before the third failed the statement.
    expect(res.status).toBe(400);
    expect(res.body.error).toContain("title");
    expect((await db.query("SELECT count(*)::int AS n FROM hooked.note WHERE title IN ('a', 'b')")).rows[0].n).toBe(0);
    expect(await hookJobs()).toEqual(before);
    // The same rows without the bad one commit, and enqueue one job each.
    expect((await api(core, "POST", `${notes}/bulk`, [{ title: "a" }, { title: "b" }], admin.accessToken)).status).toBe(201);
    const after = (await hookJobs()).slice(before.length);
    expect(after.map((j) => j.payload.record?.title).sort()).toEqual(["a", "b"]);
  });

  it("keeps its triggers through a re-install that changes the table, and drops the hooks of an entity that goes", async () => {
    const changed = { ...manifest, version: "1.1.0", dataContract: [{ entityName: "note", fields: [{ name: "title", type: "text", required: true }, { name: "done", type: "boolean", default_value: false }, { name: "tag", type: "text" }] }, { entityName: "draft", fields: [{ name: "body", type: "text" }] }] };
    expect((await api(core, "POST", "/api/v1/apps", changed, admin.accessToken)).status).toBe(200);
    expect(await triggers()).toEqual(["rootcx_hook_delete", "rootcx_hook_insert", "rootcx_hook_update"]);
    const before = (await hookJobs()).length;
    expect((await api(core, "POST", notes, { title: "after sync", tag: "x" }, admin.accessToken)).status).toBe(201);
    expect((await hookJobs()).slice(before).map((j) => j.payload.record?.tag)).toEqual(["x"]);
    const draftHook = await createHook({ entity: "draft", operation: "INSERT" });
    expect(draftHook.status).toBe(201);
    // A re-install without "draft" drops its table; its hook goes too.
    expect((await api(core, "POST", "/api/v1/apps", { ...changed, version: "1.2.0", dataContract: [changed.dataContract[0]] }, admin.accessToken)).status).toBe(200);
    expect((await api(core, "GET", `/api/v1/apps/hooked/hooks/${draftHook.body.id}`, undefined, admin.accessToken)).status).toBe(404);
  });
});

describe("management", () => {
  it("lists with entity and operation filters, and gets one", async () => {
    const all = await api(core, "GET", "/api/v1/apps/hooked/hooks", undefined, admin.accessToken);
    expect(all.status).toBe(200);
    expect(all.body.map((h: { operation: string }) => h.operation).sort()).toEqual(["DELETE", "INSERT", "UPDATE"]);
    const updates = await api(core, "GET", "/api/v1/apps/hooked/hooks?entity=note&operation=UPDATE", undefined, admin.accessToken);
    expect(updates.body.map((h: { id: string }) => h.id)).toEqual([hooks.UPDATE]);
    expect((await api(core, "GET", "/api/v1/apps/hooked/hooks?entity=nothing", undefined, admin.accessToken)).body).toEqual([]);
    const one = await api(core, "GET", `/api/v1/apps/hooked/hooks/${hooks.INSERT}`, undefined, admin.accessToken);
    expect(one.body).toMatchObject({ id: hooks.INSERT, app_id: "hooked", entity: "note", operation: "INSERT", action_type: "job", action_config: { via: "insert" }, run_as: null, active: true, created_by: admin.userId });
  });

  it("refuses with reasons: unknown entity, operation, unsupported action types, hostile input", async () => {
    expect((await createHook({ entity: "ghost", operation: "INSERT" })).body).toEqual({ error: 'app hooked has no entity "ghost"' });
    expect(await createHook({ entity: "note", operation: "TRUNCATE" })).toMatchObject({ status: 400, body: { error: 'operation: operation must be "INSERT", "UPDATE" or "DELETE"' } });
    expect(await createHook({ entity: "note", operation: "INSERT", action_type: "agent" })).toMatchObject({ status: 400, body: { error: 'action_type "agent" is not supported yet: this Core runs "job" hooks only (agents and workflows are not part of it)' } });
    expect((await createHook({ entity: "note", operation: "INSERT", action_type: "workflow" })).body.error).toContain('action_type "workflow" is not supported yet');
    expect((await createHook({ entity: 'note"; DROP TABLE x; --', operation: "INSERT" })).status).toBe(400);
    expect((await createHook({ entity: "note", operation: "INSERT", action_config: [1] })).body.error).toBe("action_config: action_config must be a JSON object");
    expect((await api(core, "POST", "/api/v1/apps/nope/hooks", { entity: "note", operation: "INSERT" }, admin.accessToken))).toMatchObject({ status: 404, body: { error: "app nope not found" } });
    expect((await createHook({ entity: "note", operation: "INSERT", action_config: { big: "x".repeat(70_000) } })).body).toEqual({ error: "action_config: action_config must be at most 64 KiB of JSON" });
    expect((await createHook({ entity: "note", operation: "INSERT", action_config: { nul: "a\u0000b" } })).status).toBe(400);
    expect((await createHook({ entity: "note", operation: "INSERT", extra: 1 })).status).toBe(400);
    expect(await api(core, "GET", "/api/v1/apps/hooked/hooks/not-a-uuid", undefined, admin.accessToken)).toMatchObject({ status: 400, body: { error: "invalid hook id" } });
    expect((await api(core, "GET", "/api/v1/apps/hooked/hooks?operation=insert", undefined, admin.accessToken)).status).toBe(400);
  });

  it("needs hook.read to read and hook.write to change", async () => {
    expect(await api(core, "GET", "/api/v1/apps/hooked/hooks", undefined, outsider.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: app:hooked:hook.read" } });
    expect(await api(core, "GET", `/api/v1/apps/hooked/hooks/${hooks.INSERT}`, undefined, outsider.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: app:hooked:hook.read" } });
    expect(await createHook({ entity: "note", operation: "INSERT" }, outsider.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: app:hooked:hook.write" } });
    expect(await api(core, "DELETE", `/api/v1/apps/hooked/hooks/${hooks.INSERT}`, undefined, outsider.accessToken)).toMatchObject({ status: 403, body: { error: "permission required: app:hooked:hook.write" } });
  });

  it("refuses runAs without act-as: a person acting as another, a service account without a delegation", async () => {
    expect(await createHook({ entity: "note", operation: "INSERT", runAs: outsider.userId })).toMatchObject({
      status: 403,
      body: { error: `hook may not run as user ${outsider.userId}: a person may not act as another person` },
    });
    const sa = await api(core, "POST", "/api/v1/service-accounts", { slug: "hooker" }, admin.accessToken);
    expect(sa.status).toBe(201);
    expect((await api(core, "POST", "/api/v1/roles/assign", { userId: sa.body.id, role: "admin" }, admin.accessToken)).status).toBe(200);
    const key = await api(core, "POST", `/api/v1/service-accounts/${sa.body.id}/credentials`, { name: "k" }, admin.accessToken);
    expect(key.status).toBe(201);
    expect(await createHook({ entity: "note", operation: "INSERT", runAs: outsider.userId }, key.body.key)).toMatchObject({
      status: 403,
      body: { error: `hook may not run as user ${outsider.userId}: no standing act-as delegation from that user to ${sa.body.id}` },
    });
    // With a delegation from the person (made by an administrator, whose permissions cover theirs), the hook is made and its jobs run as that person.
    expect((await api(core, "POST", `/api/v1/service-accounts/${sa.body.id}/act-as`, { userId: outsider.userId }, admin.accessToken)).status).toBe(201);
    const made = await createHook({ entity: "note", operation: "INSERT", runAs: outsider.userId }, key.body.key);
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ run_as: outsider.userId, created_by: sa.body.id });
    const before = (await hookJobs()).length;
    expect((await api(core, "POST", notes, { title: "two hooks" }, admin.accessToken)).status).toBe(201);
    expect((await hookJobs()).slice(before).map((j) => j.user_id).sort()).toEqual([admin.userId, outsider.userId].sort());
    expect((await api(core, "DELETE", `/api/v1/apps/hooked/hooks/${made.body.id}`, undefined, admin.accessToken)).status).toBe(200);
  });

  it("deletes a hook ({ok: true}); the last one of an operation takes the trigger along and nothing more is enqueued", async () => {
    expect(await api(core, "DELETE", `/api/v1/apps/hooked/hooks/${hooks.DELETE}`, undefined, admin.accessToken)).toMatchObject({ status: 200, body: { ok: true } });
    expect(await api(core, "DELETE", `/api/v1/apps/hooked/hooks/${hooks.DELETE}`, undefined, admin.accessToken)).toMatchObject({ status: 404, body: { error: `hook ${hooks.DELETE} not found in app hooked` } });
    expect(await triggers()).toEqual(["rootcx_hook_insert", "rootcx_hook_update"]);
    const created = await api(core, "POST", notes, { title: "doomed" }, admin.accessToken);
    const before = (await hookJobs()).length;
    expect((await api(core, "DELETE", `${notes}/${created.body.id}`, undefined, admin.accessToken)).status).toBe(200);
    expect((await hookJobs()).length).toBe(before);
  });
});

describe("concurrency", () => {
  it("takes concurrent creates and deletes on one (entity, operation): one trigger while any hook lives, none after", async () => {
    const made = await Promise.all(Array.from({ length: 6 }, () => createHook({ entity: "note", operation: "DELETE" })));
    expect(made.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(await triggers()).toEqual(["rootcx_hook_delete", "rootcx_hook_insert", "rootcx_hook_update"]);
    const created = await api(core, "POST", notes, { title: "six hooks" }, admin.accessToken);
    const before = (await hookJobs()).length;
    expect((await api(core, "DELETE", `${notes}/${created.body.id}`, undefined, admin.accessToken)).status).toBe(200);
    expect((await hookJobs()).slice(before).map((j) => j.source_id).sort()).toEqual(made.map((r) => r.body.id).sort());
    // Every hook deleted twice at once: one answer each is {ok: true}, the other 404.
    const ids = made.map((r) => r.body.id as string);
    const deleted = await Promise.all([...ids, ...ids].map((id) => api(core, "DELETE", `/api/v1/apps/hooked/hooks/${id}`, undefined, admin.accessToken)));
    expect(deleted.filter((r) => r.status === 200).length).toBe(6);
    expect(deleted.filter((r) => r.status === 404).length).toBe(6);
    expect(await triggers()).toEqual(["rootcx_hook_insert", "rootcx_hook_update"]);
  });
});

describe("tRPC", () => {
  it("offers list, get, create and remove over the same services", async () => {
    const trpc = createCoreClient(core.url, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    const made = await trpc.entityHooks.create.mutate({ appId: "hooked", entity: "note", operation: "UPDATE" });
    expect(made).toMatchObject({ entity: "note", operation: "UPDATE", action_type: "job", action_config: {} });
    expect((await trpc.entityHooks.list.query({ appId: "hooked", operation: "UPDATE" })).map((h) => h.id).sort()).toEqual([hooks.UPDATE, made.id].sort());
    expect((await trpc.entityHooks.get.query({ appId: "hooked", hookId: made.id })).id).toBe(made.id);
    expect(await trpc.entityHooks.remove.mutate({ appId: "hooked", hookId: made.id })).toEqual({ ok: true });
    await expect(trpc.entityHooks.create.mutate({ appId: "hooked", entity: "note", operation: "INSERT", action_type: "agent" })).rejects.toThrow('action_type "agent" is not supported yet');
  });
});

describe("end to end", () => {
  it("delivers the hook's payload to the worker's onJob, as the hook's creator", async () => {
    const res = await api(core, "POST", notes, { title: "to the worker" }, admin.accessToken);
    expect(res.status).toBe(201);
    const got = await waitFor("the hook job at the worker", async () => {
      const jobs = await api(core, "POST", "/api/v1/apps/hooked/rpc", { method: "jobs" }, admin.accessToken);
      return (jobs.body as { payload: HookJob["payload"]; caller: { userId: string } | null }[]).find((j) => j.payload.record?.title === "to the worker");
    }, 20_000, 200);
    expect(got.payload).toMatchObject({ _hook: true, hook_id: hooks.INSERT, entity: "note", operation: "INSERT", record_id: res.body.id, old_record: null });
    expect(got.caller?.userId).toBe(admin.userId);
  });
});
