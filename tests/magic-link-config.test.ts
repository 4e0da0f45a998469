import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/server/config/load.ts";

const dirs: string[] = [];
const load = (env: Record<string, string>) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "rootcx-smtp-config-"));
  dirs.push(dir);
  return loadConfig({ ROOTCX_DATA_DIR: dir, ...env });
};
const refusal = (env: Record<string, string>) => {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("the configuration was accepted");
};

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("SMTP configuration", () => {
  it("is off by default and on with both variables", () => {
    expect(load({}).smtp).toBeUndefined();
    expect(load({ ROOTCX_SMTP_URL: "smtps://u:p@mail.example.com:465", ROOTCX_SMTP_FROM: "RootCX <no-reply@example.com>" }).smtp).toEqual({
      url: "smtps://u:p@mail.example.com:465",
      from: "RootCX <no-reply@example.com>",
    });
  });

  it("refuses half a configuration, naming the missing variable", () => {
    expect(refusal({ ROOTCX_SMTP_URL: "smtp://127.0.0.1:2525" })).toMatch(/ROOTCX_SMTP_FROM: is required when ROOTCX_SMTP_URL is set/);
    expect(refusal({ ROOTCX_SMTP_FROM: "no-reply@example.com" })).toMatch(/ROOTCX_SMTP_URL: is required when ROOTCX_SMTP_FROM is set/);
  });

  it("refuses a URL that is not smtp(s) and a From that is not an address", () => {
    expect(refusal({ ROOTCX_SMTP_URL: "https://mail.example.com", ROOTCX_SMTP_FROM: "a@example.com" })).toMatch(/ROOTCX_SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/);
    expect(refusal({ ROOTCX_SMTP_URL: "smtp://mail.example.com", ROOTCX_SMTP_FROM: "not an address" })).toMatch(/ROOTCX_SMTP_FROM: must be an e-mail address/);
    expect(refusal({ ROOTCX_SMTP_URL: "smtp://mail.example.com", ROOTCX_SMTP_FROM: "a@example.com\r\nBcc: x@evil.test" })).toMatch(/ROOTCX_SMTP_FROM: must be an e-mail address/);
  });
});
