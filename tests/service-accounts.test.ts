import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient, type CoreClient } from "../src/client/index.ts";
import { api, PASSWORD, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

// Service accounts (issue 14 §1, spec §2.19): administration over REST and tRPC, refusals with their reasons,
// the audit trail, and what a service account may never do (sign in by password, manage platform secrets).

let core: TestCore;
let admin: Session;
let manager: Session; // holds admin:service_accounts.manage and nothing else
let bystander: Session; // holds nothing
let trpc: CoreClient;

const call = (method: string, path: string, body?: unknown, token = admin.accessToken) => api(core, method, `/api/v1${path}`, body, token);

async function create(slug: string, token = admin.accessToken): Promise<string> {
  const res = await call("POST", "/service-accounts", { slug }, token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function auditRows(target: string): Promise<{ operation: string; actor_uid: string | null; new_record: unknown; old_record: unknown }[]> {
  const { rows } = await core.core.db.pool.query(
    "SELECT operation, actor_uid, new_record, old_record FROM rootcx_system.audit_log WHERE record_id = $1 AND operation LIKE 'service_account.%' ORDER BY id",
    [target],
  );
  return rows;
}

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "sa-admin@example.com");
  manager = await signUpAndIn(core, "sa-manager@example.com");
  bystander = await signUpAndIn(core, "sa-bystander@example.com");
  expect((await call("POST", "/roles", { name: "sa-managers", permissions: ["admin:service_accounts.manage"] })).status).toBe(200);
  expect((await call("POST", "/roles/assign", { userId: manager.userId, role: "sa-managers" })).status).toBe(200);
  trpc = createCoreClient(core.url, { headers: { authorization: `Bearer ${admin.accessToken}` } });
}, 60_000);

afterAll(async () => {
  await core?.dispose();
});

describe("creating and listing service accounts", () => {
  it("creates an account owned by its creator, with no role and no key (201 {id, email})", async () => {
    const res = await call("POST", "/service-accounts", { slug: "ci-bot", displayName: "CI bot" }, manager.accessToken);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(["email", "id"]);
    expect(res.body.email).toBe("sa+ci-bot@localhost");
    const list = await call("GET", "/service-accounts", undefined, manager.accessToken);
    const row = (list.body as { id: string }[]).find((a) => a.id === res.body.id);
    expect(row).toEqual({
      id: res.body.id,
      email: "sa+ci-bot@localhost",
      slug: "ci-bot",
      displayName: "CI bot",
      disabled: false,
      owner: { id: manager.userId, email: manager.email },
      roles: [],
      credentialCount: 0,
      lastUsedAt: null,
      createdAt: expect.any(String),
    });
    const perms = await call("GET", `/permissions/${res.body.id}`);
    expect(perms.body).toEqual({ roles: [], permissions: [] });
    // Not a person: the users list leaves it out.
    expect(((await call("GET", "/users")).body as { id: string }[]).some((u) => u.id === res.body.id)).toBe(false);
  });

  it("refuses a taken slug, a malformed one, and callers without the permission", async () => {
    await create("taken");
    const dup = await call("POST", "/service-accounts", { slug: "taken" });
    expect(dup).toMatchObject({ status: 409, body: { error: "the slug taken is taken (sa+taken@localhost exists)" } });
    for (const slug of ["Upper", "has space", "", "x".repeat(49), "a@b", "../etc"]) {
      const bad = await call("POST", "/service-accounts", { slug });
      expect(bad.status, slug).toBe(400);
      expect(bad.body.error).toBe("slug: slug must be 1 to 48 of a-z, 0-9, _ and -, with at least one letter or digit");
    }
    const noPerm = await call("POST", "/service-accounts", { slug: "sneaky" }, bystander.accessToken);
    expect(noPerm).toMatchObject({ status: 403, body: { error: "permission required: admin:service_accounts.manage" } });
    expect((await call("GET", "/service-accounts", undefined, bystander.accessToken)).body).toEqual({ error: "permission required: admin:service_accounts.manage" });
    const anonymous = await api(core, "GET", "/api/v1/service-accounts");
    expect(anonymous).toMatchObject({ status: 401, body: { error: "missing bearer token" } });
    expect((await call("GET", "/service-accounts/not-a-uuid")).body).toEqual({ error: "invalid id" });
    expect((await call("GET", "/service-accounts/00000000-0000-0000-0000-000000000001")).body).toEqual({ error: "service account not found" });
  });

  it("offers the same through tRPC", async () => {
    const created = await trpc.serviceAccounts.create.mutate({ slug: "trpc-bot" });
    expect(created.email).toBe("sa+trpc-bot@localhost");
    const key = await trpc.serviceAccounts.createCredential.mutate({ id: created.id, name: "deploy", expiresInDays: 30 });
    expect(key.key).toMatch(/^rcs_[A-Za-z0-9_-]{43}$/);
    const details = await trpc.serviceAccounts.get.query({ id: created.id });
    expect(details.credentials).toEqual([
      { id: key.id, name: "deploy", prefix: key.prefix, expiresAt: key.expiresAt, lastUsedAt: null, createdAt: expect.any(String), expired: false },
    ]);
    expect((await trpc.serviceAccounts.list.query()).map((a) => a.slug)).toContain("trpc-bot");
    expect(await trpc.serviceAccounts.disable.mutate({ id: created.id })).toEqual({ message: "service account sa+trpc-bot@localhost disabled" });
    expect((await trpc.serviceAccounts.get.query({ id: created.id })).disabled).toBe(true);
    expect(await trpc.serviceAccounts.enable.mutate({ id: created.id })).toEqual({ message: "service account sa+trpc-bot@localhost enabled" });
    expect((await trpc.serviceAccounts.deleteCredential.mutate({ id: created.id, credentialId: key.id })).message).toBe(`key deploy (${key.prefix}…) deleted`);
    await expect(trpc.serviceAccounts.transferOwnership.mutate({ id: created.id, newOwner: created.id })).rejects.toThrow(
      "the new owner must be a person's account (not a service account or other system principal)",
    );
    expect((await trpc.serviceAccounts.remove.mutate({ id: created.id })).message).toBe("service account sa+trpc-bot@localhost deleted");
    await expect(trpc.serviceAccounts.get.query({ id: created.id })).rejects.toThrow("service account not found");
  });
});

describe("keys", () => {
  it("shows a key once (201 {id, key, prefix, expiresAt}), clamps its lifetime to 1..365 days, defaults to 90", async () => {
    const id = await create("keys");
    const day = 86_400_000;
    const cases: [number | undefined, number][] = [[undefined, 90], [1000, 365], [0, 1], [-5, 1], [7, 7]];
    for (const [asked, days] of cases) {
      const before = Date.now();
      const res = await call("POST", `/service-accounts/${id}/credentials`, { name: `k${asked}`, ...(asked === undefined ? {} : { expiresInDays: asked }) });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(["expiresAt", "id", "key", "prefix"]);
      expect(res.body.prefix).toBe(res.body.key.slice(0, 12));
      const lifetime = new Date(res.body.expiresAt).getTime() - before;
      expect(Math.abs(lifetime - days * day), `${asked}`).toBeLessThan(60_000);
    }
    for (const [expiresInDays, error] of [["30", "expiresInDays: expiresInDays must be a whole number of days"], [1.5, "expiresInDays: expiresInDays must be a whole number of days"]] as const) {
      const res = await call("POST", `/service-accounts/${id}/credentials`, { name: "bad", expiresInDays });
      expect(res).toMatchObject({ status: 400, body: { error } });
    }
    expect((await call("POST", `/service-accounts/${id}/credentials`, { name: " " })).body).toEqual({ error: "name: name cannot be empty" });
    const dup = await call("POST", `/service-accounts/${id}/credentials`, { name: "k7" });
    expect(dup).toMatchObject({ status: 409, body: { error: 'sa+keys@localhost already has a key named "k7"' } });
    const missing = await call("DELETE", `/service-accounts/${id}/credentials/00000000-0000-4000-8000-000000000000`);
    expect(missing).toMatchObject({ status: 404, body: { error: "this service account has no key with that id" } });
  });

  it("counts concurrent creations one after another: at most 20 keys, one per name", async () => {
    const many = await create("many-keys");
    const answers = await Promise.all(Array.from({ length: 26 }, (_, i) => call("POST", `/service-accounts/${many}/credentials`, { name: `key-${i}` })));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(20);
    const refused = answers.filter((a) => a.status !== 201);
    expect(refused).toHaveLength(6);
    for (const r of refused) expect(r).toMatchObject({ status: 409, body: { error: "sa+many-keys@localhost has 20 keys, the most an account may hold; delete one first" } });
    expect(new Set(answers.filter((a) => a.status === 201).map((a) => a.body.key)).size).toBe(20);

    const same = await create("same-name");
    const racing = await Promise.all(Array.from({ length: 8 }, () => call("POST", `/service-accounts/${same}/credentials`, { name: "shared" })));
    expect(racing.filter((a) => a.status === 201)).toHaveLength(1);
    for (const r of racing.filter((a) => a.status !== 201)) expect(r).toMatchObject({ status: 409, body: { error: 'sa+same-name@localhost already has a key named "shared"' } });
  });

  it("never shows a key again: not in lists, details, logs or audit rows", async () => {
    const id = await create("secretive");
    const made = await call("POST", `/service-accounts/${id}/credentials`, { name: "ci" });
    const { key, prefix } = made.body as { key: string; prefix: string };
    expect((await api(core, "GET", "/api/v1/auth/me", undefined, key)).status).toBe(200);
    const token = await fetch(`${core.url}/api/v1/auth/token`, { method: "POST", body: new URLSearchParams({ grant_type: "client_credentials", client_id: id, client_secret: key }) });
    expect(token.status).toBe(200);
    await call("DELETE", `/service-accounts/${id}/credentials/${made.body.id}`);
    const secretPart = key.slice(12);
    const answers = [await call("GET", "/service-accounts"), await call("GET", `/service-accounts/${id}`), await call("GET", "/audit?limit=1000")];
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(JSON.stringify(a.body)).not.toContain(secretPart);
    }
    expect(JSON.stringify(answers[2]!.body)).toContain(prefix); // the prefix is what identifies a key
    const { rows } = await core.core.db.pool.query<{ t: string }>("SELECT string_agg(to_jsonb(a)::text, E'\\n') AS t FROM rootcx_system.audit_log a");
    expect(rows[0]!.t).not.toContain(secretPart);
    expect(rows[0]!.t).toContain(prefix);
    const logs = core.logs.join("\n");
    expect(logs).toContain("API key created");
    expect(logs).not.toContain(secretPart);
  });
});

describe("ownership, disabling, deletion", () => {
  it("transfers ownership to a person only, and will not let the owner's account be deleted under its accounts", async () => {
    const owner = await signUpAndIn(core, "sa-owner@example.com");
    const id = await create("owned");
    const other = await create("owned-other");
    const toSa = await call("POST", `/service-accounts/${id}/transfer-ownership`, { new_owner: other });
    expect(toSa).toMatchObject({ status: 400, body: { error: "the new owner must be a person's account (not a service account or other system principal)" } });
    expect((await call("POST", `/service-accounts/${id}/transfer-ownership`, {})).body).toEqual({ error: "new_owner is required" });
    const ok = await call("POST", `/service-accounts/${id}/transfer-ownership`, { new_owner: owner.userId });
    expect(ok).toMatchObject({ status: 200, body: { message: "service account sa+owned@localhost is now owned by sa-owner@example.com" } });
    expect((await call("GET", `/service-accounts/${id}`)).body.owner).toEqual({ id: owner.userId, email: "sa-owner@example.com" });
    const del = await call("DELETE", `/users/${owner.userId}`);
    expect(del).toMatchObject({ status: 409, body: { error: "sa-owner@example.com owns service accounts (sa+owned@localhost); transfer their ownership to another person first" } });
    expect((await call("POST", `/service-accounts/${id}/transfer-ownership`, { newOwner: admin.userId })).status).toBe(200);
    expect((await call("DELETE", `/users/${owner.userId}`)).status).toBe(200);
  });

  it("audits every change with its actor, naming keys by name and prefix only", async () => {
    const id = await create("audited", manager.accessToken);
    const key = (await call("POST", `/service-accounts/${id}/credentials`, { name: "nightly" }, manager.accessToken)).body;
    await call("DELETE", `/service-accounts/${id}/credentials/${key.id}`, undefined, manager.accessToken);
    await call("POST", `/service-accounts/${id}/disable`, undefined, manager.accessToken);
    await call("POST", `/service-accounts/${id}/enable`, undefined, manager.accessToken);
    await call("POST", `/service-accounts/${id}/transfer-ownership`, { new_owner: admin.userId }, manager.accessToken);
    await call("POST", `/service-accounts/${id}/act-as`, { userId: bystander.userId }, manager.accessToken);
    await call("DELETE", `/service-accounts/${id}/act-as`, { userId: bystander.userId }, manager.accessToken);
    await call("DELETE", `/service-accounts/${id}`, undefined, manager.accessToken);
    const rows = await auditRows(id);
    expect(rows.map((r) => r.operation)).toEqual([
      "service_account.create",
      "service_account.credential_create",
      "service_account.credential_delete",
      "service_account.disable",
      "service_account.enable",
      "service_account.transfer_ownership",
      "service_account.act_as_add",
      "service_account.act_as_remove",
      "service_account.delete",
    ]);
    expect(rows.map((r) => r.actor_uid)).toEqual(Array(9).fill(manager.userId));
    expect(rows[1]!.new_record).toEqual({ credential_id: key.id, name: "nightly", prefix: key.prefix, expires_at: key.expiresAt });
    expect(rows[2]!.old_record).toEqual({ credential_id: key.id, name: "nightly", prefix: key.prefix });
  });

  it("writes nothing for a refused change", async () => {
    const id = await create("unchanged");
    const before = (await auditRows(id)).length;
    expect((await call("POST", `/service-accounts/${id}/disable`, undefined, bystander.accessToken)).status).toBe(403);
    expect((await call("POST", `/service-accounts/${id}/transfer-ownership`, { new_owner: id })).status).toBe(400);
    expect((await auditRows(id)).length).toBe(before);
  });
});

describe("what a service account may never do", () => {
  it("cannot sign in with a password: the same 401 as a wrong password", async () => {
    await create("no-login");
    const sa = await api(core, "POST", "/api/v1/auth/login", { email: "sa+no-login@localhost", password: PASSWORD });
    const wrong = await api(core, "POST", "/api/v1/auth/login", { email: admin.email, password: "Wrong-Password-1" });
    expect(sa).toMatchObject({ status: 401, body: { error: "invalid credentials" } });
    expect(sa.body).toEqual(wrong.body);
  });

  it("cannot manage platform secrets, even holding the admin role (403 with the reason)", async () => {
    const id = await create("no-secrets");
    const key = (await call("POST", `/service-accounts/${id}/credentials`, { name: "k" })).body.key as string;
    expect((await call("POST", "/roles/assign", { userId: id, role: "admin" })).status).toBe(200);
    const refusal = { error: "service accounts cannot manage platform secrets; a person must make this change" };
    expect(await call("POST", "/platform/secrets", { key: "SMTP_PASSWORD", value: "x" }, key)).toMatchObject({ status: 403, body: refusal });
    expect(await call("DELETE", "/platform/secrets/SMTP_PASSWORD", undefined, key)).toMatchObject({ status: 403, body: refusal });
    expect(await call("GET", "/platform/secrets/env", undefined, key)).toMatchObject({ status: 403, body: refusal });
    expect(await call("POST", "/platform/vault/rotate", {}, key)).toMatchObject({ status: 403, body: refusal });
    const keyed = createCoreClient(core.url, { headers: { authorization: `Bearer ${key}` } });
    await expect(keyed.secrets.platformSet.mutate({ key: "SMTP_PASSWORD", value: "x" })).rejects.toThrow(refusal.error);
    // The role itself works: the admin role lets it list users; a person with the same role may set the secret.
    expect((await call("GET", "/users/details", undefined, key)).status).toBe(200);
    expect((await call("POST", "/platform/secrets", { key: "SMTP_PASSWORD", value: "x" })).status).toBe(200);
    // And it does not count as an administrator: it cannot be the admin that remains.
    const { rows } = await core.core.db.pool.query<{ n: number }>("SELECT rootcx_system.enabled_admin_count() AS n");
    expect(rows[0]!.n).toBe(1);
  });

  it("cannot create service accounts (each needs a person as owner)", async () => {
    const id = await create("creator");
    const key = (await call("POST", `/service-accounts/${id}/credentials`, { name: "k" })).body.key as string;
    expect((await call("POST", "/roles/assign", { userId: id, role: "sa-managers" })).status).toBe(200);
    const res = await call("POST", "/service-accounts", { slug: "child" }, key);
    expect(res).toMatchObject({ status: 403, body: { error: "a service account cannot create service accounts: each needs a person as its owner of record" } });
    // It may manage existing ones, as its role says.
    expect((await call("GET", "/service-accounts", undefined, key)).status).toBe(200);
  });
});
