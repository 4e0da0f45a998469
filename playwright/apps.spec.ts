import { expect, test, type Page } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";

const contact = (extra: object[] = []) => ({
  entityName: "contact",
  fields: [
    { name: "name", type: "text", required: true },
    { name: "age", type: "number" },
    { name: "vip", type: "boolean" },
    { name: "stage", type: "text", enum_values: ["lead", "customer"] },
    ...extra,
  ],
});
const MANIFEST = { appId: "e2e_crm", name: "E2E CRM", version: "1.0.0", dataContract: [contact()] };

async function createContact(page: Page, c: { name: string; age: string; vip: boolean; stage: string }) {
  await page.getByRole("button", { name: "New record" }).click();
  const form = page.getByRole("form", { name: "New contact" });
  await form.getByLabel("name", { exact: true }).fill(c.name);
  await form.getByLabel("age", { exact: true }).fill(c.age);
  await form.getByLabel("vip", { exact: true }).setChecked(c.vip);
  await form.getByLabel("stage", { exact: true }).selectOption(c.stage);
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form).toBeHidden();
}

test("install an app from its manifest, browse and edit its records, then update its schema", async ({ page, request }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Apps" }).click();
  await expect(page.getByRole("heading", { name: "Apps", exact: true })).toBeVisible();
  const main = page.getByRole("main");

  // Not JSON: refused in the page, before anything reaches the server.
  const installPanel = page.getByRole("region", { name: "Install app" });
  // The form is the default editor; the JSON one is a tab away (and remembered).
  await installPanel.getByRole("tab", { name: "JSON" }).click();
  await installPanel.getByLabel("Manifest (JSON)").fill("{ appId: e2e_crm");
  await installPanel.getByRole("button", { name: "Preview changes" }).click();
  await expect(main.getByRole("alert")).toContainText("The manifest is not valid JSON");
  await expect(installPanel.getByRole("button", { name: "Install", exact: true })).toBeDisabled();

  await installPanel.getByLabel("Manifest (JSON)").fill(JSON.stringify(MANIFEST, null, 2));
  await installPanel.getByRole("button", { name: "Preview changes" }).click();
  const preview = installPanel.getByRole("table", { name: "Schema changes" });
  await expect(preview.getByRole("row").filter({ hasText: "create_table" })).toContainText("contact");
  await installPanel.getByRole("button", { name: "Install", exact: true }).click();
  await expect(page.getByTestId("toast-success")).toContainText("App e2e_crm installed:");

  await page.getByRole("table", { name: "Installed apps" }).getByRole("link", { name: "e2e_crm" }).click();
  await expect(page.getByRole("heading", { name: "E2E CRM" })).toBeVisible();
  await expect(page.getByRole("tab", { name: "contact" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByText("No contact records yet.")).toBeVisible();

  await createContact(page, { name: "Carol", age: "41", vip: true, stage: "lead" });
  await createContact(page, { name: "Alice", age: "30", vip: false, stage: "customer" });
  await createContact(page, { name: "Bob", age: "25", vip: false, stage: "lead" });
  const count = page.getByTestId("record-count");
  await expect(count).toHaveText("1–3 of 3");
  const records = page.getByRole("table", { name: "Records" });
  const rows = records.locator("tbody").getByRole("row");

  // Sorting: the header toggles ascending, then descending.
  // Newest first by default.
  await expect(rows).toHaveText([/Bob/, /Alice/, /Carol/]);
  await records.getByRole("columnheader", { name: "name" }).getByRole("button").click();
  await expect(records.getByRole("columnheader", { name: "name" })).toHaveAttribute("aria-sort", "ascending");
  await expect(rows).toHaveText([/Alice/, /Bob/, /Carol/]);
  await records.getByRole("columnheader", { name: "name" }).getByRole("button").click();
  await expect(rows).toHaveText([/Carol/, /Bob/, /Alice/]);
  await expect(rows.filter({ hasText: "Carol" })).toContainText("true");

  // Filtering: "contains" is case-insensitive.
  const filter = page.getByRole("form", { name: "Filter records" });
  await filter.getByLabel("Field").selectOption("name");
  await filter.getByLabel("Operator").selectOption("contains");
  await filter.getByLabel("Value").fill("AR");
  await filter.getByRole("button", { name: "Apply" }).click();
  await expect(count).toHaveText("1–1 of 1");
  await expect(rows).toHaveText([/Carol/]);
  await filter.getByRole("button", { name: "Clear" }).click();
  await expect(count).toHaveText("1–3 of 3");

  // Editing sends only the changed field.
  await rows.filter({ hasText: "Bob" }).getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("form", { name: /^Edit contact / });
  await expect(edit.getByLabel("name", { exact: true })).toHaveValue("Bob");
  await expect(edit.getByLabel("age", { exact: true })).toHaveValue("25");
  await edit.getByLabel("stage", { exact: true }).selectOption("customer");
  const updateCall = page.waitForRequest((r) => r.url().includes("data.update"));
  await edit.getByRole("button", { name: "Save" }).click();
  const sent = JSON.parse((await updateCall).postData() ?? "{}") as Record<string, { patch: unknown }>;
  expect(sent["0"]?.patch).toEqual({ stage: "customer" });
  await expect(edit).toBeHidden();
  await expect(rows.filter({ hasText: "Bob" })).toContainText("customer");

  await rows.filter({ hasText: "Alice" }).getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete record" }).click();
  await expect(count).toHaveText("1–2 of 2");
  await expect(rows.filter({ hasText: "Alice" })).toHaveCount(0);

  // Paging: 30 more records through the REST API make two pages of 25.
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const bulk = Array.from({ length: 30 }, (_, i) => ({ name: `Bulk ${String(i).padStart(2, "0")}` }));
  const created = await request.post("/api/v1/apps/e2e_crm/collections/contact/bulk", { data: bulk, headers: { authorization: `Bearer ${accessToken}` } });
  expect(created.status()).toBe(201);
  await page.reload();
  await expect(count).toHaveText("1–32 of 32");
  await page.getByLabel("Rows per page").selectOption("25");
  await expect(count).toHaveText("1–25 of 32");
  await expect(rows).toHaveCount(25);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("Page 2 of 2")).toBeVisible();
  await expect(rows).toHaveCount(7);
  await expect(page.getByRole("button", { name: "Next" })).toBeDisabled();
  await page.getByRole("button", { name: "Previous" }).click();
  await expect(rows).toHaveCount(25);

  // An update: the panel starts from the installed manifest; the preview shows the one added column.
  const updatePanel = page.getByRole("region", { name: "Re-install / update manifest" });
  const manifestBox = updatePanel.getByLabel("Manifest (JSON)");
  expect(JSON.parse(await manifestBox.inputValue())).toMatchObject(MANIFEST);
  await manifestBox.fill(JSON.stringify({ ...MANIFEST, version: "1.1.0", dataContract: [contact([{ name: "email", type: "text" }])] }, null, 2));
  await updatePanel.getByRole("button", { name: "Preview changes" }).click();
  const changes = updatePanel.getByRole("table", { name: "Schema changes" }).locator("tbody").getByRole("row");
  await expect(changes).toHaveCount(1);
  await expect(changes).toContainText(["add_column"]);
  await expect(changes.getByRole("cell", { name: "email", exact: true })).toBeVisible();
  await updatePanel.getByRole("button", { name: "Install", exact: true }).click();
  await expect(page.getByTestId("toast-success").last()).toContainText("App e2e_crm re-installed: 1 schema change applied.");
  await expect(records.getByRole("columnheader", { name: "email" })).toBeVisible();

  const history = page.getByRole("region", { name: "Schema history" });
  const entries = history.getByTestId("history-entry");
  await expect(entries).toHaveCount(2);
  await expect(entries.first()).toContainText("add_column");
  await expect(entries.first()).toContainText("version 1.1.0");
  await expect(entries.first()).toContainText(ADMIN.email);
  await entries.first().getByText("1 SQL statement(s)").click();
  await expect(entries.first().locator("pre")).toContainText('ADD COLUMN "email"');
  await expect(entries.last()).toContainText("create_table");

  // Previewing the same manifest again finds nothing to do.
  await updatePanel.getByRole("button", { name: "Preview changes" }).click();
  await expect(updatePanel.getByText("No changes: the database matches the manifest")).toBeVisible();

  // A server-side refusal names the exact place in the manifest.
  const bad = { ...MANIFEST, dataContract: [{ entityName: "contact", fields: [{ name: "name", type: "text" }, { name: "age", type: "nubmer" }] }] };
  await manifestBox.fill(JSON.stringify(bad));
  await updatePanel.getByRole("button", { name: "Preview changes" }).click();
  await expect(main.getByRole("alert")).toHaveText('Field contact.age (type): unknown type "nubmer".');

  await page.getByRole("button", { name: "Uninstall", exact: true }).click();
  await page.getByRole("dialog").getByLabel(/to confirm/).fill("e2e_crm");
  await page.getByRole("dialog").getByRole("button", { name: "Uninstall app" }).click();
  await expect(page).toHaveURL(/\/applications$/);
  await expect(page.getByTestId("toast-success").last()).toContainText("App e2e_crm uninstalled.");
  await expect(page.getByTestId("app-row-e2e_crm")).toHaveCount(0);
});

test("a schema change that would lose data is shown in red with its rows and installs only once the loss is accepted", async ({ page, request }) => {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const auth = { authorization: `Bearer ${accessToken}` };
  const note = (tags: string) => ({ entityName: "note", fields: [{ name: "title", type: "text" }, { name: "tags", type: tags }] });
  const manifest = (tags: string) => ({ appId: "e2e_tags", name: "E2E Tags", version: "1.0.0", dataContract: [note(tags)] });
  expect((await request.post("/api/v1/apps", { data: manifest("[text]"), headers: auth })).status()).toBe(200);
  const rows = [{ title: "multi", tags: ["red", "blue"] }, { title: "single", tags: ["green"] }, { title: "none" }];
  expect((await request.post("/api/v1/apps/e2e_tags/collections/note/bulk", { data: rows, headers: auth })).status()).toBe(201);

  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/applications/e2e_tags");
  const updatePanel = page.getByRole("region", { name: "Re-install / update manifest" });
  await updatePanel.getByRole("tab", { name: "JSON" }).click();
  await updatePanel.getByLabel("Manifest (JSON)").fill(JSON.stringify(manifest("text"), null, 2));
  await updatePanel.getByRole("button", { name: "Preview changes" }).click();

  const change = updatePanel.getByRole("table", { name: "Schema changes" }).locator("tbody").getByRole("row").filter({ hasText: "alter_type" });
  await expect(change).toHaveAttribute("data-destructive", "true");
  await expect(change).toHaveClass(/bg-red-50/);
  await expect(change).toContainText("1 row lose or change a value");
  await expect(change.getByRole("list", { name: "Sample of affected rows" })).toContainText("{red,blue} → red");
  const warning = updatePanel.getByRole("group", { name: "Data loss" });
  await expect(warning).toContainText("1 change(s) touching 1 row(s)");
  const installButton = updatePanel.getByRole("button", { name: "Install", exact: true });
  await expect(installButton).toBeDisabled();

  await warning.getByLabel("I accept losing this data").check();
  await expect(installButton).toBeEnabled();
  const installCall = page.waitForRequest((r) => r.url().includes("apps.install"));
  await installButton.click();
  const sent = JSON.parse((await installCall).postData() ?? "{}") as Record<string, { allowDataLoss?: boolean }>;
  expect(sent["0"]?.allowDataLoss).toBe(true);
  await expect(page.getByTestId("toast-success")).toContainText("App e2e_tags re-installed: 1 schema change applied.");

  // The data as accepted: the first element kept, the single one unchanged, the empty one still empty.
  const stored = await request.get("/api/v1/apps/e2e_tags/collections/note?sort=title&order=asc", { headers: auth });
  expect(((await stored.json()) as { title: string; tags: string | null }[]).map((r) => [r.title, r.tags])).toEqual([["multi", "red"], ["none", null], ["single", "green"]]);
  const history = page.getByRole("region", { name: "Schema history" }).getByTestId("history-entry");
  await expect(history.first()).toContainText("1 row lost or changed a value");

  expect((await request.delete("/api/v1/apps/e2e_tags", { headers: auth })).status()).toBe(200);
});
