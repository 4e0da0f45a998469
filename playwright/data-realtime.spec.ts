import { expect, test, type Browser, type Page } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";
import { collectConsoleErrors } from "./studio-checks.ts";

const APP = "e2e_live";
const TASK = { entityName: "task", fields: [{ name: "title", type: "text", required: true }] };

/** A page of its own (its own browser context: cookies, token, tab), signed in and on the app's data browser. */
async function openBrowser(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto(`/applications/${APP}`);
  await expect(page.getByRole("heading", { level: 1, name: APP })).toBeVisible();
  await expect(page.getByTestId("live-status")).toHaveText("Live");
  return page;
}

const rows = (page: Page) => page.getByRole("table", { name: "Records" }).locator("tbody").getByRole("row");

test("two browser pages on the data browser: a row added, changed or deleted in one is applied in the other", async ({ browser, request }) => {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  const auth = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
  await request.delete(`/api/v1/apps/${APP}`, { headers: auth });
  expect((await request.post("/api/v1/apps", { headers: auth, data: { appId: APP, name: APP, version: "1.0.0", dataContract: [TASK] } })).status()).toBe(200);

  const writer = await openBrowser(browser);
  const watcher = await openBrowser(browser);
  const console = collectConsoleErrors(watcher);
  await expect(watcher.getByText("No task records yet.")).toBeVisible();

  await writer.getByRole("button", { name: "New record" }).click();
  const form = writer.getByRole("form", { name: "New task" });
  await form.getByLabel("title", { exact: true }).fill("made in the other tab");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(rows(writer).first()).toContainText("made in the other tab");

  // The watcher did nothing: the row arrives through the change stream, marked as new.
  const arrived = rows(watcher).first();
  await expect(arrived).toContainText("made in the other tab");
  await expect(arrived).toHaveAttribute("data-live", "insert");
  await expect(arrived.getByTestId("live-insert")).toHaveText("new");

  // A change made outside any browser (the API) is applied too, then a delete removes the row.
  const id = (await arrived.getAttribute("data-testid"))!.replace("record-", "");
  expect((await request.patch(`/api/v1/apps/${APP}/collections/task/${id}`, { headers: auth, data: { title: "renamed by the API" } })).status()).toBe(200);
  await expect(rows(watcher).first()).toContainText("renamed by the API");
  expect((await request.delete(`/api/v1/apps/${APP}/collections/task/${id}`, { headers: auth })).status()).toBe(200);
  await expect(watcher.getByText("No task records yet.")).toBeVisible();
  expect(console.errors).toEqual([]);
});
