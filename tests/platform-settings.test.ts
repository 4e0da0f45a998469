import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { api, PASSWORD, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

// The platform setting that closes public sign-up (GET/PUT /platform/settings), what register and /auth/mode
// make of it, its audit trail, and the audit archive's status (GET /audit/archive).

let core: TestCore;
let admin: Session;
let user: Session;

const call = (method: string, path: string, body?: unknown, s: Session | null = admin) => api(core, method, `/api/v1${path}`, body, s?.accessToken);
const register = (email: string, s: Session | null = null) => call("POST", "/auth/register", { email, password: PASSWORD }, s);
const owner = (sql: string, params: unknown[] = []) => core.core.db.pool.query(sql, params);
const CLOSED = "public sign-up is closed; an administrator can create your account";

beforeAll(async () => {
  core = await startTestCore({ env: { ROOTCX_AUDIT_RETENTION_DAYS: "3650" } });
  // Closed before anyone exists, as a hand-made configuration might be: the first user must still get in.
  await owner("INSERT INTO rootcx_system.config (key, value) VALUES ('platform.registration', '\"closed\"')");
  expect((await call("GET", "/auth/mode", undefined, null)).body).toMatchObject({ setupRequired: true, registrationOpen: true });
  const first = await register("first@settings.test");
  expect(first.status, JSON.stringify(first.body)).toBe(201);
  await owner("DELETE FROM rootcx_system.config WHERE key = 'platform.registration'");
  admin = await signUpAndIn(core, "first@settings.test");
  user = await signUpAndIn(core, "user@settings.test");
});
afterAll(async () => {
  await core?.dispose();
});

describe("platform settings", () => {
  it("keep sign-up open by default and are for administrators only", async () => {
    expect(await call("GET", "/platform/settings")).toMatchObject({ status: 200, body: { registration: "open" } });
    expect(await call("GET", "/platform/settings", undefined, user)).toMatchObject({ status: 403, body: { error: "admin role required" } });
    expect(await call("PUT", "/platform/settings", { registration: "closed" }, user)).toMatchObject({ status: 403, body: { error: "admin role required" } });
    expect(await call("PUT", "/platform/settings", { registration: "maybe" }, user)).toMatchObject({ status: 403, body: { error: "admin role required" } });
    expect((await call("GET", "/platform/settings", undefined, null)).status).toBe(401);
    expect((await call("GET", "/auth/mode", undefined, null)).body).toMatchObject({ setupRequired: false, registrationOpen: true });
  });

  it("validate what is saved", async () => {
    expect(await call("PUT", "/platform/settings", { registration: "maybe" })).toMatchObject({ status: 400, body: { error: 'registration: registration must be "open" or "closed"' } });
    expect(await call("PUT", "/platform/settings", {})).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^registration: /) } });
    expect(await call("PUT", "/platform/settings", { registration: "open", extra: 1 })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/extra/) } });
    expect((await call("GET", "/platform/settings")).body).toEqual({ registration: "open" });
  });

  it("closed: anonymous and non-admin sign-ups get 403, an administrator still creates users, /auth/mode says so", async () => {
    expect(await call("PUT", "/platform/settings", { registration: "closed" })).toMatchObject({ status: 200, body: { registration: "closed" } });
    expect(await register("stranger@settings.test")).toMatchObject({ status: 403, body: { error: CLOSED } });
    expect(await register("friend@settings.test", user)).toMatchObject({ status: 403, body: { error: CLOSED } });
    expect((await owner("SELECT count(*)::int AS n FROM rootcx_system.users WHERE email IN ('stranger@settings.test', 'friend@settings.test')")).rows[0].n).toBe(0);
    const created = await register("hired@settings.test", admin);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await call("GET", "/auth/mode", undefined, null)).body).toMatchObject({ registrationOpen: false });

    expect((await call("PUT", "/platform/settings", { registration: "open" })).status).toBe(200);
    expect((await register("stranger@settings.test")).status).toBe(201);
    expect((await call("GET", "/auth/mode", undefined, null)).body).toMatchObject({ registrationOpen: true });
  });

  it("audit each change with its actor, before and after; a save that changes nothing writes nothing", async () => {
    const since = (await owner("SELECT coalesce(max(id), 0)::text AS id FROM rootcx_system.audit_log")).rows[0].id;
    expect((await call("PUT", "/platform/settings", { registration: "closed" })).status).toBe(200);
    expect((await call("PUT", "/platform/settings", { registration: "closed" })).status).toBe(200);
    expect((await call("PUT", "/platform/settings", { registration: "open" })).status).toBe(200);
    const { rows } = await owner(
      "SELECT table_name, record_id, operation, actor_uid::text, old_record, new_record FROM rootcx_system.audit_log WHERE id > $1::bigint AND operation = 'settings.update' ORDER BY id",
      [since],
    );
    expect(rows).toEqual([
      { table_name: "config", record_id: "registration", operation: "settings.update", actor_uid: admin.userId, old_record: { registration: "open" }, new_record: { registration: "closed" } },
      { table_name: "config", record_id: "registration", operation: "settings.update", actor_uid: admin.userId, old_record: { registration: "closed" }, new_record: { registration: "open" } },
    ]);
    expect((await call("GET", "/audit/verify")).body).toMatchObject({ ok: true });
  });

  it("are served over tRPC by the same service", async () => {
    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    expect(await client.settings.update.mutate({ registration: "closed" })).toEqual({ registration: "closed" });
    expect(await client.settings.get.query()).toEqual({ registration: "closed" });
    expect((await client.auth.mode.query()).registrationOpen).toBe(false);
    const anonymous = createCoreClient(core.url);
    const refused = await anonymous.auth.register.mutate({ email: "trpc@settings.test", password: PASSWORD }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect((refused as TRPCClientError<never>).message).toBe(CLOSED);
    await client.settings.update.mutate({ registration: "open" });
    const plain = createCoreClient(core.url, { headers: { authorization: `Bearer ${user.accessToken}` } });
    const denied = await plain.settings.update.mutate({ registration: "closed" }).catch((e: unknown) => e);
    expect((denied as TRPCClientError<never>).data).toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("audit archive status", () => {
  it("reports the schedule, the last run, the anchor and the archive files, for administrators only", async () => {
    expect((await call("GET", "/audit/archive", undefined, user)).status).toBe(403);
    const before = await call("GET", "/audit/archive");
    expect(before).toMatchObject({ status: 200, body: { retention_days: 3650, last_run: null, archived_through_id: null, files: [] } });

    const run = await call("POST", "/audit/archive", { before: new Date(Date.now() + 60_000).toISOString() });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.removed).toBeGreaterThan(0);
    const after = await call("GET", "/audit/archive");
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({
      retention_days: 3650,
      last_run: { removed: run.body.removed, through_id: run.body.through_id, archive_file: run.body.archive_file, actor_uid: admin.userId, trigger: "control_plane" },
      archived_through_id: run.body.through_id,
    });
    expect(Date.parse(after.body.last_run.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(after.body.files).toEqual([{ name: run.body.archive_file, bytes: expect.any(Number), modified_at: expect.any(String) }]);
    expect(after.body.files[0].bytes).toBeGreaterThan(100);

    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    expect(await client.audit.archiveStatus.query()).toEqual(after.body);
  });
});
