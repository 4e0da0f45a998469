import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, PASSWORD, signUpAndIn, startTestCore, type Session } from "./harness.ts";
import { addProvider, asJson, freePort, providerBody, ssoCallback, startSsoFixture, type SsoFixture } from "./oidc-setup.ts";

const trpc = async (f: SsoFixture, token: string, path: string, input?: unknown, kind: "query" | "mutation" = "mutation") => {
  const url = `${f.core.url}/api/trpc/${path}${kind === "query" && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : ""}`;
  const res = await fetch(url, {
    method: kind === "query" ? "GET" : "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: kind === "mutation" ? JSON.stringify(input ?? {}) : undefined,
  });
  return { status: res.status, text: await res.text() };
};

describe("providers: administration, discovery, secret", () => {
  let f: SsoFixture;
  let admin: Session;
  let user: Session;
  let db: pg.Pool;

  beforeAll(async () => {
    f = await startSsoFixture();
    db = new pg.Pool({ connectionString: f.core.database.url, max: 2 });
    admin = await signUpAndIn(f.core, "admin@example.com");
    user = await signUpAndIn(f.core, "plain@example.com");
  });
  afterAll(async () => {
    await db?.end();
    await f?.dispose();
  });

  const post = (body: Record<string, unknown>, token = admin.accessToken) => api(f.core, "POST", "/api/v1/auth/oidc/providers", body, token);

  it("refuses what could not sign anyone in, with the reason", async () => {
    expect(await post(providerBody(f.idp), user.accessToken)).toMatchObject({ status: 403, body: { error: "admin role required" } });
    expect((await api(f.core, "POST", "/api/v1/auth/oidc/providers", providerBody(f.idp))).status).toBe(401);
    expect(await post(providerBody(f.idp, { issuerUrl: "http://idp.example.com" }))).toMatchObject({
      status: 400,
      body: { error: "issuerUrl: issuerUrl must use https (plain http is allowed only for localhost and 127.0.0.1)" },
    });
    const closedPort = await freePort();
    const down = await post(providerBody(f.idp, { issuerUrl: `http://127.0.0.1:${closedPort}` }));
    expect(down.status).toBe(400);
    expect(down.body.error).toMatch(new RegExp(`^the discovery document of http://127\\.0\\.0\\.1:${closedPort} could not be used: `));
    expect(await post(providerBody(f.idp, { defaultRole: "ghost" }))).toMatchObject({ status: 400, body: { error: "defaultRole ghost does not exist" } });
    expect((await post(providerBody(f.idp, { id: "Bad Id" }))).status).toBe(400);
    expect((await post(providerBody(f.idp, { scopes: ["email"] }))).body.error).toBe("scopes: scopes must include openid");
    expect((await db.query("SELECT count(*)::int AS n FROM rootcx_system.oidc_providers")).rows[0].n).toBe(0);
  });

  it("saves with seed 002's defaults (defaultRole base), lists enabled ones publicly, and shows them in /auth/mode", async () => {
    expect(await post(providerBody(f.idp))).toMatchObject({ status: 200, body: { message: "provider test-idp saved" } });
    const row = (await db.query("SELECT scopes, auto_register, default_role, role_claim, enabled FROM rootcx_system.oidc_providers WHERE id = 'test-idp'")).rows[0];
    expect(row).toEqual({ scopes: ["openid", "email", "profile"], auto_register: true, default_role: "base", role_claim: null, enabled: true });
    expect((await api(f.core, "GET", "/api/v1/auth/oidc/providers")).body).toEqual([{ id: "test-idp", displayName: "Test IdP" }]);
    expect((await api(f.core, "GET", "/api/v1/auth/mode")).body.providers).toEqual([{ id: "test-idp", displayName: "Test IdP" }]);
  });

  it("disable hides a provider from the login page and refuses its sign-ins; enable brings it back", async () => {
    expect((await trpc(f, admin.accessToken, "oidc.setEnabled", { id: "test-idp", enabled: false })).status).toBe(200);
    expect((await api(f.core, "GET", "/api/v1/auth/oidc/providers")).body).toEqual([]);
    const refused = await asJson(await fetch(`${f.core.url}/api/v1/auth/oidc/test-idp/authorize`, { redirect: "manual" }));
    expect(refused).toMatchObject({ status: 404, body: { error: "the identity provider test-idp is disabled" } });
    expect((await trpc(f, admin.accessToken, "oidc.setEnabled", { id: "test-idp", enabled: true })).status).toBe(200);
    expect((await api(f.core, "GET", "/api/v1/auth/oidc/providers")).body).toHaveLength(1);
  });

  it("tRPC: listAll says whether a secret is stored and how many users are linked; testDiscovery reads the document", async () => {
    const all = await trpc(f, admin.accessToken, "oidc.listAll", undefined, "query");
    expect(all.status).toBe(200);
    expect(JSON.parse(all.text).result.data[0]).toMatchObject({ id: "test-idp", hasClientSecret: true, linkedUsers: 0, defaultRole: "base", issuerUrl: f.idp.issuer });
    expect((await trpc(f, user.accessToken, "oidc.listAll", undefined, "query")).status).toBe(403);
    const disc = await trpc(f, admin.accessToken, "oidc.testDiscovery", { issuerUrl: f.idp.issuer });
    expect(JSON.parse(disc.text).result.data).toMatchObject({ issuer: f.idp.issuer, tokenEndpoint: `${f.idp.issuer}/token`, jwksUri: `${f.idp.issuer}/jwks` });
    const bad = await trpc(f, admin.accessToken, "oidc.testDiscovery", { issuerUrl: "http://127.0.0.1:1" });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error.message).toMatch(/^the discovery document of http:\/\/127\.0\.0\.1:1 could not be used: /);
  });

  it("update keeps what the patch omits, the secret included (sign-in still works)", async () => {
    expect((await trpc(f, admin.accessToken, "oidc.update", { id: "test-idp", displayName: "Renamed IdP" })).status).toBe(200);
    expect((await api(f.core, "GET", "/api/v1/auth/oidc/providers")).body).toEqual([{ id: "test-idp", displayName: "Renamed IdP" }]);
    expect((await ssoCallback(f, "alice")).status).toBe(200);
  });

  it("delete is refused while users are linked, unless forced; forcing unlinks them and drops the vault secret", async () => {
    const refused = await api(f.core, "DELETE", "/api/v1/auth/oidc/providers/test-idp", undefined, admin.accessToken);
    expect(refused).toMatchObject({ status: 400, body: { error: "1 user is linked to provider test-idp; delete with force=true to unlink it (the accounts stay)" } });
    expect((await api(f.core, "DELETE", "/api/v1/auth/oidc/providers/test-idp?force=maybe", undefined, admin.accessToken)).status).toBe(400);
    const forced = await api(f.core, "DELETE", "/api/v1/auth/oidc/providers/test-idp?force=true", undefined, admin.accessToken);
    expect(forced).toMatchObject({ status: 200, body: { message: "provider test-idp deleted" } });
    expect((await db.query("SELECT count(*)::int AS n FROM rootcx_system.oidc_identities")).rows[0].n).toBe(0);
    expect((await db.query("SELECT count(*)::int AS n FROM rootcx_system.secrets WHERE app_id = 'oidc:test-idp'")).rows[0].n).toBe(0);
    expect((await db.query("SELECT count(*)::int AS n FROM rootcx_system.users WHERE email = 'alice@example.com'")).rows[0].n).toBe(1);
    expect((await api(f.core, "DELETE", "/api/v1/auth/oidc/providers/test-idp", undefined, admin.accessToken)).status).toBe(404);
  });

  it("every change is in the audit log, with the admin as actor and never the secret", async () => {
    const { rows } = await db.query<{ operation: string; actor_uid: string; new_record: unknown; old_record: unknown }>(
      "SELECT operation, actor_uid, new_record, old_record FROM rootcx_system.audit_log WHERE table_name = 'oidc_providers' ORDER BY id",
    );
    expect(rows.map((r) => r.operation)).toEqual(["oidc.provider_create", "oidc.provider_disable", "oidc.provider_enable", "oidc.provider_update", "oidc.provider_delete"]);
    expect(rows.every((r) => r.actor_uid === admin.userId)).toBe(true);
    expect(rows[0]!.new_record).toMatchObject({ clientSecret: "set", defaultRole: "base" });
    expect(rows[3]!.new_record).toMatchObject({ clientSecret: "unchanged", displayName: "Renamed IdP" });
    expect(rows[4]!.old_record).toMatchObject({ linkedUsers: 1 });
  });

  it("the client secret never appears in an API answer, a provider row, the audit log or the logs", async () => {
    await addProvider(f, admin);
    const secret = f.idp.clientSecret;
    const answers = [
      await api(f.core, "GET", "/api/v1/auth/oidc/providers"),
      await api(f.core, "GET", "/api/v1/auth/mode"),
      await post(providerBody(f.idp)),
    ].map((r) => JSON.stringify(r.body));
    answers.push((await trpc(f, admin.accessToken, "oidc.listAll", undefined, "query")).text);
    answers.push((await trpc(f, admin.accessToken, "oidc.update", { id: "test-idp", clientSecret: secret })).text);
    for (const a of answers) expect(a).not.toContain(secret);
    const rows = await db.query<{ t: string }>(
      `SELECT row_to_json(p)::text AS t FROM rootcx_system.oidc_providers p
       UNION ALL SELECT row_to_json(a)::text FROM rootcx_system.audit_log a
       UNION ALL SELECT encode(ciphertext, 'escape') FROM rootcx_system.secrets`,
    );
    expect(rows.rows.length).toBeGreaterThan(5);
    for (const r of rows.rows) expect(r.t).not.toContain(secret);
    expect(f.core.logs.length).toBeGreaterThan(10);
    expect(f.core.logs.join("\n")).not.toContain(secret);
    // It is really stored, encrypted, where the flow reads it.
    expect((await f.core.core.vault.values("oidc:test-idp")).values).toEqual({ client_secret: secret });
  });
});

describe("seeding from ROOTCX_OIDC_ISSUER, the first SSO user, the password switch", () => {
  it("refuses to start with a missing companion variable, naming it", async () => {
    await expect(startTestCore({ env: { ROOTCX_OIDC_ISSUER: "https://idp.example.com" } })).rejects.toThrow(
      /ROOTCX_OIDC_CLIENT_ID: is required when ROOTCX_OIDC_ISSUER is set\n\s+ROOTCX_OIDC_CLIENT_SECRET: is required when ROOTCX_OIDC_ISSUER is set/,
    );
    await expect(startTestCore({ env: { ROOTCX_OIDC_ISSUER: "https://idp.example.com", ROOTCX_OIDC_CLIENT_ID: "x" } })).rejects.toThrow(
      /ROOTCX_OIDC_CLIENT_SECRET: is required when ROOTCX_OIDC_ISSUER is set/,
    );
  });

  it("seeds provider rootcx once (secret in the vault), makes the first SSO user admin, and a restart keeps the admin's changes", async () => {
    const env = (idp: SsoFixture["idp"]) => ({ ROOTCX_OIDC_ISSUER: idp.issuer, ROOTCX_OIDC_CLIENT_ID: idp.clientId, ROOTCX_OIDC_CLIENT_SECRET: idp.clientSecret });
    const f = await startSsoFixture({ env });
    const db = new pg.Pool({ connectionString: f.core.database.url, max: 2 });
    try {
      expect((await api(f.core, "GET", "/api/v1/auth/mode")).body).toMatchObject({ setupRequired: true, providers: [{ id: "rootcx", displayName: "Single sign-on" }] });
      expect((await f.core.core.vault.values("oidc:rootcx")).values).toEqual({ client_secret: f.idp.clientSecret });
      const seeded = await db.query("SELECT operation, actor_uid, new_record FROM rootcx_system.audit_log WHERE table_name = 'oidc_providers'");
      expect(seeded.rows).toEqual([{ operation: "oidc.provider_create", actor_uid: null, new_record: expect.objectContaining({ source: "environment", defaultRole: "base", clientSecret: "set" }) }]);

      const first = await asJson(await ssoCallback(f, "alice", { provider: "rootcx" }));
      expect(first.status).toBe(200);
      const second = await asJson(await ssoCallback(f, "bob", { provider: "rootcx" }));
      const roles = await db.query<{ email: string; role: string }>(
        "SELECT u.email, a.role FROM rootcx_system.rbac_assignments a JOIN rootcx_system.users u ON u.id = a.user_id ORDER BY u.email",
      );
      expect(roles.rows).toEqual([{ email: "alice@example.com", role: "admin" }, { email: "bob@example.com", role: "base" }]);
      expect((await api(f.core, "GET", "/api/v1/users/details", undefined, second.body.accessToken)).status).toBe(403);

      expect((await trpc(f, first.body.accessToken, "oidc.update", { id: "rootcx", displayName: "Company SSO", enabled: false })).status).toBe(200);
      const again = await startTestCore({ database: f.core.database, env: { ROOTCX_DATA_DIR: f.core.dataDir, ...env(f.idp) } });
      try {
        expect((await db.query("SELECT display_name, enabled FROM rootcx_system.oidc_providers WHERE id = 'rootcx'")).rows).toEqual([{ display_name: "Company SSO", enabled: false }]);
        expect((await db.query("SELECT count(*)::int AS n FROM rootcx_system.audit_log WHERE operation = 'oidc.provider_create'")).rows[0].n).toBe(1);
      } finally {
        await again.dispose();
      }
    } finally {
      await db.end();
      await f.dispose();
    }
  });

  it("ROOTCX_DISABLE_PASSWORD_LOGIN: SSO only, after the first user's registration; that admin signs in through SSO", async () => {
    const f = await startSsoFixture({
      env: (idp) => ({ ROOTCX_DISABLE_PASSWORD_LOGIN: "true", ROOTCX_OIDC_ISSUER: idp.issuer, ROOTCX_OIDC_CLIENT_ID: idp.clientId, ROOTCX_OIDC_CLIENT_SECRET: idp.clientSecret }),
    });
    try {
      expect((await api(f.core, "GET", "/api/v1/auth/mode")).body).toMatchObject({ setupRequired: true, passwordLoginEnabled: true });
      expect((await api(f.core, "POST", "/api/v1/auth/register", { email: "alice@example.com", password: PASSWORD })).status).toBe(201);
      expect((await api(f.core, "GET", "/api/v1/auth/mode")).body).toMatchObject({ setupRequired: false, passwordLoginEnabled: false, registrationOpen: false, providers: [{ id: "rootcx" }] });
      expect(await api(f.core, "POST", "/api/v1/auth/register", { email: "late@example.com", password: PASSWORD })).toMatchObject({
        status: 403,
        body: { error: "password registration is disabled; sign in with SSO" },
      });
      expect(await api(f.core, "POST", "/api/v1/auth/login", { email: "alice@example.com", password: PASSWORD })).toMatchObject({
        status: 403,
        body: { error: "password login is disabled; sign in with SSO" },
      });
      const alice = await asJson(await ssoCallback(f, "alice", { provider: "rootcx" }));
      expect(alice.status).toBe(200);
      expect((await api(f.core, "GET", "/api/v1/users/details", undefined, alice.body.accessToken)).status).toBe(200);
      expect((await asJson(await ssoCallback(f, "bob", { provider: "rootcx" }))).status).toBe(200);
    } finally {
      await f.dispose();
    }
  });
});

describe("abuse limits", () => {
  it("the public SSO endpoints share the per-address sign-in budget (429 with Retry-After)", async () => {
    const core = await startTestCore({ authLimits: { loginPerIpPerMinute: 4 } });
    try {
      const statuses: number[] = [];
      let last;
      for (const call of [
        () => api(core, "GET", "/api/v1/auth/oidc/nobody/authorize"),
        () => api(core, "GET", "/api/v1/auth/oidc/callback?state=x&code=y"),
        () => api(core, "POST", "/api/v1/auth/oidc/token-exchange", { providerId: "nobody", idToken: "a.b.c" }),
        () => api(core, "POST", "/api/v1/auth/nonce-exchange", { nonce: "n".repeat(43) }),
        () => api(core, "POST", "/api/v1/auth/nonce-exchange", { nonce: "n".repeat(43) }),
      ]) {
        last = await call();
        statuses.push(last.status);
      }
      expect(statuses).toEqual([404, 400, 404, 401, 429]);
      expect(last!.body.error).toMatch(/^too many sign-in attempts, retry in \d+ s$/);
      expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await core.dispose();
    }
  });
});
