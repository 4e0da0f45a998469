import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { linkIn, startSmtpSink, type SmtpSink } from "./smtp-sink.ts";

/** The probe's findings (issue 13) on what a person sees: URL fields, mail wording, a browser opening a link. */
let smtp: SmtpSink;
let core: TestCore;
let admin: Session;

const HTML = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

async function generate(body: Record<string, unknown>) {
  const res = await api(core, "POST", "/api/v1/auth/magic-link/generate", body, admin.accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.magicLinkUrl as string;
}
const open = (link: string, headers: Record<string, string> = {}) => fetch(link.replace(/^https?:\/\/[^/]+/, core.url), { redirect: "manual", headers });

beforeAll(async () => {
  smtp = await startSmtpSink();
  core = await startTestCore({ env: { ROOTCX_SMTP_URL: smtp.url, ROOTCX_SMTP_FROM: "no-reply@rootcx.test" } });
  admin = await signUpAndIn(core, "admin@browser.test");
}, 60_000);

afterAll(async () => {
  await core?.dispose();
  await smtp?.close();
});

describe("URL fields that are not URLs are a 400 with a sentence, never a 500", () => {
  const NOT_URLS = ["//evil.com", "not a url", "", "/login", "http://[::1"];

  it("POST /auth/magic-link/generate redirectUri", async () => {
    for (const redirectUri of NOT_URLS) {
      const res = await api(core, "POST", "/api/v1/auth/magic-link/generate", { email: "x@browser.test", redirectUri }, admin.accessToken);
      expect(res.status, redirectUri).toBe(400);
      expect(res.body.error, redirectUri).toMatch(/redirectUri must be an absolute URL/);
    }
  });

  it("POST /auth/magic-link/request redirectUri", async () => {
    for (const redirectUri of NOT_URLS) {
      const res = await api(core, "POST", "/api/v1/auth/magic-link/request", { email: "x@browser.test", redirectUri });
      expect(res.status, redirectUri).toBe(400);
      expect(res.body.error, redirectUri).toMatch(/redirectUri must be an absolute URL/);
    }
  });

  it("POST /auth/oidc/providers issuerUrl", async () => {
    for (const issuerUrl of ["not a url", "", "//evil.com", "http://[::1"]) {
      const res = await api(core, "POST", "/api/v1/auth/oidc/providers", { id: "broken", displayName: "Broken", issuerUrl, clientId: "c" }, admin.accessToken);
      expect(res.status, issuerUrl).toBe(400);
      expect(res.body.error, issuerUrl).toMatch(/issuerUrl must be an absolute URL/);
    }
  });
});

describe("the mail reads right", () => {
  it("an administrator's invitation: '1 minute', no 'if you did not ask'", async () => {
    await generate({ email: "one-minute@browser.test", expiresInSeconds: 60 });
    const mail = await smtp.next("one-minute@browser.test");
    expect(mail.text).toContain("for the next 1 minute.");
    expect(mail.text).not.toContain("did not ask");
    expect(mail.text).toContain("someone on this site invited you");
  });

  it("'24 hours' for a day-long link, '15 minutes' by default", async () => {
    await generate({ email: "one-day@browser.test", expiresInSeconds: 86_400 });
    expect((await smtp.next("one-day@browser.test")).text).toContain("for the next 24 hours.");
    await generate({ email: "default@browser.test" });
    expect((await smtp.next("default@browser.test")).text).toContain("for the next 15 minutes.");
  });

  it("the self-service mail keeps 'if you did not ask for it'", async () => {
    await signUpAndIn(core, "self@browser.test");
    expect((await api(core, "POST", "/api/v1/auth/magic-link/request", { email: "self@browser.test" })).status).toBe(202);
    const mail = await smtp.next("self@browser.test");
    expect(mail.text).toContain("If you did not ask for it, ignore this mail.");
  });
});

describe("a browser opening a link", () => {
  it("without a redirect, lands on the Studio's sign-in page with an auth nonce (no tokens in JSON)", async () => {
    const link = await generate({ email: "no-redirect@browser.test" });
    const res = await open(link, HTML);
    expect(res.status).toBe(307);
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const location = new URL(res.headers.get("location")!);
    expect(location.pathname).toBe("/login");
    expect(location.searchParams.get("auth_nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.has("access_token")).toBe(false);
    const exchanged = await api(core, "POST", "/api/v1/auth/nonce-exchange", { nonce: location.searchParams.get("auth_nonce") });
    expect(exchanged.status).toBe(200);
  });

  it("a used link sends the browser to /login?error=<sentence>", async () => {
    const link = await generate({ email: "reopened@browser.test" });
    expect((await open(link, HTML)).status).toBe(307);
    const again = await open(link, HTML);
    expect(again.status).toBe(307);
    const location = new URL(again.headers.get("location")!);
    expect(location.pathname).toBe("/login");
    expect(location.searchParams.get("error")).toBe("this sign-in link is invalid, expired or already used");
  });

  it("a link with a redirect reopened without Accept: text/html still goes to the page, not raw JSON", async () => {
    await signUpAndIn(core, "mailed@browser.test");
    expect((await api(core, "POST", "/api/v1/auth/magic-link/request", { email: "mailed@browser.test" })).status).toBe(202);
    const link = linkIn(await smtp.next("mailed@browser.test"));
    expect((await open(link)).status).toBe(307);
    const again = await open(link);
    expect(again.status).toBe(307);
    expect(new URL(again.headers.get("location")!).searchParams.get("error")).toBe("this sign-in link is invalid, expired or already used");
  });

  it("a program (no text/html) still gets JSON: the session, or the refusal", async () => {
    const link = await generate({ email: "program@browser.test" });
    const first = await open(link, { accept: "application/json" });
    expect(first.status).toBe(200);
    expect(((await first.json()) as { user: { email: string } }).user.email).toBe("program@browser.test");
    const again = await open(link, { accept: "application/json" });
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({ error: "this sign-in link is invalid, expired or already used" });
  });
});
