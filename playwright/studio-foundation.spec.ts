import { expect, test, type Page } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";
import { collectConsoleErrors, expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

/** A native confirm()/alert() would be a regression: every confirmation is the Studio's own dialog. */
function refuseNativeDialogs(page: Page) {
  page.on("dialog", (d) => {
    throw new Error(`native ${d.type()} dialog: ${d.message()}`);
  });
}

async function register(request: import("@playwright/test").APIRequestContext, email: string, password: string): Promise<string> {
  const res = await request.post("/api/v1/auth/register", { data: { email, password } });
  expect([201, 400, 409]).toContain(res.status());
  const admin = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  const { accessToken } = (await admin.json()) as { accessToken: string };
  const users = (await (await request.get("/api/v1/users", { headers: { authorization: `Bearer ${accessToken}` } })).json()) as { id: string; email: string }[];
  return users.find((u) => u.email === email)!.id;
}

test("the favicon answers 200", async ({ request }) => {
  const res = await request.get("/favicon.ico");
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toMatch(/image/);
});

test("a signed-out load of /login logs no console error (no 401 from auth.refresh)", async ({ page }) => {
  const console = collectConsoleErrors(page);
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await page.waitForLoadState("networkidle");
  expect(console.errors).toEqual([]);
});

test("a refresh that fails without the Core ending the session (cut off, network) keeps the user signed in on the next load", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.route("**/api/trpc/auth.refresh**", (route) => route.abort("failed"));
  await page.goto("/users");
  await expect(page).toHaveURL(/\/login/);
  await page.unroute("**/api/trpc/auth.refresh**");
  await page.goto("/users");
  await expect(page.getByTestId("signed-in-as")).toBeVisible();
  await expect(page).toHaveURL(/\/users/);
});

test("the theme follows the system preference, and the toggle's choice wins and persists without a flash", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto("/login");
  await expect(page.locator("html")).toHaveClass(/\bdark\b/);
  await page.emulateMedia({ colorScheme: "light" });
  await expect(page.locator("html")).not.toHaveClass(/\bdark\b/);

  await setTheme(page, "dark");
  await page.emulateMedia({ colorScheme: "light" });
  // The class is already set when the document is parsed: the inline script ran before first paint.
  await page.goto("/login", { waitUntil: "commit" });
  await page.waitForFunction(() => document.body !== null);
  expect(await page.evaluate(() => document.documentElement.classList.contains("dark"))).toBe(true);
  await expect(page.getByLabel("Theme")).toHaveValue("dark");

  await setTheme(page, "system");
  await expect(page.locator("html")).not.toHaveClass(/\bdark\b/);
});

test("roles: a bad custom key and a bad name get a readable sentence next to their field, gone once fixed", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/roles");
  await page.getByRole("button", { name: "New role" }).click();
  const form = page.getByRole("form", { name: "New role" });

  const key = form.getByLabel("Custom permission key");
  await key.fill("Bad Key!");
  await form.getByRole("button", { name: "Add key" }).click();
  await expect(key).toHaveAttribute("aria-invalid", "true");
  const keyError = form.getByTestId("field-error");
  await expect(keyError).toHaveText("Permission keys use only a-z, 0-9 and _ : . *.");
  await key.fill("app:crm:*");
  await expect(form.getByTestId("field-error")).toHaveCount(0);

  // The server's zod issue for the name comes back as a sentence under Name, never as JSON.
  const name = form.getByLabel("Name", { exact: true });
  await name.fill("Bad Name");
  await form.getByRole("button", { name: "Create role" }).click();
  await expect(name).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByTestId("field-error")).toHaveText("Role names use only a-z, 0-9 and _ : . - (at most 100).");
  await expect(form).not.toContainText("invalid_format");
  await expect(form).not.toContainText("[");
  await name.fill("good_name");
  await expect(form.getByTestId("field-error")).toHaveCount(0);

  // Escape closes the panel.
  await page.keyboard.press("Escape");
  await expect(form).toHaveCount(0);
});

test("roles: deleting a role and revoking it ask first in the Studio's own dialog, then confirm with a toast", async ({ page, request }) => {
  refuseNativeDialogs(page);
  const email = "revokee@studio.test";
  const userId = await register(request, email, "Revokee-Pass-42");
  const admin = (await (await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } })).json()) as { accessToken: string };
  const auth = { authorization: `Bearer ${admin.accessToken}` };
  expect((await request.post("/api/v1/roles", { headers: auth, data: { name: "doomed", permissions: ["app:x:*"] } })).ok()).toBe(true);
  expect((await request.post("/api/v1/roles/assign", { headers: auth, data: { userId, role: "doomed" } })).ok()).toBe(true);

  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/roles");
  const card = page.getByTestId("role-doomed");
  await expect(card).toContainText(email);

  await card.getByRole("button", { name: `Revoke doomed from ${email}` }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("Revoke role?");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(card).toContainText(email);
  await card.getByRole("button", { name: `Revoke doomed from ${email}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId("toast-success")).toContainText(`Role doomed revoked from ${email}.`);
  await expect(card).toContainText("nobody");

  await card.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("dialog")).toContainText("Delete role doomed?");
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(card).toBeVisible();
  await card.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete role" }).click();
  await expect(card).toHaveCount(0);
  await expect(page.getByTestId("toast-success").last()).toContainText("Role doomed deleted.");
});

test("users: disabling asks first, deleting asks to type the email, each success is a toast", async ({ page, request }) => {
  refuseNativeDialogs(page);
  const email = "confirmable@studio.test";
  await register(request, email, "Confirmable-Pass-42");
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/users");
  const row = page.getByTestId(`user-row-${email}`);

  await row.getByRole("button", { name: "Disable" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText(`Disable ${email}?`);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(row.getByTestId("user-status")).toHaveText("active");
  await row.getByRole("button", { name: "Disable" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Disable user" }).click();
  await expect(row.getByTestId("user-status")).toHaveText("disabled");
  await expect(page.getByTestId("toast-success")).toContainText(`${email} disabled`);

  await row.getByRole("button", { name: "Delete" }).click();
  const confirm = page.getByRole("dialog").getByRole("button", { name: "Delete user" });
  await expect(confirm).toBeDisabled();
  await page.getByRole("dialog").getByLabel(/to confirm/).fill("wrong@studio.test");
  await expect(confirm).toBeDisabled();
  await page.getByRole("dialog").getByLabel(/to confirm/).fill(email);
  await confirm.click();
  await expect(row).toHaveCount(0);
  await expect(page.getByTestId("toast-success").last()).toContainText(`${email} deleted.`);
});

test("a user without admin keys sees only the navigation they may use", async ({ page, request }) => {
  const email = "plain@studio.test";
  const password = "Plain-User-Pass-42";
  await register(request, email, password);
  await signIn(page, email, password);
  const nav = page.getByRole("navigation", { name: "Studio" });
  await expect(nav.getByRole("link", { name: "Overview" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Apps" })).toBeVisible();
  for (const hidden of ["Users", "Roles", "Audit", "Secrets"]) await expect(nav.getByRole("link", { name: hidden })).toHaveCount(0);

  // A 403 is an answer, not a failure to retry: the panel asks once and says why at once.
  let asked = 0;
  page.on("request", (r) => {
    if (r.url().includes("users.details")) asked++;
  });
  await page.goto("/users");
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Managing users requires the admin role.");
  await page.waitForTimeout(2_500); // React Query's first retry would come after 1 s.
  expect(asked).toBe(1);

  // And the admin sees them all (so the absences above are about permissions, not a broken nav).
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, ADMIN.email, ADMIN.password);
  for (const shown of ["Users", "Roles", "Audit", "Secrets"]) await expect(nav.getByRole("link", { name: shown })).toBeVisible();
});

for (const panel of [
  { path: "/users", create: "Add user", ready: (p: Page) => p.getByTestId(`user-row-${ADMIN.email}`) },
  { path: "/roles", create: "New role", ready: (p: Page) => p.getByTestId("role-admin") },
]) {
  test(`${panel.path}: no serious axe violation in light and dark, screenshots at 1366 px`, async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(panel.path);
    await expect(panel.ready(page)).toBeVisible();
    for (const theme of ["light", "dark"] as const) {
      await setTheme(page, theme);
      await expectNoSeriousA11yViolations(page);
      // The create panel (SlideOver) too.
      await page.getByRole("button", { name: panel.create }).click();
      await expect(page.getByRole("dialog")).toBeVisible();
      await expectNoSeriousA11yViolations(page);
      await page.keyboard.press("Escape");
      await expect(page.getByRole("dialog")).toHaveCount(0);
    }
    await saveScreenshots(page, panel.path.slice(1));
  });

  test(`${panel.path}: at 1024 px the page never scrolls sideways`, async ({ page }) => {
    await page.setViewportSize({ width: 1024, height: 768 });
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(panel.path);
    await expect(panel.ready(page)).toBeVisible();
    await expectNoHorizontalOverflow(page);
  });
}

test("no console error on any panel, signed in as the administrator", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const console = collectConsoleErrors(page);
  for (const path of ["/", "/applications", "/users", "/roles", "/audit", "/secrets", "/database"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await page.waitForLoadState("networkidle");
  }
  expect(console.errors).toEqual([]);
});
