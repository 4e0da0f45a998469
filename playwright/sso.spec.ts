import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { startTestIdp, type TestIdp } from "../tests/oidc-idp.ts";
import { linkIn, startSmtpSink, type SmtpSink } from "../tests/smtp-sink.ts";
import { ADMIN, signIn } from "./fixtures.ts";
import { collectConsoleErrors, expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

// The browser specs share one Core: every name here is unique to this run.
const RUN = randomBytes(3).toString("hex");
const PROVIDER = { id: `e2e-idp-${RUN}`, name: `E2E IdP ${RUN}` };
const LOGIN = `sso-${RUN}`;
const SSO_EMAIL = `sso-${RUN}@sso.test`;
const SSO_NAME = `Sso Person ${RUN}`;
const INVITEE = `invitee-${RUN}@magic.test`;
const SMTP_PORT = Number(process.env.E2E_SMTP_PORT ?? 9182);
const CORE_PORT = Number(process.env.E2E_PORT ?? 9181);
/** A second Core, SSO only, for the password switch (the shared one keeps password login). */
const SSO_ONLY_PORT = Number(process.env.E2E_SSO_ONLY_PORT ?? 9183);

let idp: TestIdp;
let smtp: SmtpSink;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  // The Core builds its callback from its public URL (localhost); both loopback spellings are registered.
  idp = await startTestIdp({
    redirectUris: [CORE_PORT, SSO_ONLY_PORT].flatMap((port) => [`http://localhost:${port}/api/v1/auth/oidc/callback`, `http://127.0.0.1:${port}/api/v1/auth/oidc/callback`]),
    users: { [LOGIN]: { email: SSO_EMAIL, emailVerified: true, name: SSO_NAME } },
  });
  smtp = await startSmtpSink(SMTP_PORT);
});

test.afterAll(async () => {
  await idp?.close();
  await smtp?.close();
});

/** A browser with no session: the person arriving from outside. */
async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

test("providers panel: a failing discovery is explained, a working one is saved and shown on the sign-in page", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.getByRole("link", { name: "Single sign-on" }).click();
  await expect(page.getByRole("heading", { name: "Single sign-on" })).toBeVisible();
  await page.getByRole("button", { name: "Add provider" }).click();
  const form = page.getByRole("form", { name: "Add identity provider" });
  await form.getByLabel("Id", { exact: true }).fill(PROVIDER.id);
  await form.getByLabel("Display name").fill(PROVIDER.name);

  // Nothing listens on port 9: discovery fails, and the reason sits under the issuer field.
  await form.getByLabel("Issuer URL").fill("http://127.0.0.1:9");
  await form.getByRole("button", { name: "Test discovery" }).click();
  await expect(form.getByTestId("field-error")).toContainText(/discovery/i);
  // From here on the browser logs no error (the refused discovery above logs its 400, as it should).
  const consoleErrors = collectConsoleErrors(page);

  await form.getByLabel("Issuer URL").fill(idp.issuer);
  await expect(form.getByTestId("field-error")).toHaveCount(0);
  await form.getByRole("button", { name: "Test discovery" }).click();
  await expect(form.getByTestId("discovery-result")).toHaveText(`Discovery OK: ${idp.issuer}`);

  await form.getByLabel("Client id").fill(idp.clientId);
  await form.getByLabel("Client secret").fill(idp.clientSecret);
  await form.getByRole("button", { name: "Save provider" }).click();
  await expect(page.getByTestId("toast-success")).toContainText(`Provider ${PROVIDER.name} saved.`);
  const row = page.getByTestId(`provider-row-${PROVIDER.id}`);
  await expect(row.getByTestId("provider-state")).toHaveText("enabled");
  await expect(row.getByTestId("linked-users")).toHaveText("0");
  await expect(row).toContainText("(secret in vault)");
  await expect(row).not.toContainText(idp.clientSecret);

  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    await expectNoSeriousA11yViolations(page);
  }
  await setTheme(page, "system");
  await page.setViewportSize({ width: 1024, height: 768 });
  await expectNoHorizontalOverflow(page);
  await saveScreenshots(page, "sso-providers");
  expect(consoleErrors.errors).toEqual([]);
});

test("signs in with the provider: button, the provider's own login page, back in the Studio signed in", async ({ browser }) => {
  const page = await freshPage(browser);
  await page.goto("/login");
  const button = page.getByRole("button", { name: `Continue with ${PROVIDER.name}` });
  await expect(button).toBeVisible();
  await expectNoSeriousA11yViolations(page);
  await button.click();

  // The provider's page, on its own origin.
  await expect(page).toHaveURL(new RegExp(`^${idp.issuer}/interaction/`));
  await page.locator('input[name="login"]').fill(LOGIN);
  await page.locator('input[name="password"]').fill("any password");
  await page.getByRole("button", { name: "Sign-in" }).click();

  // The sidebar names the account by the display name the provider asserted.
  await expect(page.getByTestId("signed-in-as")).toHaveText(SSO_NAME);
  // The nonce was traded and is gone from the address.
  expect(page.url()).not.toContain("auth_nonce");
  await page.context().close();
});

test("a refusal at the provider comes back as a readable sentence", async ({ browser }) => {
  const page = await freshPage(browser);
  await page.goto("/login");
  await page.getByRole("button", { name: `Continue with ${PROVIDER.name}` }).click();
  await expect(page).toHaveURL(new RegExp(`^${idp.issuer}/interaction/`));
  await page.getByRole("link", { name: "[ Cancel ]" }).click();
  await expect(page).toHaveURL(/\/login\?/);
  await expect(page.getByRole("main").getByRole("alert")).toContainText("The sign-in was cancelled or refused at the identity provider (access denied).");
  await expect(page.getByTestId("signed-in-as")).toHaveCount(0);
  await page.context().close();
});

test("disabling hides the button; deleting shows the linked users and needs the id typed", async ({ page, browser }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/sso");
  const row = page.getByTestId(`provider-row-${PROVIDER.id}`);
  await expect(row.getByTestId("linked-users")).toHaveText("1");
  await row.getByRole("button", { name: "Disable" }).click();
  await expect(row.getByTestId("provider-state")).toHaveText("disabled");

  const outsider = await freshPage(browser);
  await outsider.goto("/login");
  await expect(outsider.getByRole("button", { name: "Sign in", exact: true })).toBeVisible();
  await expect(outsider.getByRole("button", { name: `Continue with ${PROVIDER.name}` })).toHaveCount(0);
  await outsider.context().close();

  await row.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByTestId("delete-linked-warning")).toContainText("1 user is linked to this provider");
  const confirm = dialog.getByRole("button", { name: "Delete provider" });
  await expect(confirm).toBeDisabled();
  await dialog.getByRole("textbox").fill(PROVIDER.id);
  await confirm.click();
  await expect(page.getByTestId("toast-success").filter({ hasText: `${PROVIDER.name} deleted.` })).toBeVisible();
  await expect(row).toHaveCount(0);
});

test("invite by magic link from the users panel: mailed, copied, and opened in a fresh browser signs the person in once", async ({ page, browser }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/users");
  await page.getByRole("button", { name: "Invite by magic link" }).click();
  const form = page.getByRole("form", { name: "Invite by magic link" });
  await form.getByLabel("Email").fill("not-an-address");
  await form.getByRole("button", { name: "Make the link" }).click();
  await expect(form.getByTestId("field-error")).toContainText("Email is not a valid address");

  await form.getByLabel("Email").fill(INVITEE);
  await form.getByLabel("base", { exact: true }).check();
  await form.getByRole("button", { name: "Make the link" }).click();
  const result = page.getByTestId("invite-result");
  await expect(result.getByTestId("invite-mail-status")).toHaveText("Sent by e-mail.");
  const link = await result.getByLabel(`Sign-in link for ${INVITEE}`).inputValue();
  expect(link).toMatch(/\/api\/v1\/auth\/magic-link\/consume\?token=[A-Za-z0-9_-]{43}$/);
  await expectNoSeriousA11yViolations(page, ["dialog"]);

  // The real mail carries the same link.
  const mail = await smtp.next(INVITEE);
  expect(linkIn(mail)).toBe(link);

  // Waiting to be used: listed under the outstanding sign-in links.
  await page.keyboard.press("Escape");
  await expect(page.getByTestId(`invitation-row-${INVITEE}`)).toContainText(ADMIN.email);

  const invitee = await freshPage(browser);
  await invitee.goto(link);
  await expect(invitee.getByTestId("signed-in-as")).toContainText(INVITEE);
  expect(invitee.url()).not.toContain("auth_nonce");
  await invitee.context().close();

  // Used once: a second browser lands on the sign-in page with the refusal, not a session and not raw JSON.
  const second = await freshPage(browser);
  await second.goto(link);
  await expect(second).toHaveURL(/\/login\?error=/);
  await expect(second.getByRole("alert").filter({ hasText: "invalid, expired or already used" })).toBeVisible();
  await second.context().close();

  await page.reload();
  await expect(page.getByTestId(`user-row-${INVITEE}`)).toContainText("base");
  await expect(page.getByTestId(`invitation-row-${INVITEE}`)).toHaveCount(0);
});

test("an outstanding invitation can be revoked from the users panel, and its link then refuses", async ({ page, browser }) => {
  const email = `revoked-${RUN}@magic.test`;
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/users");
  await page.getByRole("button", { name: "Invite by magic link" }).click();
  const form = page.getByRole("form", { name: "Invite by magic link" });
  await form.getByLabel("Email").fill(email);
  await form.getByRole("button", { name: "Make the link" }).click();
  const link = await page.getByTestId("invite-result").getByLabel(`Sign-in link for ${email}`).inputValue();
  await page.keyboard.press("Escape");

  const row = page.getByTestId(`invitation-row-${email}`);
  await row.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: `The sign-in link for ${email} is revoked.` })).toBeVisible();
  await expect(row).toHaveCount(0);
  await expectNoSeriousA11yViolations(page, ["[data-testid=outstanding-invitations]"]);

  const someone = await freshPage(browser);
  await someone.goto(link);
  await expect(someone.getByRole("alert").filter({ hasText: "invalid, expired or already used" })).toBeVisible();
  await someone.context().close();
});

test("e-mail me a sign-in link: the same answer for anyone, and the mailed link signs an existing person in", async ({ browser }) => {
  const page = await freshPage(browser);
  await page.goto("/login");
  await page.getByRole("button", { name: "E-mail me a sign-in link" }).click();
  const form = page.getByRole("form", { name: "E-mail me a sign-in link" });
  await form.getByLabel("E-mail address for the link").fill(INVITEE);
  await form.getByRole("button", { name: "Send the link" }).click();
  const answer = "If an account exists for this address, a sign-in link is on its way. It works once, for 15 minutes.";
  await expect(page.getByRole("main").getByRole("status")).toHaveText(answer);
  await expectNoSeriousA11yViolations(page);

  const mail = await smtp.next(INVITEE);
  await page.goto(linkIn(mail));
  await expect(page.getByTestId("signed-in-as")).toContainText(INVITEE);
  await page.context().close();

  const stranger = await freshPage(browser);
  await stranger.goto("/login");
  await stranger.getByRole("button", { name: "E-mail me a sign-in link" }).click();
  await stranger.getByLabel("E-mail address for the link").fill(`nobody-${RUN}@magic.test`);
  await stranger.getByRole("button", { name: "Send the link" }).click();
  await expect(stranger.getByRole("main").getByRole("status")).toHaveText(answer);
  await stranger.context().close();
});

async function waitForHealth(url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

test("with password login disabled, the sign-in page has no password form and the provider seeded from the environment signs the person in", async ({ browser }) => {
  test.setTimeout(150_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-e2e-sso-only-"));
  const core = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
    env: {
      ...process.env,
      PORT: String(SSO_ONLY_PORT),
      ROOTCX_DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      ROOTCX_DISABLE_PASSWORD_LOGIN: "true",
      ROOTCX_OIDC_ISSUER: idp.issuer,
      ROOTCX_OIDC_CLIENT_ID: idp.clientId,
      ROOTCX_OIDC_CLIENT_SECRET: idp.clientSecret,
    },
    stdio: "ignore",
  });
  const base = `http://127.0.0.1:${SSO_ONLY_PORT}`;
  try {
    await waitForHealth(`${base}/health`, 120_000);
    // The first user may still register with a password (the bypass); nobody after it.
    const register = (email: string) =>
      fetch(`${base}/api/v1/auth/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: "First-User-2026" }) });
    expect((await register("first@sso-only.test")).status).toBe(201);
    const second = await register("second@sso-only.test");
    expect(second.status).toBe(403);
    expect(await second.json()).toEqual({ error: "password registration is disabled; sign in with SSO" });

    const page = await freshPage(browser);
    await page.goto(`${base}/login`);
    const button = page.getByRole("button", { name: "Continue with Single sign-on" });
    await expect(button).toBeVisible();
    await expect(page.getByLabel("Password")).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Sign in", exact: true })).toHaveCount(0);
    await expectNoSeriousA11yViolations(page);
    await button.click();
    await expect(page).toHaveURL(new RegExp(`^${idp.issuer}/interaction/`));
    await page.locator('input[name="login"]').fill(LOGIN);
    await page.locator('input[name="password"]').fill("any password");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await expect(page.getByTestId("signed-in-as")).toHaveText(SSO_NAME);
    await page.context().close();
  } finally {
    core.kill("SIGTERM");
    if (core.exitCode === null) await once(core, "exit");
    rmSync(dataDir, { recursive: true, force: true });
  }
});

