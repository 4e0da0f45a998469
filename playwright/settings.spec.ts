import { expect, test, type APIRequestContext } from "@playwright/test";
import { ADMIN, signIn, signOut } from "./fixtures.ts";
import { collectConsoleErrors, expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

// The settings page: close and reopen public sign-up, rotate the master key behind a confirmation, and read
// the audit archive's status. Only administrators see it.

const MEMBER = { email: "member@settings.test", password: "Member-Password-2026" };

async function adminToken(request: APIRequestContext): Promise<string> {
  const res = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  return ((await res.json()) as { accessToken: string }).accessToken;
}

test.afterAll(async ({ request }) => {
  // Other specs register users: never leave sign-up closed behind, whatever failed.
  await request.put("/api/v1/platform/settings", { data: { registration: "open" }, headers: { authorization: `Bearer ${await adminToken(request)}` } });
});

test("a non-administrator has no Settings entry and the page says why", async ({ page, request }) => {
  const reg = await request.post("/api/v1/auth/register", { data: MEMBER });
  expect([201, 400]).toContain(reg.status());
  await signIn(page, MEMBER.email, MEMBER.password);
  await expect(page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Database" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Settings" })).toHaveCount(0);
  await page.goto("/settings");
  await expect(page.getByText("Settings are for administrators. Requires the admin role.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Rotate master key" })).toHaveCount(0);
  await signOut(page);
});

test("settings: sign-up closed and reopened, master key rotated after confirming, archive status shown", async ({ page, request }) => {
  const console_ = collectConsoleErrors(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Settings", level: 1 })).toBeVisible();

  // Sign-up: closed → a stranger's registration is refused; the page shows the saved state after a reload.
  const signUp = page.getByRole("form", { name: "Sign-up setting" });
  const select = signUp.getByLabel("Public sign-up");
  await expect(select).toHaveValue("open");
  await select.selectOption("closed");
  await signUp.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("toast-success")).toContainText("Public sign-up is now closed");
  const refused = await request.post("/api/v1/auth/register", { data: { email: "stranger@settings.test", password: MEMBER.password } });
  expect(refused.status()).toBe(403);
  expect(await refused.json()).toEqual({ error: "public sign-up is closed; an administrator can create your account" });
  await page.reload();
  await expect(page.getByRole("form", { name: "Sign-up setting" }).getByLabel("Public sign-up")).toHaveValue("closed");
  await page.getByRole("form", { name: "Sign-up setting" }).getByLabel("Public sign-up").selectOption("open");
  await page.getByRole("form", { name: "Sign-up setting" }).getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("toast-success").last()).toContainText("Public sign-up is now open");
  expect((await request.get("/api/v1/auth/mode").then((r) => r.json())) as { registrationOpen: boolean }).toMatchObject({ registrationOpen: true });

  // Master key: nothing happens on Cancel; Rotate answers with the new version in a toast.
  const key = page.getByRole("region", { name: "Master key" });
  await key.getByRole("button", { name: "Rotate master key" }).click();
  const dialog = page.getByRole("dialog", { name: "Rotate the master key?" });
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await key.getByRole("button", { name: "Rotate master key" }).click();
  await page.getByRole("dialog", { name: "Rotate the master key?" }).getByRole("button", { name: "Rotate" }).click();
  await expect(page.getByTestId("toast-success").last()).toContainText(/^Master key rotated to version \d+: \d+ secrets? re-encrypted/);

  // Audit archive: a run asked for through the API shows up as the last run.
  const archive = page.getByRole("region", { name: "Audit archive" });
  await expect(archive.getByTestId("retention")).toContainText("Off");
  const run = await request.post("/api/v1/audit/archive", { data: { before: "2000-01-01T00:00:00Z" }, headers: { authorization: `Bearer ${await adminToken(request)}` } });
  expect(run.status()).toBe(200);
  await page.reload();
  await expect(page.getByRole("region", { name: "Audit archive" }).getByTestId("last-run")).toContainText("0 rows archived");
  await expect(page.getByRole("region", { name: "Audit archive" }).getByText("No archive files yet.")).toBeVisible();

  await expectNoSeriousA11yViolations(page);
  await setTheme(page, "dark");
  await expectNoSeriousA11yViolations(page);
  await setTheme(page, "light");
  await page.setViewportSize({ width: 1024, height: 800 });
  await expectNoHorizontalOverflow(page);
  await saveScreenshots(page, "settings");
  expect(console_.errors).toEqual([]);
});
