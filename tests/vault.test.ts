import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { VaultKeyError } from "../src/server/vault/vault.ts";

let core: TestCore;
let owner: pg.Client;
let admin: Session;
let user: Session;
let manager: Session;
const plaintexts: string[] = [];
const responses: string[] = [];

async function call(method: string, p: string, body?: unknown, s: Session | null = admin) {
  const r = await api(core, method, `/api/v1${p}`, body, s?.accessToken);
  responses.push(JSON.stringify(r.body ?? null));
  return r;
}
const secret = (label: string) => {
  const v = `${label}-${Math.random().toString(36).slice(2)}-plaintext`;
  plaintexts.push(v);
  return v;
};

beforeAll(async () => {
  core = await startTestCore();
  owner = new pg.Client({ connectionString: core.database.url });
  await owner.connect();
  admin = await signUpAndIn(core, "admin@vault.test");
  user = await signUpAndIn(core, "user@vault.test");
  manager = await signUpAndIn(core, "manager@vault.test");
  await api(core, "POST", "/api/v1/roles", { name: "secret_keeper", permissions: ["admin:secrets.manage"] }, admin.accessToken);
  await api(core, "POST", "/api/v1/roles/assign", { userId: manager.userId, role: "secret_keeper" }, admin.accessToken);
  // App secrets belong to installed apps (an unknown app is a 404: tests/auth-hardening.test.ts).
  for (const id of ["crm", "tamper"]) {
    const installed = await api(core, "POST", "/api/v1/apps", { appId: id, name: id, version: "0.1.0", dataContract: [] }, admin.accessToken);
    if (installed.status !== 201 && installed.status !== 200) throw new Error(`install ${id}: ${installed.status} ${JSON.stringify(installed.body)}`);
  }
});
afterAll(async () => {
  await owner?.end();
  await core?.dispose();
});

describe("app and platform secrets", () => {
  it("round-trips, lists names only, and re-encrypts with a new nonce on every write", async () => {
    const v = secret("stripe");
    expect((await call("POST", "/apps/crm/secrets", { key: "STRIPE_KEY", value: v })).body).toEqual({ message: "secret STRIPE_KEY set" });
    const first = (await owner.query("SELECT nonce, ciphertext FROM rootcx_system.secrets WHERE app_id = 'crm'")).rows[0];
    await call("POST", "/apps/crm/secrets", { key: "STRIPE_KEY", value: v });
    const second = (await owner.query("SELECT nonce, ciphertext FROM rootcx_system.secrets WHERE app_id = 'crm'")).rows[0];
    expect(Buffer.compare(first.nonce, second.nonce)).not.toBe(0);
    expect(Buffer.compare(first.ciphertext, second.ciphertext)).not.toBe(0);
    expect(first.ciphertext.toString("latin1")).not.toContain(v);
    expect((await call("GET", "/apps/crm/secrets")).body).toEqual(["STRIPE_KEY"]);
    expect((await core.core.vault.forWorker("crm")).values).toEqual({ STRIPE_KEY: v });
  });

  it("delivers platform secrets overridden by the app's own", async () => {
    const shared = secret("shared");
    const own = secret("own");
    const slack = secret("slack");
    expect((await call("POST", "/platform/secrets", { key: "SHARED", value: shared })).body).toEqual({ message: "platform secret SHARED set", workers_restarted: 0 });
    await call("POST", "/platform/secrets", { key: "SLACK_TOKEN", value: slack });
    await call("POST", "/apps/crm/secrets", { key: "SHARED", value: own });
    const delivered = await core.core.vault.forWorker("crm");
    expect(delivered.values.SHARED).toBe(own);
    expect(delivered.values.SLACK_TOKEN).toBe(slack);
    expect((await core.core.vault.forWorker("other")).values.SHARED).toBe(shared);
    expect((await call("GET", "/platform/secrets")).body).toEqual(["SHARED", "SLACK_TOKEN"]);
    expect((await call("GET", "/platform/secrets/env")).body).toEqual({ SHARED: shared, SLACK_TOKEN: slack });
  });

  it("tells the worker supervisor about platform changes and reports how many restarted", async () => {
    let restarts = 0;
    core.core.vault.onPlatformChange(async () => {
      restarts++;
      return 3;
    });
    expect((await call("POST", "/platform/secrets", { key: "X_TOKEN", value: secret("x") })).body.workers_restarted).toBe(3);
    expect((await call("DELETE", "/platform/secrets/X_TOKEN")).body).toEqual({ message: "platform secret X_TOKEN deleted", workers_restarted: 3 });
    expect(restarts).toBe(2);
  });

  it("answers 404 for an unknown key and refuses bad names", async () => {
    expect(await call("DELETE", "/apps/crm/secrets/NOPE")).toMatchObject({ status: 404, body: { error: "secret NOPE not found" } });
    expect(await call("DELETE", "/platform/secrets/NOPE")).toMatchObject({ status: 404, body: { error: "platform secret NOPE not found" } });
    for (const key of ["", "with space", "dash-ed", "ünïcode", "a;b"]) {
      const r = await call("POST", "/platform/secrets", { key, value: "v" });
      expect(r.status).toBe(400);
    }
    expect(await call("POST", "/apps/crm/secrets", { key: "tab\there", value: "v" })).toMatchObject({ status: 400, body: { error: "key: key must not contain control characters" } });
    expect(await call("POST", "/apps/Bad-App/secrets", { key: "K", value: "v" })).toMatchObject({ status: 400, body: { error: "invalid app id" } });
    expect(await call("POST", "/apps/crm/secrets", { key: "K", value: 42 })).toMatchObject({ status: 400, body: { error: "value: value must be a string" } });
    expect(await call("POST", "/apps/crm/secrets", { key: "K", value: "x".repeat(70_000) })).toMatchObject({ status: 400, body: { error: "value: value is too long (64 KiB at most)" } });
  });

  it.each([
    ["GET", "/apps/crm/secrets"],
    ["POST", "/apps/crm/secrets"],
    ["DELETE", "/apps/crm/secrets/STRIPE_KEY"],
    ["GET", "/platform/secrets"],
    ["POST", "/platform/secrets"],
    ["GET", "/platform/secrets/env"],
    ["DELETE", "/platform/secrets/SHARED"],
  ])("%s %s: anonymous 401, without the permission 403, with it 2xx/4xx", async (method, p) => {
    const body = method === "POST" ? { key: "PERM_CHECK", value: secret("perm") } : undefined;
    expect(await call(method, p, body, null)).toMatchObject({ status: 401, body: { error: "missing bearer token" } });
    expect(await call(method, p, body, user)).toMatchObject({ status: 403, body: { error: "permission required: admin:secrets.manage" } });
    const allowed = await call(method, p, body, manager);
    expect([200, 404]).toContain(allowed.status);
  });

  it("reports an altered ciphertext for that key only; nothing crashes", async () => {
    await call("POST", "/apps/tamper/secrets", { key: "GOOD", value: secret("good") });
    await call("POST", "/apps/tamper/secrets", { key: "BAD", value: secret("bad") });
    await owner.query("UPDATE rootcx_system.secrets SET ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 1) WHERE app_id = 'tamper' AND key_name = 'BAD'");
    const out = await core.core.vault.values("tamper");
    expect(out.unreadable).toEqual(["BAD"]);
    expect(Object.keys(out.values)).toEqual(["GOOD"]);
    // A ciphertext moved to another slot fails too (bound by associated data).
    await owner.query(`INSERT INTO rootcx_system.secrets (app_id, key_name, nonce, ciphertext, key_version)
      SELECT 'tamper', 'COPY', nonce, ciphertext, key_version FROM rootcx_system.secrets WHERE app_id = 'tamper' AND key_name = 'GOOD'`);
    expect((await core.core.vault.values("tamper")).unreadable).toEqual(["BAD", "COPY"]);
    expect(core.logs.some((l) => l.includes("secret could not be decrypted") && l.includes('"key":"BAD"'))).toBe(true);
  });
});

describe("master key", () => {
  it("refuses to start with the wrong master key for an existing vault, naming the variable", async () => {
    const err = await startTestCore({ database: core.database, env: { ROOTCX_MASTER_KEY: "cd".repeat(32) } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultKeyError);
    expect((err as Error).message).toMatch(/ROOTCX_MASTER_KEY .* is not the key this vault was encrypted with/);
  });

  it("rotates without losing a secret, survives a crash half-way, and no longer needs the old key", async () => {
    // A vault of its own, with an env-managed key and more secrets than one batch.
    const oldKey = "ab".repeat(32);
    const c = await startTestCore({ env: { ROOTCX_MASTER_KEY: oldKey } });
    try {
      const expected: Record<string, string> = {};
      for (let i = 0; i < 450; i++) {
        expected[`K${i}`] = `value-${i}`;
        await c.core.vault.set("rot", `K${i}`, `value-${i}`);
      }
      // Crash after one batch: some rows are under the new key, some under the old.
      await expect(c.core.vault.rotate(Buffer.from("ef".repeat(32), "hex"), { failAfterBatches: 1 })).rejects.toThrow(/interrupted/);
      const mix = (await c.core.db.pool.query("SELECT key_version, count(*)::int AS n FROM rootcx_system.secrets GROUP BY 1 ORDER BY 1")).rows;
      expect(mix).toHaveLength(2);
      expect(existsSync(path.join(c.dataDir, "config", "master.key.next"))).toBe(true);
      await c.stop();

      // Restarted with the old key: everything readable, and the rotation resumes and completes.
      const restarted = await startTestCore({ database: c.database, env: { ROOTCX_MASTER_KEY: oldKey, ROOTCX_DATA_DIR: c.dataDir } });
      try {
        expect((await restarted.core.vault.values("rot")).values).toEqual(expected);
        await expect
          .poll(async () => (await restarted.core.db.pool.query("SELECT state FROM rootcx_system.vault_keys ORDER BY version")).rows.map((r) => r.state), { timeout: 10_000 })
          .toEqual(["retired", "active"]);
        expect((await restarted.core.db.pool.query("SELECT DISTINCT key_version FROM rootcx_system.secrets")).rows).toEqual([{ key_version: 2 }]);
      } finally {
        await restarted.dispose();
      }
      // The old key alone no longer opens the vault; the new one does.
      const newKey = readFileSync(path.join(c.dataDir, "config", "master.key.next"), "utf8");
      const withNew = await startTestCore({ database: c.database, env: { ROOTCX_MASTER_KEY: newKey } });
      try {
        expect((await withNew.core.vault.values("rot")).values).toEqual(expected);
      } finally {
        await withNew.dispose();
      }
      await expect(startTestCore({ database: c.database, env: { ROOTCX_MASTER_KEY: oldKey } })).rejects.toBeInstanceOf(VaultKeyError);
    } finally {
      await c.dispose();
    }
  }, 60_000);

  it("rotates a generated key file in place through the admin endpoint", async () => {
    const before = readFileSync(path.join(core.dataDir, "config", "master.key"), "utf8");
    expect(await call("POST", "/platform/vault/rotate", {}, manager)).toMatchObject({ status: 403, body: { error: "admin role required" } });
    const r = await call("POST", "/platform/vault/rotate", {});
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ version: 2, keySource: "file", action: null });
    expect(r.body.reencrypted).toBeGreaterThan(3);
    expect(r.body.unreadable).toBe(2); // the two altered rows above stay as they were
    const after = readFileSync(path.join(core.dataDir, "config", "master.key"), "utf8");
    expect(after).not.toBe(before);
    expect(existsSync(path.join(core.dataDir, "config", "master.key.next"))).toBe(false);
    expect((await call("GET", "/platform/secrets/env")).body.SLACK_TOKEN).toEqual(expect.stringMatching(/^slack-/));
  });
});

describe("plaintext never leaves the vault", () => {
  it("appears in no API response, log line or audit row of this file", async () => {
    const logs = core.logs.join("\n");
    const audit = JSON.stringify((await owner.query("SELECT * FROM rootcx_system.audit_log")).rows);
    // Only the decrypted-map endpoint returns values, by design; every other response is checked.
    const others = responses.filter((r) => !r.includes("SLACK_TOKEN\":"));
    expect(plaintexts.length).toBeGreaterThan(3);
    expect(others.length).toBeGreaterThan(10);
    for (const v of plaintexts) {
      expect(logs).not.toContain(v);
      expect(audit).not.toContain(v);
      expect(others.join("\n")).not.toContain(v);
    }
  });
});
