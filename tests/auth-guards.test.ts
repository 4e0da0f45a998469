import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { ARGON2_CONCURRENCY } from "../src/server/auth/runtime.ts";
import { api, PASSWORD, startTestCore, type TestCore } from "./harness.ts";

const cores: TestCore[] = [];
async function fresh(opts: Parameters<typeof startTestCore>[0] = {}): Promise<TestCore> {
  const c = await startTestCore(opts);
  cores.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.dispose()));
});

async function adminCount(core: TestCore): Promise<number> {
  const c = new pg.Client({ connectionString: core.database.url });
  await c.connect();
  try {
    const { rows } = await c.query("SELECT count(*)::int AS n FROM rootcx_system.rbac_assignments WHERE role = 'admin'");
    return rows[0].n;
  } finally {
    await c.end();
  }
}

describe("first user", () => {
  it("simultaneous first registrations yield exactly one admin", async () => {
    const core = await fresh();
    expect((await api(core, "GET", "/api/v1/auth/mode")).body.setupRequired).toBe(true);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => api(core, "POST", "/api/v1/auth/register", { email: `racer${i}@test.local`, password: PASSWORD })),
    );
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 6 }, () => 201));
    expect(await adminCount(core)).toBe(1);
    expect((await api(core, "GET", "/api/v1/auth/mode")).body.setupRequired).toBe(false);
  });
});

describe("ROOTCX_DISABLE_PASSWORD_LOGIN", () => {
  it("blocks password login and registration with 403, except the first user's registration", async () => {
    const core = await fresh({ env: { ROOTCX_DISABLE_PASSWORD_LOGIN: "true" } });
    expect((await api(core, "GET", "/api/v1/auth/mode")).body).toMatchObject({ setupRequired: true, passwordLoginEnabled: true });
    expect((await api(core, "POST", "/api/v1/auth/register", { email: "first@test.local", password: PASSWORD })).status).toBe(201);
    expect(await adminCount(core)).toBe(1);
    expect((await api(core, "GET", "/api/v1/auth/mode")).body).toMatchObject({ setupRequired: false, passwordLoginEnabled: false });

    const second = await api(core, "POST", "/api/v1/auth/register", { email: "second@test.local", password: PASSWORD });
    expect(second.status).toBe(403);
    expect(second.body.error).toMatch(/registration is disabled/);
    const login = await api(core, "POST", "/api/v1/auth/login", { email: "first@test.local", password: PASSWORD });
    expect(login.status).toBe(403);
    expect(login.body.error).toMatch(/password login is disabled/);
  });

  it("accepts 1 as well, and lets only one of two racing first registrations through", async () => {
    const core = await fresh({ env: { ROOTCX_DISABLE_PASSWORD_LOGIN: "1" } });
    const results = await Promise.all(
      ["a@test.local", "b@test.local", "c@test.local"].map((email) => api(core, "POST", "/api/v1/auth/register", { email, password: PASSWORD })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 403, 403]);
  });
});

describe("rate limits", () => {
  it("limits login attempts per client address with 429 and Retry-After", async () => {
    const core = await fresh({ authLimits: { loginPerIpPerMinute: 5 } });
    await api(core, "POST", "/api/v1/auth/register", { email: "rl@test.local", password: PASSWORD });
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < 7; i++) {
      const r = await api(core, "POST", "/api/v1/auth/login", { email: `someone${i}@test.local`, password: "Wrong-Password-1" });
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited!.body.error).toMatch(/too many attempts/);
    // The right password does not get past the address limit either.
    expect(await api(core, "POST", "/api/v1/auth/login", { email: "rl@test.local", password: PASSWORD })).toMatchObject({ status: 429, body: { error: expect.stringMatching(/^too many attempts, retry in \d+ s$/) } });
  });

  it("locks an account out after repeated failures, whatever the password, and keeps the count in PostgreSQL", async () => {
    const core = await fresh({ authLimits: { failuresPerAccount: 3 } });
    await api(core, "POST", "/api/v1/auth/register", { email: "victim@test.local", password: PASSWORD });
    for (let i = 0; i < 3; i++) {
      expect(await api(core, "POST", "/api/v1/auth/login", { email: "victim@test.local", password: "Wrong-Password-1" })).toMatchObject({ status: 401, body: { error: "invalid credentials" } });
    }
    const locked = await api(core, "POST", "/api/v1/auth/login", { email: "VICTIM@test.local", password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.body.error).toMatch(/^too many attempts, retry in \d+ s$/);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(60);
    // Other accounts are unaffected.
    await api(core, "POST", "/api/v1/auth/register", { email: "bystander@test.local", password: PASSWORD });
    expect((await api(core, "POST", "/api/v1/auth/login", { email: "bystander@test.local", password: PASSWORD })).status).toBe(200);

    const c = new pg.Client({ connectionString: core.database.url });
    await c.connect();
    const { rows } = await c.query("SELECT key FROM rootcx_system.rate_limits WHERE key LIKE 'login_acct%'");
    await c.end();
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.key).not.toContain("victim");
  });

  it("a successful login clears the account's failure count", async () => {
    const core = await fresh({ authLimits: { failuresPerAccount: 3 } });
    await api(core, "POST", "/api/v1/auth/register", { email: "u@test.local", password: PASSWORD });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2; i++) await api(core, "POST", "/api/v1/auth/login", { email: "u@test.local", password: "Wrong-Password-1" });
      expect((await api(core, "POST", "/api/v1/auth/login", { email: "u@test.local", password: PASSWORD })).status).toBe(200);
    }
  });

  it("limits registrations per client address", async () => {
    const core = await fresh({ authLimits: { registrationsPerIpPerHour: 2 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api(core, "POST", "/api/v1/auth/register", { email: `r${i}@test.local`, password: PASSWORD })).status);
    expect(statuses).toEqual([201, 201, 429]);
  });
});

describe("a login flood", () => {
  it("is capped (503 with Retry-After beyond the queue) while the rest of the Core keeps answering", async () => {
    const core = await fresh({ authLimits: { failuresPerAccount: 10_000 } });
    await api(core, "POST", "/api/v1/auth/register", { email: "flood@test.local", password: PASSWORD });
    const flood = Array.from({ length: 120 }, () => api(core, "POST", "/api/v1/auth/login", { email: "flood@test.local", password: "Wrong-Password-1" }));
    const health = await api(core, "GET", "/health?full=true");
    expect(health.status).toBe(200);
    expect(health.body.database.reachable).toBe(true);
    const results = await Promise.all(flood);
    const busy = results.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]!.headers.get("retry-after")).toBe("1");
    expect(results.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(64 + ARGON2_CONCURRENCY);
    expect(results).toHaveLength(120);
    expect(results.map((r) => r.status).filter((s) => s !== 401 && s !== 503)).toEqual([]);
  });
});

describe("several Core processes on one database", () => {
  it("a user disabled through one Core is refused by the other, which had its principal cached", async () => {
    const a = await fresh();
    const b = await startTestCore({ database: a.database, env: { ROOTCX_MASTER_KEY: a.core.config.masterKey.toString("hex") } });
    cores.unshift(b); // stopped before a, which drops the database
    await api(a, "POST", "/api/v1/auth/register", { email: "boss@test.local", password: PASSWORD });
    const boss = (await api(a, "POST", "/api/v1/auth/login", { email: "boss@test.local", password: PASSWORD })).body;
    await api(a, "POST", "/api/v1/auth/register", { email: "worker@test.local", password: PASSWORD });
    const worker = (await api(b, "POST", "/api/v1/auth/login", { email: "worker@test.local", password: PASSWORD })).body;
    expect((await api(b, "GET", "/api/v1/auth/me", undefined, worker.accessToken)).status).toBe(200);

    expect((await api(a, "POST", `/api/v1/users/${worker.user.id}/disable`, undefined, boss.accessToken)).status).toBe(200);
    await expect.poll(async () => (await api(b, "GET", "/api/v1/auth/me", undefined, worker.accessToken)).status, { timeout: 2_000, interval: 20 }).toBe(401);
  });
});
