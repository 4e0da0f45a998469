import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import Papa from "papaparse";
import { readFileSync } from "node:fs";
import { ADMIN, signIn } from "./fixtures.ts";
import { collectConsoleErrors, expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

const TASK = {
  entityName: "task",
  fields: [
    { name: "title", type: "text", required: true },
    { name: "priority", type: "number" },
    { name: "status", type: "text", enum_values: ["open", "doing", "done"] },
    { name: "due", type: "date" },
    { name: "meta", type: "json" },
    { name: "done", type: "boolean" },
  ],
};
const HEADER = ["id", "title", "priority", "status", "due", "meta", "done", "created_at", "updated_at"];

type Auth = { authorization: string };

async function adminAuth(request: APIRequestContext): Promise<Auth> {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  return { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
}

/** A fresh app holding `task` records, created one request at a time so each has its own created_at. */
async function installApp(request: APIRequestContext, appId: string, records: object[] = []): Promise<{ auth: Auth; ids: string[] }> {
  const auth = await adminAuth(request);
  await request.delete(`/api/v1/apps/${appId}`, { headers: auth });
  const installed = await request.post("/api/v1/apps", { headers: auth, data: { appId, name: appId, version: "1.0.0", dataContract: [TASK] } });
  expect(installed.status()).toBe(200);
  const ids: string[] = [];
  for (const r of records) {
    const res = await request.post(`/api/v1/apps/${appId}/collections/task`, { headers: auth, data: r });
    expect(res.status()).toBe(201);
    ids.push(((await res.json()) as { id: string }).id);
  }
  return { auth, ids };
}

const tasks = (n: number) =>
  Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return { title: `Task ${i}`, priority: i, status: ["open", "doing", "done"][i % 3 === 0 ? 0 : i % 3], due: `2026-01-${String(((i - 1) % 28) + 1).padStart(2, "0")}`, done: i % 2 === 0 };
  });

async function openApp(page: Page, appId: string, query = "") {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto(`/applications/${appId}${query}`);
  await expect(page.getByRole("heading", { level: 1, name: appId })).toBeVisible();
}

const table = (page: Page) => page.getByRole("table", { name: "Records" });
const rows = (page: Page) => table(page).locator("tbody").getByRole("row");
const filterBar = (page: Page) => page.getByRole("form", { name: "Filter records" });
const condition = (page: Page, n: number) => filterBar(page).getByRole("group", { name: `Condition ${n}` });

test("item 4: newest first by default, created_at shown and sortable, a created record lands on top with a toast", async ({ page, request }) => {
  await installApp(request, "e2e_grid_order", [{ title: "oldest" }, { title: "middle" }, { title: "newest" }]);
  const console = collectConsoleErrors(page);
  await openApp(page, "e2e_grid_order");
  await expect(rows(page)).toHaveText([/newest/, /middle/, /oldest/]);
  const created = table(page).getByRole("columnheader", { name: "created_at" });
  await expect(created).toHaveAttribute("aria-sort", "descending");
  await expect(table(page).getByRole("columnheader", { name: "updated_at" })).toBeVisible();
  await expect(table(page).getByRole("columnheader", { name: "id" })).toBeVisible();

  await created.getByRole("button").click();
  await expect(created).toHaveAttribute("aria-sort", "ascending");
  await expect(rows(page)).toHaveText([/oldest/, /middle/, /newest/]);
  await created.getByRole("button").click();
  await expect(rows(page)).toHaveText([/newest/, /middle/, /oldest/]);

  await page.getByRole("button", { name: "New record" }).click();
  const form = page.getByRole("form", { name: "New task" });
  await form.getByLabel("title", { exact: true }).fill("brand new");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form).toHaveCount(0);
  await expect(page.getByTestId("toast-success")).toContainText("task record created.");
  await expect(rows(page).first()).toContainText("brand new");
  await expect(page.getByTestId("record-count")).toHaveText("1–4 of 4");
  expect(console.errors).toEqual([]);
});

test("item 3: Edit on row 15 opens the form in view; Escape closes it", async ({ page, request }) => {
  await installApp(request, "e2e_grid_scroll", tasks(20));
  await openApp(page, "e2e_grid_scroll");
  await expect(rows(page)).toHaveCount(20);
  // Row 15 at the top of the window: the table's box and the page both scrolled down, as a reader gets there.
  const row = rows(page).nth(14);
  await row.evaluate((el) => el.scrollIntoView({ block: "start" }));
  expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(0);
  await row.getByRole("button", { name: /^Edit/ }).click();
  const form = page.getByRole("form", { name: /^Edit task / });
  await expect(form).toBeInViewport();
  await expect(form.getByLabel("title", { exact: true })).toBeInViewport();
  await expect(form.getByLabel("title", { exact: true })).toHaveValue("Task 6");
  await page.keyboard.press("Escape");
  await expect(form).toHaveCount(0);
});

test("item 7: several typed conditions; a bad value is an inline error at once with no old rows; Clear resets", async ({ page, request }) => {
  await installApp(request, "e2e_grid_filter", tasks(12));
  await openApp(page, "e2e_grid_filter");
  const count = page.getByTestId("record-count");
  await expect(count).toHaveText("1–12 of 12");

  await condition(page, 1).getByLabel("Field").selectOption("status");
  const status = condition(page, 1).getByLabel("Value");
  await expect(status).toHaveJSProperty("tagName", "SELECT");
  await status.selectOption("open");
  await filterBar(page).getByRole("button", { name: "Add condition" }).click();
  await condition(page, 2).getByLabel("Field").selectOption("priority");
  await condition(page, 2).getByLabel("Operator").selectOption({ label: ">" });
  const priority = condition(page, 2).getByLabel("Value");
  await expect(priority).toHaveAttribute("type", "number");
  await priority.fill("2");
  await filterBar(page).getByRole("button", { name: "Add condition" }).click();
  await condition(page, 3).getByLabel("Field").selectOption("due");
  await condition(page, 3).getByLabel("Operator").selectOption("between");
  await expect(condition(page, 3).getByLabel("From")).toHaveAttribute("type", "date");
  await condition(page, 3).getByLabel("From").fill("2026-01-01");
  await condition(page, 3).getByLabel("To", { exact: true }).fill("2026-01-09");
  await filterBar(page).getByRole("button", { name: "Apply" }).click();
  await expect(count).toHaveText("1–3 of 3");
  await expect(rows(page)).toHaveText([/Task 9/, /Task 6/, /Task 3/]);

  // A number the server refuses (a double cannot hold it): the sentence is next to that condition within a
  // moment (no retries), and the table stays on screen without the previous results.
  await priority.fill("9007199254740993");
  await filterBar(page).getByRole("button", { name: "Apply" }).click();
  await expect(condition(page, 2).getByTestId("field-error")).toContainText("double precision", { timeout: 1500 });
  await expect(priority).toHaveAttribute("aria-invalid", "true");
  await expect(table(page)).toBeVisible();
  await expect(rows(page)).toHaveText([/No results/]);
  await expect(count).toHaveText("0 records");

  // A value the page can tell is wrong never leaves it.
  await condition(page, 1).getByLabel("Field").selectOption("id");
  await condition(page, 1).getByLabel("Value").fill("not-a-uuid");
  await filterBar(page).getByRole("button", { name: "Apply" }).click();
  await expect(condition(page, 1).getByTestId("field-error")).toHaveText(/is not a UUID/, { timeout: 500 });
  await expect(rows(page)).toHaveText([/No results/]);

  await filterBar(page).getByRole("button", { name: "Clear" }).click();
  await expect(page).not.toHaveURL(/filter=/);
  await expect(filterBar(page).getByRole("group")).toHaveCount(1);
  await expect(condition(page, 1).getByLabel("Field")).toHaveValue("title");
  await expect(condition(page, 1).getByLabel("Value")).toHaveValue("");
  await expect(filterBar(page).getByTestId("field-error")).toHaveCount(0);
  await expect(count).toHaveText("1–12 of 12");
});

test("filter, sort and page size are in the URL and survive a reload", async ({ page, request }) => {
  await installApp(request, "e2e_grid_url", tasks(60));
  await openApp(page, "e2e_grid_url");
  await condition(page, 1).getByLabel("Field").selectOption("status");
  await condition(page, 1).getByLabel("Operator").selectOption("in");
  await condition(page, 1).getByLabel("Values").selectOption(["open", "done"]);
  await filterBar(page).getByRole("button", { name: "Apply" }).click();
  await table(page).getByRole("columnheader", { name: "priority" }).getByRole("button").click();
  await page.getByLabel("Rows per page").selectOption("25");
  await page.getByRole("button", { name: "Next" }).click();
  const count = page.getByTestId("record-count");
  // Status open (i % 3 == 0) or done (i % 3 == 2): 40 of 60; page 2 at 25 a page.
  await expect(count).toHaveText("26–40 of 40");
  await expect(page).toHaveURL(/filter=/);

  await page.reload();
  await expect(condition(page, 1).getByLabel("Field")).toHaveValue("status");
  await expect(condition(page, 1).getByLabel("Operator")).toHaveValue("in");
  expect(await condition(page, 1).getByLabel("Values").evaluate((s: HTMLSelectElement) => Array.from(s.selectedOptions, (o) => o.value))).toEqual(["open", "done"]);
  await expect(table(page).getByRole("columnheader", { name: "priority" })).toHaveAttribute("aria-sort", "ascending");
  await expect(page.getByLabel("Rows per page")).toHaveValue("25");
  await expect(count).toHaveText("26–40 of 40");
  await expect(rows(page).first()).toContainText("Task 39");
});

test("CSV export holds the whole current view (filter and sort, past one page), quoted correctly", async ({ page, request }) => {
  const { auth } = await installApp(request, "e2e_grid_csv", [{ title: 'He said "hi", then\nleft', priority: 5000, meta: { a: [1, 2] } }]);
  for (const start of [1, 551]) {
    const bulk = Array.from({ length: 550 }, (_, k) => ({ title: `Row ${start + k}`, priority: start + k }));
    expect((await request.post("/api/v1/apps/e2e_grid_csv/collections/task/bulk", { headers: auth, data: bulk })).status()).toBe(201);
  }
  await openApp(page, "e2e_grid_csv");
  await condition(page, 1).getByLabel("Field").selectOption("priority");
  await condition(page, 1).getByLabel("Operator").selectOption({ label: ">" });
  await condition(page, 1).getByLabel("Value").fill("10");
  await filterBar(page).getByRole("button", { name: "Apply" }).click();
  const priority = table(page).getByRole("columnheader", { name: "priority" });
  await priority.getByRole("button").click();
  await priority.getByRole("button").click();
  await expect(priority).toHaveAttribute("aria-sort", "descending");
  await expect(page.getByTestId("record-count")).toHaveText("1–50 of 1,091");

  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe("e2e_grid_csv-task.csv");
  const text = readFileSync((await download.path())!, "utf8");
  expect(text).toContain('"He said ""hi"", then\nleft"');
  const parsed = Papa.parse<string[]>(text.trim());
  expect(parsed.errors).toEqual([]);
  const [header, ...data] = parsed.data;
  expect(header).toEqual(HEADER);
  expect(data).toHaveLength(1091);
  expect(data[0]?.slice(1, 3)).toEqual(['He said "hi", then\nleft', "5000"]);
  expect(data[0]?.[5]).toBe('{"a":[1,2]}');
  expect(data[1]?.slice(1, 3)).toEqual(["Row 1100", "1100"]);
  expect(data.at(-1)?.slice(1, 3)).toEqual(["Row 11", "11"]);
  await expect(page.getByTestId("toast-success")).toContainText("Exported 1091 record(s).");
});

test("inline editing saves only the edited field: a json big integer inserted through REST stays exact", async ({ page, request }) => {
  const { auth } = await installApp(request, "e2e_grid_inline");
  const res = await request.post("/api/v1/apps/e2e_grid_inline/collections/task", {
    headers: { ...auth, "content-type": "application/json" },
    data: '{"title":"big","priority":1,"meta":{"n":750727362669608961}}',
  });
  expect(res.status()).toBe(201);
  const id = /"id":"([^"]+)"/.exec(await res.text())![1]!;
  const stored = async () => (await request.get(`/api/v1/apps/e2e_grid_inline/collections/task/${id}`, { headers: auth })).text();
  expect(await stored()).toMatch(/"n":\s*750727362669608961\b/);

  await openApp(page, "e2e_grid_inline");
  const row = page.getByTestId(`record-${id}`);
  const updates: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("data.update")) updates.push(r.postData() ?? "");
  });

  // Escape cancels: nothing is sent, the value is unchanged.
  await row.getByTestId("cell-priority").dblclick();
  await row.getByLabel(/^priority of/).fill("99");
  await row.getByLabel(/^priority of/).press("Escape");
  await expect(row.getByLabel(/^priority of/)).toHaveCount(0);
  await expect(row.getByTestId("cell-priority")).toHaveText("1");

  // Enter on the focused cell opens its control; Enter saves.
  await row.getByTestId("cell-title").focus();
  await page.keyboard.press("Enter");
  const title = row.getByLabel(/^title of/);
  await expect(title).toBeFocused();
  await title.fill("renamed");
  const call = page.waitForRequest((r) => r.url().includes("data.update"));
  await title.press("Enter");
  const sent = JSON.parse((await call).postData() ?? "{}") as Record<string, { patch: unknown }>;
  expect(sent["0"]?.patch).toEqual({ title: "renamed" });
  await expect(page.getByTestId("toast-success")).toContainText("Saved title.");
  await expect(row.getByTestId("cell-title")).toHaveText("renamed");
  expect(updates).toHaveLength(1);
  expect(await stored()).toMatch(/"n":\s*750727362669608961\b/);
  expect(await stored()).toContain('"title":"renamed"');
});

test("item 2: at 1024 px the data browser never scrolls sideways and the delete confirmation is whole at 1366 and 1024; item 10: delete toast", async ({ page, request }) => {
  const long = "a long value that makes the table wider than the screen ".repeat(4);
  await installApp(request, "e2e_grid_wide", [{ title: long, priority: 1, status: "open", due: "2026-02-01", meta: { note: long }, done: true }, { title: "short" }]);
  await page.setViewportSize({ width: 1024, height: 768 });
  await openApp(page, "e2e_grid_wide");
  await expect(rows(page)).toHaveCount(2);
  await expectNoHorizontalOverflow(page);
  const remove = rows(page).filter({ hasText: "a long value" }).getByRole("button", { name: /^Delete/ });
  await expect(remove).toBeInViewport({ ratio: 1 });

  for (const width of [1024, 1366]) {
    await page.setViewportSize({ width, height: 768 });
    await remove.click();
    const dialog = page.getByRole("dialog");
    await expect(dialog).toContainText("Delete this record?");
    await expect(dialog.getByRole("button", { name: "Cancel" })).toBeInViewport({ ratio: 1 });
    await expect(dialog.getByRole("button", { name: "Delete record" })).toBeInViewport({ ratio: 1 });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toHaveCount(0);
  }
  await remove.click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete record" }).click();
  await expect(page.getByTestId("toast-success")).toContainText("deleted");
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page)).toHaveText([/short/]);
});

test("item 10: a refused create is a failure toast and a sentence under the field, never raw JSON", async ({ page, request }) => {
  await installApp(request, "e2e_grid_fail");
  await openApp(page, "e2e_grid_fail");
  await page.getByRole("button", { name: "New record" }).click();
  const form = page.getByRole("form", { name: "New task" });
  await form.getByLabel("title", { exact: true }).fill("too precise");
  await form.getByLabel("priority", { exact: true }).fill("9007199254740993");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("toast-error")).toContainText("Not created");
  await expect(form.getByLabel("priority", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByTestId("field-error")).toContainText('Field "priority" expects a number');
  await expect(form).not.toContainText("[");
  await expect(page.getByText("No task records yet.")).toBeAttached();
});

test("create, edit and delete follow the caller's permissions, disabled with the reason", async ({ page, request }) => {
  const { auth } = await installApp(request, "e2e_grid_perm", [{ title: "visible" }]);
  const email = "grid-reader@studio.test";
  const password = "Grid-Reader-Pass-42";
  await request.post("/api/v1/auth/register", { data: { email, password } });
  const users = (await (await request.get("/api/v1/users", { headers: auth })).json()) as { id: string; email: string }[];
  const userId = users.find((u) => u.email === email)!.id;
  await request.post("/api/v1/roles", { headers: auth, data: { name: "grid_reader", permissions: ["app:e2e_grid_perm:task.read"] } });
  expect((await request.post("/api/v1/roles/assign", { headers: auth, data: { userId, role: "grid_reader" } })).ok()).toBe(true);

  await signIn(page, email, password);
  await page.goto("/applications/e2e_grid_perm");
  await expect(rows(page).first()).toContainText("visible");
  const create = page.getByRole("button", { name: "New record" });
  await expect(create).toBeDisabled();
  await expect(create).toHaveAttribute("title", "Requires the permission app:e2e_grid_perm:task.create.");
  await expect(rows(page).first().getByRole("button", { name: /^Edit/ })).toBeDisabled();
  await expect(rows(page).first().getByRole("button", { name: /^Delete/ })).toHaveAttribute("title", "Requires the permission app:e2e_grid_perm:task.delete.");
  // Read-only cells: no editor opens.
  await expect(rows(page).first().getByTestId("cell-title")).toHaveCount(0);
});

test("data browser: no serious axe violation in light and dark (grid and form), screenshots at 1366 px", async ({ page, request }) => {
  await installApp(request, "e2e_grid_axe", tasks(8));
  await openApp(page, "e2e_grid_axe");
  await expect(rows(page)).toHaveCount(8);
  // The page header and the data browser; the manifest and schema-history panels below are another panel's.
  const own = ["main header", 'section[aria-labelledby="data-heading"]'];
  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    await expectNoSeriousA11yViolations(page, own);
  }
  await saveScreenshots(page, "data-browser");

  await condition(page, 1).getByLabel("Field").selectOption("priority");
  await condition(page, 1).getByLabel("Value").fill("9007199254740993");
  await filterBar(page).getByRole("button", { name: "Apply" }).click();
  await expect(condition(page, 1).getByTestId("field-error")).toBeVisible();
  await page.getByRole("button", { name: "New record" }).click();
  await expect(page.getByRole("form", { name: "New task" })).toBeVisible();
  for (const dark of [false, true]) {
    // The theme toggle is inert behind the modal panel: switch the class the toggle sets.
    await page.evaluate((d) => document.documentElement.classList.toggle("dark", d), dark);
    await expectNoSeriousA11yViolations(page, ["dialog", 'form[aria-label="Filter records"]']);
  }
});
