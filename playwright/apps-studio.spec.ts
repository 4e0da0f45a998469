import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";
import { expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

async function adminAuth(request: APIRequestContext): Promise<{ authorization: string }> {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  return { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
}

/** Installs (or re-installs) an app through the REST API and fills one entity with records. */
async function installWithRecords(request: APIRequestContext, manifest: { appId: string } & Record<string, unknown>, records: Record<string, Record<string, unknown>[]> = {}) {
  const auth = await adminAuth(request);
  expect((await request.post("/api/v1/apps", { data: { name: manifest.appId, version: "1.0.0", ...manifest }, headers: auth })).status()).toBe(200);
  for (const [entity, rows] of Object.entries(records)) {
    expect((await request.post(`/api/v1/apps/${manifest.appId}/collections/${entity}/bulk`, { data: rows, headers: auth })).status()).toBe(201);
  }
  return auth;
}

// The apps these tests install go again, so specs that run after them see the apps list they expect.
test.afterAll(async ({ playwright }, info) => {
  const request = await playwright.request.newContext({ baseURL: info.project.use.baseURL });
  const auth = await adminAuth(request);
  for (const id of ["e2e_visible", "e2e_formmade", "e2e_editor", "e2e_blocked", "e2e_looks", "e2e_rename"]) await request.delete(`/api/v1/apps/${id}`, { headers: auth });
  await request.dispose();
});

function refuseNativeDialogs(page: Page) {
  page.on("dialog", (d) => {
    throw new Error(`native ${d.type()} dialog: ${d.message()}`);
  });
}

test("uninstalling an app holding 41 records needs its id typed and says how many records go; without the id nothing happens", async ({ page, request }) => {
  refuseNativeDialogs(page);
  const items = Array.from({ length: 41 }, (_, i) => ({ title: `item ${i}` }));
  const auth = await installWithRecords(request, { appId: "e2e_uninst", dataContract: [{ entityName: "item", fields: [{ name: "title", type: "text" }] }, { entityName: "empty", fields: [] }] }, { item: items });

  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/applications/e2e_uninst");
  await page.getByRole("button", { name: "Uninstall", exact: true }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("Uninstall e2e_uninst?");
  await expect(dialog.getByTestId("uninstall-record-count")).toHaveText("It holds 41 records in 2 entities, which will be deleted.");
  const confirm = dialog.getByRole("button", { name: "Uninstall app" });
  await expect(confirm).toBeDisabled();
  // Enter in the empty box and a forced click on the disabled button: neither uninstalls.
  await dialog.getByLabel(/to confirm/).press("Enter");
  await confirm.click({ force: true });
  await dialog.getByLabel(/to confirm/).fill("e2e_unins");
  await expect(confirm).toBeDisabled();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  expect((await request.get("/api/v1/apps/e2e_uninst", { headers: auth })).status()).toBe(200);

  await page.getByRole("button", { name: "Uninstall", exact: true }).click();
  await page.getByRole("dialog").getByLabel(/to confirm/).fill("e2e_uninst");
  await page.getByRole("dialog").getByRole("button", { name: "Uninstall app" }).click();
  await expect(page.getByTestId("toast-success")).toHaveText(/App e2e_uninst uninstalled\./);
  await expect(page).toHaveURL(/\/applications$/);
  await expect(page.getByTestId("app-row-e2e_uninst")).toHaveCount(0);
  expect((await request.get("/api/v1/apps/e2e_uninst", { headers: auth })).status()).toBe(404);
});

test("a user without admin:apps.install sees no install form and a disabled Uninstall that says why", async ({ page, request }) => {
  await installWithRecords(request, { appId: "e2e_visible", dataContract: [{ entityName: "thing", fields: [{ name: "label", type: "text" }] }] });
  const email = "no-install@studio.test";
  const password = "No-Install-Pass-42";
  expect([201, 409]).toContain((await request.post("/api/v1/auth/register", { data: { email, password } })).status());

  await signIn(page, email, password);
  await page.goto("/applications");
  await expect(page.getByTestId("app-row-e2e_visible")).toBeVisible();
  await expect(page.getByTestId("install-forbidden")).toHaveText("Installing apps requires the permission admin:apps.install; ask an administrator.");
  await expect(page.getByRole("region", { name: "Install app" })).toHaveCount(0);

  await page.getByRole("link", { name: "e2e_visible" }).click();
  const uninstall = page.getByRole("button", { name: "Uninstall", exact: true });
  await expect(uninstall).toBeDisabled();
  await expect(uninstall).toHaveAttribute("title", "Requires the permission admin:apps.install.");
  await expect(page.getByRole("region", { name: "Re-install / update manifest" })).toHaveCount(0);
  await expect(page.getByTestId("reinstall-forbidden")).toBeVisible();
  await expect(page.getByRole("region", { name: "Schema history" })).toContainText("Reading the schema history requires the permission admin:apps.install");
});

test("schema editor: a new app built in the form installs with a toast", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/applications");
  const panel = page.getByRole("region", { name: "Install app" });
  await expect(panel.getByRole("tab", { name: "Form" })).toHaveAttribute("aria-selected", "true");
  await panel.getByLabel("App id").fill("e2e_formmade");
  await panel.getByLabel("App name").fill("Form made");
  await panel.getByRole("button", { name: "Add entity" }).click();
  const entityForm = page.getByRole("form", { name: "New entity" });
  await entityForm.getByLabel("Entity name").fill("Bad Name");
  await entityForm.getByRole("button", { name: "Add entity" }).click();
  await expect(entityForm.getByTestId("field-error")).toHaveText("Use a-z, 0-9 and _, starting with a letter (at most 63 characters).");
  await entityForm.getByLabel("Entity name").fill("ticket");
  await expect(entityForm.getByTestId("field-error")).toHaveCount(0);
  await entityForm.getByRole("button", { name: "Add entity" }).click();
  await expect(entityForm).toHaveCount(0);

  await panel.getByRole("button", { name: "Add a field to ticket" }).click();
  const fieldForm = page.getByRole("form", { name: "New field" });
  await fieldForm.getByLabel("Field name").fill("status");
  await fieldForm.getByLabel("Allowed values").fill("open\nclosed");
  await fieldForm.getByLabel("Default value").fill("open");
  await fieldForm.getByLabel("Required").check();
  await fieldForm.getByRole("button", { name: "Add field" }).click();
  await expect(panel.getByTestId("field-ticket.status")).toContainText("one of open, closed");

  // The JSON tab shows the manifest the form wrote.
  await panel.getByRole("tab", { name: "JSON" }).click();
  expect(JSON.parse(await panel.getByLabel("Manifest (JSON)").inputValue())).toMatchObject({
    appId: "e2e_formmade",
    name: "Form made",
    dataContract: [{ entityName: "ticket", fields: [{ name: "status", type: "text", required: true, default_value: "open", enum_values: ["open", "closed"] }] }],
  });
  await panel.getByRole("tab", { name: "Form" }).click();

  await panel.getByRole("button", { name: "Preview changes" }).click();
  await expect(panel.getByRole("table", { name: "Schema changes" })).toContainText("create_table");
  await panel.getByRole("button", { name: "Install", exact: true }).click();
  await expect(page.getByTestId("toast-success")).toHaveText(/App e2e_formmade installed: \d+ schema changes? applied\./);
  await expect(page.getByTestId("app-row-e2e_formmade")).toBeVisible();
});

test("schema editor: add a field, retype one holding data (red preview with its count, accepted, installed), remove an entity", async ({ page, request }) => {
  const manifest = {
    appId: "e2e_editor",
    dataContract: [
      { entityName: "task", fields: [{ name: "title", type: "text" }, { name: "points", type: "text" }] },
      { entityName: "tag", fields: [{ name: "label", type: "text" }] },
    ],
  };
  const auth = await installWithRecords(request, manifest, {
    task: [{ title: "a", points: "3" }, { title: "b", points: "lots" }, { title: "c" }],
    tag: [{ label: "x" }, { label: "y" }],
  });
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/applications/e2e_editor");
  const panel = page.getByRole("region", { name: "Re-install / update manifest" });

  // A field name the entity already has is refused next to the field.
  await panel.getByRole("button", { name: "Add a field to task" }).click();
  let form = page.getByRole("form", { name: "New field" });
  await form.getByLabel("Field name").fill("title");
  await form.getByRole("button", { name: "Add field" }).click();
  await expect(form.getByTestId("field-error")).toHaveText("task already has a field title.");
  await form.getByLabel("Field name").fill("due");
  await form.getByLabel("Type").selectOption("date");
  await form.getByRole("button", { name: "Add field" }).click();
  await expect(panel.getByTestId("field-task.due")).toContainText("date");

  // Renaming is said to be a drop and an add (then cancelled).
  await panel.getByRole("button", { name: "Edit task.title" }).click();
  form = page.getByRole("form", { name: "Edit field title" });
  await form.getByLabel("Field name").fill("name");
  await expect(form.getByRole("note")).toContainText("drops the column title with its values and adds an empty name column");
  await page.keyboard.press("Escape");
  await expect(form).toHaveCount(0);

  await panel.getByRole("button", { name: "Edit task.points" }).click();
  form = page.getByRole("form", { name: "Edit field points" });
  await form.getByLabel("Type").selectOption("number");
  await expect(form.getByRole("note")).toContainText("converted from text to number");
  await form.getByRole("button", { name: "Save field" }).click();
  await expect(panel.getByTestId("field-task.points")).toContainText("number");

  await panel.getByRole("button", { name: "Preview changes" }).click();
  const changes = panel.getByRole("table", { name: "Schema changes" }).locator("tbody").getByRole("row");
  await expect(changes.filter({ hasText: "add_column" })).not.toHaveAttribute("data-destructive", "true");
  const retype = changes.filter({ hasText: "alter_type" });
  await expect(retype).toHaveAttribute("data-destructive", "true");
  await expect(retype).toHaveClass(/\bbg-red-50\b/);
  await expect(retype).toContainText("1 row lose or change a value");
  await expect(retype.getByRole("list", { name: "Sample of affected rows" })).toContainText("lots");
  const install = panel.getByRole("button", { name: "Install", exact: true });
  await expect(install).toBeDisabled();
  await panel.getByRole("group", { name: "Data loss" }).getByLabel("I accept losing this data").check();
  await install.click();
  await expect(page.getByTestId("toast-success")).toHaveText(/App e2e_editor re-installed: 2 schema changes applied\./);
  const tasks = (await (await request.get("/api/v1/apps/e2e_editor/collections/task?sort=title&order=asc", { headers: auth })).json()) as { title: string; points: unknown; due: unknown }[];
  expect(tasks.map((t) => [t.title, t.points, t.due])).toEqual([["a", 3, null], ["b", null, null], ["c", null, null]]);

  // Removing an entity: its table and two records go, shown in red and accepted first.
  await panel.getByRole("button", { name: "Remove entity tag" }).click();
  await expect(panel.getByRole("region", { name: "tag" })).toHaveCount(0);
  await panel.getByRole("button", { name: "Preview changes" }).click();
  const drop = panel.getByRole("table", { name: "Schema changes" }).locator("tbody").getByRole("row").filter({ hasText: "drop_table" });
  await expect(drop).toHaveAttribute("data-destructive", "true");
  await expect(drop).toContainText("2 rows lose or change a value");
  await panel.getByRole("group", { name: "Data loss" }).getByLabel("I accept losing this data").check();
  await panel.getByRole("button", { name: "Install", exact: true }).click();
  await expect(page.getByTestId("toast-success").last()).toHaveText(/App e2e_editor re-installed: 1 schema change applied\./);
  expect((await request.get("/api/v1/apps/e2e_editor/collections/tag", { headers: auth })).status()).toBe(404);
  await expect(page.getByRole("tab", { name: "tag" })).toHaveCount(0);
});

test("renaming a field holding values is previewed as what it is: the old column dropped with its values (red), an empty one added", async ({ page, request }) => {
  await installWithRecords(request, { appId: "e2e_rename", dataContract: [{ entityName: "person", fields: [{ name: "nick", type: "text" }] }] }, { person: [{ nick: "al" }, { nick: "bo" }, {}] });
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/applications/e2e_rename");
  const panel = page.getByRole("region", { name: "Re-install / update manifest" });
  await panel.getByRole("button", { name: "Edit person.nick" }).click();
  const form = page.getByRole("form", { name: "Edit field nick" });
  await form.getByLabel("Field name").fill("alias");
  await expect(form.getByRole("note")).toContainText("The manifest has no rename");
  await form.getByRole("button", { name: "Save field" }).click();
  await panel.getByRole("button", { name: "Preview changes" }).click();
  const changes = panel.getByRole("table", { name: "Schema changes" }).locator("tbody").getByRole("row");
  await expect(changes.filter({ hasText: "drop_column" })).toHaveAttribute("data-destructive", "true");
  await expect(changes.filter({ hasText: "drop_column" })).toContainText("2 rows lose or change a value");
  await expect(changes.filter({ hasText: "add_column" })).toContainText("alias");
  await expect(panel.getByRole("group", { name: "Data loss" })).toContainText("touching 2 row(s)");
});

test("a blocking change is refused: Install stays disabled and says why", async ({ page, request }) => {
  await installWithRecords(request, { appId: "e2e_blocked", dataContract: [{ entityName: "line", fields: [{ name: "note", type: "text" }] }] }, { line: [{ note: null }] });
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/applications/e2e_blocked");
  const panel = page.getByRole("region", { name: "Re-install / update manifest" });
  await panel.getByRole("button", { name: "Edit line.note" }).click();
  await page.getByRole("form", { name: "Edit field note" }).getByLabel("Required").check();
  await page.getByRole("form", { name: "Edit field note" }).getByRole("button", { name: "Save field" }).click();
  await panel.getByRole("button", { name: "Preview changes" }).click();
  await expect(panel.getByRole("note", { name: "Blocked changes" })).toContainText("Existing rows prevent 1 change(s)");
  await expect(panel.getByRole("table", { name: "Schema changes" }).locator("tbody tr[data-destructive]")).toContainText("prevent this change");
  const install = panel.getByRole("button", { name: "Install", exact: true });
  await expect(install).toBeDisabled();
  await expect(install).toHaveAttribute("title", "Existing rows prevent some changes.");
});

test("apps list and app page: no serious axe violation in light and dark, no sideways scroll at 1024 px, screenshots", async ({ page, request }) => {
  await installWithRecords(request, { appId: "e2e_looks", dataContract: [{ entityName: "entry", fields: [{ name: "body", type: "text" }, { name: "score", type: "number" }] }] }, { entry: [{ body: "x".repeat(300), score: 1 }] });
  await signIn(page, ADMIN.email, ADMIN.password);

  await page.goto("/applications");
  await expect(page.getByTestId("app-row-e2e_looks")).toBeVisible();
  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    await expectNoSeriousA11yViolations(page);
  }
  await saveScreenshots(page, "apps");

  await page.goto("/applications/e2e_looks");
  const panel = page.getByRole("region", { name: "Re-install / update manifest" });
  await panel.getByRole("button", { name: "Edit entry.score" }).click();
  await page.getByRole("form", { name: "Edit field score" }).getByLabel("Type").selectOption("boolean");
  await page.getByRole("form", { name: "Edit field score" }).getByRole("button", { name: "Save field" }).click();
  await panel.getByRole("button", { name: "Preview changes" }).click();
  await expect(panel.getByRole("group", { name: "Data loss" })).toBeVisible();
  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    await expectNoSeriousA11yViolations(page);
    await panel.getByRole("button", { name: "Add a field to entry" }).click();
    await expect(page.getByRole("form", { name: "New field" })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Uninstall", exact: true }).click();
    await expect(page.getByTestId("uninstall-record-count")).toContainText("1 record");
    await expectNoSeriousA11yViolations(page);
    await page.keyboard.press("Escape");
  }
  await saveScreenshots(page, "app-page");

  await page.setViewportSize({ width: 1024, height: 768 });
  await expectNoHorizontalOverflow(page);
  await page.goto("/applications");
  await expect(page.getByTestId("app-row-e2e_looks")).toBeVisible();
  await expectNoHorizontalOverflow(page);
});
