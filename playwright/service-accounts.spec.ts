import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";
import { collectConsoleErrors, expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

/**
 * The service-accounts panel against the real Core: an administrator creates an account and a key, copies the
 * key from its one-time display, uses it from here (outside the browser) against /auth/me, and sees the same
 * call refused once the key is deleted, the account disabled, and the account deleted.
 */
test.describe.configure({ mode: "serial" });

// Each run its own slug: the browser specs share one Core, and a rerun must not meet an earlier run's account.
const SLUG = `e2e-sa-${Date.now().toString(36)}`;

const me = (request: APIRequestContext, key: string) => request.get("/api/v1/auth/me", { headers: { authorization: `Bearer ${key}` } });
const row = (page: Page) => page.getByTestId(`account-row-${SLUG}`);
const details = (page: Page) => page.getByRole("dialog", { name: `Service account ${SLUG}` });

test.beforeAll(async ({ request }) => {
  // Run alone (`--no-deps`), the Core is still empty: its first user becomes the administrator, as first-run makes it.
  const mode = (await (await request.get("/api/trpc/auth.mode")).json()) as { result?: { data?: { setupRequired?: boolean } } };
  if (mode.result?.data?.setupRequired) {
    expect((await request.post("/api/v1/auth/register", { data: { email: ADMIN.email, password: ADMIN.password, displayName: ADMIN.displayName } })).status()).toBe(201);
  }
});

/** Makes a key in the open details panel and returns it as read from the one-time display (through the clipboard). */
async function makeKey(page: Page, name: string, days: string, screenshot?: string): Promise<string> {
  const panel = details(page);
  const form = panel.getByRole("form", { name: `Create an API key for ${SLUG}` });
  await form.getByLabel("Key name").fill(name);
  await form.getByLabel("Expires in (days)").fill(days);
  await form.getByRole("button", { name: "Create key" }).click();
  const shown = panel.getByTestId("new-key");
  await expect(shown).toBeVisible();
  await expect(shown.getByRole("alert")).toContainText("shown only once");
  await shown.getByRole("button", { name: "Copy key" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: `Key ${name} copied.` })).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toMatch(/^rcs_[A-Za-z0-9_-]{20,}$/);
  await expect(shown.getByLabel(`API key ${name}`)).toHaveValue(copied);
  if (screenshot) await page.screenshot({ path: `playwright/screenshots/${screenshot}.png` });
  await shown.getByRole("button", { name: "I have stored it" }).click();
  await expect(shown).toHaveCount(0);
  return copied;
}

test("an administrator creates a service account and a key, uses the key from outside the browser, and deletes it", async ({ page, context, request }) => {
  test.setTimeout(120_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signIn(page, ADMIN.email, ADMIN.password);
  const console = collectConsoleErrors(page);
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Service accounts" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Service accounts" })).toBeVisible();

  // Create: the Core's refusal of a bad slug is a sentence under the field, and the panel stays open.
  await page.getByRole("button", { name: "Create service account" }).click();
  const create = page.getByRole("form", { name: "Create service account" });
  await create.getByLabel("Slug").fill("Not A Slug!");
  await create.getByRole("button", { name: "Create" }).click();
  const slugError = create.getByTestId("field-error");
  await expect(slugError).toHaveText(/^[A-Z].*\.$/);
  expect(await slugError.innerText()).toMatch(/slug|lower-case|a-z0-9/i);
  await create.getByLabel("Slug").fill(SLUG);
  await expect(slugError).toHaveCount(0);
  await create.getByLabel("Display name").fill("E2E integration");
  await create.getByRole("button", { name: "Create" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: `Service account ${SLUG} created` })).toBeVisible();

  // The new account's details open at once; it holds no role.
  const panel = details(page);
  await expect(panel).toBeVisible();
  await expect(panel.getByText("No role assigned: this account may do nothing yet.")).toBeVisible();
  await expect(panel.getByTestId("sa-owner")).toHaveText(ADMIN.email);
  await expect(row(page).getByTestId("account-state")).toHaveText("active");
  await expect(row(page).getByTestId("account-keys")).toHaveText("0");
  await expect(row(page).getByTestId("account-last-use")).toHaveText("never");

  // A lifetime outside 1–365 days never leaves the page; a name the Core refuses comes back under its field.
  const keyForm = panel.getByRole("form", { name: `Create an API key for ${SLUG}` });
  await expect(keyForm.getByLabel("Expires in (days)")).toHaveValue("90");
  await keyForm.getByLabel("Key name").fill("ci");
  await keyForm.getByLabel("Expires in (days)").fill("366");
  await keyForm.getByRole("button", { name: "Create key" }).click();
  await expect(keyForm.getByTestId("field-error")).toHaveText("Enter a whole number of days from 1 to 365.");

  const key = await makeKey(page, "ci", "30", "service-accounts-new-key");
  const keyRow = panel.getByTestId("key-row-ci");
  await expect(keyRow).toBeVisible();
  const prefix = (await keyRow.locator(".font-mono").innerText()).replace(/…$/, "");
  expect(key.startsWith(prefix)).toBe(true);
  // The list shows the prefix only: the secret itself is nowhere on the page any more.
  expect(await page.content()).not.toContain(key);

  const answered = await me(request, key);
  expect(answered.status(), await answered.text()).toBe(200);
  expect(((await answered.json()) as { email: string }).email).toContain(SLUG);

  // Roles are assigned through the same roles API as a person's.
  const assign = panel.getByRole("form", { name: `Assign a role to ${SLUG}` });
  await assign.getByLabel("Role to assign").selectOption("base");
  await assign.getByRole("button", { name: "Assign" }).click();
  await expect(panel.getByTestId("assigned-role-base")).toBeVisible();
  await expect(page.getByTestId("toast-success").filter({ hasText: `Role base assigned to ${SLUG}.` })).toBeVisible();

  await expectNoSeriousA11yViolations(page);
  await setTheme(page, "dark");
  await expectNoSeriousA11yViolations(page);
  await setTheme(page, "light");

  // Deleting the key: confirmed, then the same call is refused at once.
  await keyRow.getByRole("button", { name: "Delete key ci" }).click();
  await page.getByRole("dialog", { name: "Delete key ci?" }).getByRole("button", { name: "Delete key" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: "Key ci deleted" })).toBeVisible();
  await expect(keyRow).toHaveCount(0);
  const refused = await me(request, key);
  expect(refused.status()).toBe(401);
  expect(await refused.text()).not.toContain(key);

  // Disabling the account refuses its other keys until it is enabled again.
  const second = await makeKey(page, "nightly", "1");
  expect((await me(request, second)).status()).toBe(200);
  await page.keyboard.press("Escape");
  await expect(panel).toHaveCount(0);
  // The key was used from the test after the list was last fetched: a fresh list says when, no longer "never".
  await page.reload();
  await expect(row(page).getByTestId("account-keys")).toHaveText("1");
  await expect(row(page).getByTestId("account-last-use")).not.toHaveText("never");
  await row(page).getByRole("button", { name: "Disable" }).click();
  await page.getByRole("dialog", { name: `Disable ${SLUG}?` }).getByRole("button", { name: "Disable account" }).click();
  await expect(row(page).getByTestId("account-state")).toHaveText("disabled");
  expect((await me(request, second)).status()).toBe(401);
  await row(page).getByRole("button", { name: "Enable" }).click();
  await page.getByRole("dialog", { name: `Enable ${SLUG}?` }).getByRole("button", { name: "Enable account" }).click();
  await expect(row(page).getByTestId("account-state")).toHaveText("active");
  expect((await me(request, second)).status()).toBe(200);

  await page.setViewportSize({ width: 1024, height: 800 });
  await expectNoHorizontalOverflow(page);
  await saveScreenshots(page, "service-accounts");

  // Deleting the account asks for its slug typed, then its remaining key is refused.
  await row(page).getByRole("button", { name: "Delete" }).click();
  const confirm = page.getByRole("dialog", { name: `Delete ${SLUG}?` });
  await expect(confirm.getByRole("button", { name: "Delete account" })).toBeDisabled();
  await confirm.getByLabel(/to confirm/).fill(SLUG);
  await confirm.getByRole("button", { name: "Delete account" }).click();
  await expect(row(page)).toHaveCount(0);
  expect((await me(request, second)).status()).toBe(401);
  // Only the refusals this test provoked (4xx shown as sentences) may have reached the console.
  expect(console.errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
});

test("a holder of only admin:service_accounts.manage manages accounts, keys and act-as delegations without meeting a refusal; roles stay the admin's", async ({ page, request }) => {
  test.setTimeout(120_000);
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  const auth = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
  const role = "e2e_sa_manager";
  await request.delete(`/api/v1/roles/${role}`, { headers: auth });
  const made = await request.post("/api/v1/roles", { headers: auth, data: { name: role, permissions: ["admin:service_accounts.manage"] } });
  expect(made.status(), await made.text()).toBe(200);
  const email = `sa-manager-${Date.now().toString(36)}@studio.test`;
  const password = "Manager-Pass-2026";
  const registered = await request.post("/api/v1/auth/register", { data: { email, password } });
  expect(registered.status(), await registered.text()).toBe(201);
  const { user } = (await registered.json()) as { user: { id: string } };
  expect((await request.post("/api/v1/roles/assign", { headers: auth, data: { userId: user.id, role } })).status()).toBe(200);

  try {
    await signIn(page, email, password);
    const console = collectConsoleErrors(page);
    const nav = page.getByRole("navigation", { name: "Studio" });
    await expect(nav.getByRole("link", { name: "Service accounts" })).toBeVisible();
    await expect(nav.getByRole("link", { name: "Users" })).toHaveCount(0);
    await nav.getByRole("link", { name: "Service accounts" }).click();

    const slug = `${SLUG}-m`;
    await page.getByRole("button", { name: "Create service account" }).click();
    const create = page.getByRole("form", { name: "Create service account" });
    await create.getByLabel("Slug").fill(slug);
    await create.getByRole("button", { name: "Create" }).click();
    const panel = page.getByRole("dialog", { name: `Service account ${slug}` });
    await expect(panel.getByTestId("sa-owner")).toHaveText(email);
    // Roles are changed through the admin's roles API: the form is replaced by the reason.
    await expect(panel.getByText("Assigning and revoking roles requires the admin role.")).toBeVisible();
    await expect(panel.getByRole("form", { name: `Assign a role to ${slug}` })).toHaveCount(0);

    // Act-as: a delegation is the person's own consent, so a manager who is not an admin is offered only themselves;
    // added, then removed behind a confirmation.
    const actAs = panel.getByRole("form", { name: `Let ${slug} act as a person` });
    await expect(actAs.getByLabel("Person").locator("option", { hasText: ADMIN.email })).toHaveCount(0);
    await actAs.getByLabel("Person").selectOption({ label: email });
    await actAs.getByRole("button", { name: "Add delegation" }).click();
    await expect(panel.getByTestId(`act-as-${email}`)).toBeVisible();
    await expect(page.getByTestId("toast-success").filter({ hasText: `${slug} may now act as ${email}.` })).toBeVisible();
    await panel.getByRole("button", { name: `Remove the delegation from ${email}` }).click();
    await page.getByRole("dialog", { name: "Remove the delegation?" }).getByRole("button", { name: "Remove delegation" }).click();
    await expect(panel.getByTestId(`act-as-${email}`)).toHaveCount(0);
    await expect(panel.getByText("No delegation: this account acts only as itself.")).toBeVisible();

    // Ownership goes to another person, confirmed.
    const transfer = panel.getByRole("form", { name: `Transfer the ownership of ${slug}` });
    await transfer.getByLabel("New owner").selectOption({ label: ADMIN.email });
    await transfer.getByRole("button", { name: "Transfer" }).click();
    await page.getByRole("dialog", { name: `Transfer ${slug}?` }).getByRole("button", { name: "Transfer ownership" }).click();
    await expect(panel.getByTestId("sa-owner")).toHaveText(ADMIN.email);
    await expect(page.getByTestId(`account-row-${slug}`)).toContainText(ADMIN.email);

    // A key made by the manager works like the admin's.
    const form = panel.getByRole("form", { name: `Create an API key for ${slug}` });
    await form.getByLabel("Key name").fill("deploy");
    await form.getByRole("button", { name: "Create key" }).click();
    const key = await panel.getByTestId("new-key").getByLabel("API key deploy").inputValue();
    expect((await me(request, key)).status()).toBe(200);
    await page.keyboard.press("Escape");

    const mine = page.getByTestId(`account-row-${slug}`);
    await mine.getByRole("button", { name: "Delete" }).click();
    const confirm = page.getByRole("dialog", { name: `Delete ${slug}?` });
    await confirm.getByLabel(/to confirm/).fill(slug);
    await confirm.getByRole("button", { name: "Delete account" }).click();
    await expect(mine).toHaveCount(0);
    expect((await me(request, key)).status()).toBe(401);
    // Not one call of the panel was refused (a 403 would show here as a failed resource).
    expect(console.errors).toEqual([]);
  } finally {
    await request.delete(`/api/v1/roles/${role}`, { headers: auth });
  }
});
