import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/server/config/load.ts";

const dirs: string[] = [];
function tmpData(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "rootcx-config-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const HEX_KEY = "ab".repeat(32);

describe("configuration", () => {
  it("uses the documented defaults", () => {
    const dir = tmpData();
    const c = loadConfig({ ROOTCX_DATA_DIR: dir });
    expect(c).toMatchObject({
      dataDir: dir,
      databaseUrl: undefined,
      host: "127.0.0.1",
      port: 9100,
      publicUrl: "http://localhost:9100",
      passwordLoginDisabled: false,
      logLevel: "info",
      oidc: undefined,
    });
  });

  it("binds to every interface when ROOTCX_BIND is set, and reads PORT", () => {
    const c = loadConfig({ ROOTCX_DATA_DIR: tmpData(), ROOTCX_BIND: "1", PORT: "9200" });
    expect(c.host).toBe("0.0.0.0");
    expect(c.port).toBe(9200);
  });

  it("generates the JWT secret and master key once, mode 0600, and reuses them", () => {
    const dir = tmpData();
    const first = loadConfig({ ROOTCX_DATA_DIR: dir });
    expect(first.generatedKeys).toHaveLength(2);
    for (const f of ["jwt.key", "master.key"]) {
      expect(statSync(path.join(dir, "config", f)).mode & 0o777).toBe(0o600);
    }
    expect(first.masterKey).toHaveLength(32);
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
    const second = loadConfig({ ROOTCX_DATA_DIR: dir });
    expect(second.generatedKeys).toHaveLength(0);
    expect(second.jwtSecret).toBe(first.jwtSecret);
    expect(second.masterKey.equals(first.masterKey)).toBe(true);
    expect(readFileSync(path.join(dir, "config", "master.key"), "utf8")).toBe(first.masterKey.toString("hex"));
  });

  it("prefers the variables over generated keys and writes no key files for them", () => {
    const dir = tmpData();
    const c = loadConfig({ ROOTCX_DATA_DIR: dir, ROOTCX_JWT_SECRET: "s".repeat(32), ROOTCX_MASTER_KEY: HEX_KEY });
    expect(c.jwtSecret).toBe("s".repeat(32));
    expect(c.masterKey.toString("hex")).toBe(HEX_KEY);
    expect(c.generatedKeys).toEqual([]);
  });

  it.each([
    [{ ROOTCX_JWT_SECRET: "short" }, "ROOTCX_JWT_SECRET"],
    [{ ROOTCX_MASTER_KEY: "abc" }, "ROOTCX_MASTER_KEY"],
    [{ ROOTCX_MASTER_KEY: "zz".repeat(32) }, "ROOTCX_MASTER_KEY"],
    [{ ROOTCX_MASTER_KEY: "ab".repeat(31) }, "ROOTCX_MASTER_KEY"],
    [{ DATABASE_URL: "not a url" }, "DATABASE_URL"],
    [{ DATABASE_URL: "mysql://localhost/x" }, "DATABASE_URL"],
    [{ ROOTCX_PUBLIC_URL: "core.example.com" }, "ROOTCX_PUBLIC_URL"],
    [{ ROOTCX_OIDC_ISSUER: "https://idp.example.com" }, "ROOTCX_OIDC_CLIENT_ID"],
    [{ ROOTCX_DISABLE_PASSWORD_LOGIN: "yes" }, "ROOTCX_DISABLE_PASSWORD_LOGIN"],
    [{ RUST_LOG: "loud" }, "RUST_LOG"],
    [{ PORT: "70000" }, "PORT"],
    [{ PORT: "-1" }, "PORT"],
    [{ ROOTCX_AUDIT_RETENTION_DAYS: "0" }, "ROOTCX_AUDIT_RETENTION_DAYS"],
    [{ ROOTCX_AUDIT_RETENTION_DAYS: "ninety" }, "ROOTCX_AUDIT_RETENTION_DAYS"],
    [{ ROOTCX_LOGIN_RATE_PER_MINUTE: "0" }, "ROOTCX_LOGIN_RATE_PER_MINUTE"],
    [{ ROOTCX_LOGIN_RATE_PER_MINUTE: "lots" }, "ROOTCX_LOGIN_RATE_PER_MINUTE"],
    [{ ROOTCX_REGISTER_RATE_PER_HOUR: "0" }, "ROOTCX_REGISTER_RATE_PER_HOUR"],
    [{ ROOTCX_MIGRATION_TIMEOUT_SECONDS: "0" }, "ROOTCX_MIGRATION_TIMEOUT_SECONDS"],
    [{ ROOTCX_MIGRATION_TIMEOUT_SECONDS: "5m" }, "ROOTCX_MIGRATION_TIMEOUT_SECONDS"],
  ])("refuses %o with a message naming %s", (env, variable) => {
    expect(() => loadConfig({ ROOTCX_DATA_DIR: tmpData(), ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ROOTCX_DATA_DIR: tmpData(), ...env })).toThrow(variable);
  });

  it("reads the migration time limit, 300 s when unset", () => {
    expect(loadConfig({ ROOTCX_DATA_DIR: tmpData(), ROOTCX_MIGRATION_TIMEOUT_SECONDS: "12" }).migrationTimeoutSeconds).toBe(12);
    expect(loadConfig({ ROOTCX_DATA_DIR: tmpData() }).migrationTimeoutSeconds).toBe(300);
  });

  it("reads the sign-in rate per address, keeping the default when unset", () => {
    expect(loadConfig({ ROOTCX_DATA_DIR: tmpData(), ROOTCX_LOGIN_RATE_PER_MINUTE: "600" }).loginRatePerMinute).toBe(600);
    expect(loadConfig({ ROOTCX_DATA_DIR: tmpData(), ROOTCX_REGISTER_RATE_PER_HOUR: "500" }).registerRatePerHour).toBe(500);
    expect(loadConfig({ ROOTCX_DATA_DIR: tmpData() }).loginRatePerMinute).toBeUndefined();
  });

  it("never echoes a rejected secret in the error", () => {
    const secret = "tooshort-secret";
    const load = () => loadConfig({ ROOTCX_DATA_DIR: tmpData(), ROOTCX_JWT_SECRET: secret });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/ROOTCX_JWT_SECRET/);
    expect(load).not.toThrow(secret);
  });

  it("refuses a corrupted generated key file instead of silently replacing it", () => {
    const dir = tmpData();
    loadConfig({ ROOTCX_DATA_DIR: dir });
    writeFileSync(path.join(dir, "config", "master.key"), "garbage");
    expect(() => loadConfig({ ROOTCX_DATA_DIR: dir })).toThrow(/ROOTCX_MASTER_KEY/);
  });

  it("reads the remaining variables", () => {
    const c = loadConfig({
      ROOTCX_DATA_DIR: tmpData(),
      ROOTCX_URL: "https://core.example.com/",
      ROOTCX_OIDC_ISSUER: "https://idp.example.com",
      ROOTCX_OIDC_CLIENT_ID: "client",
      ROOTCX_OIDC_CLIENT_SECRET: "secret",
      ROOTCX_DISABLE_PASSWORD_LOGIN: "1",
      LOG_LEVEL: "warn",
      DATABASE_URL: "postgresql://u:p@db:5432/rootcx",
    });
    expect(c.publicUrl).toBe("https://core.example.com");
    expect(c.oidc).toEqual({ issuer: "https://idp.example.com", clientId: "client", clientSecret: "secret" });
    expect(c.passwordLoginDisabled).toBe(true);
    expect(c.logLevel).toBe("warn");
    expect(c.databaseUrl).toBe("postgresql://u:p@db:5432/rootcx");
    // ROOTCX_PUBLIC_URL wins over ROOTCX_URL; RUST_LOG is read when LOG_LEVEL is unset.
    const d = loadConfig({ ROOTCX_DATA_DIR: tmpData(), ROOTCX_URL: "https://a.example.com", ROOTCX_PUBLIC_URL: "https://b.example.com", RUST_LOG: "debug" });
    expect(d.publicUrl).toBe("https://b.example.com");
    expect(d.logLevel).toBe("debug");
  });
});
