import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";
import { expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

/** An app record whose audit entries carry 6000-character values with no space to break at. */
async function auditedLongValue(request: APIRequestContext): Promise<string> {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  const auth = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
  const manifest = { appId: "e2e_auditlong", name: "Audit long", version: "1.0.0", dataContract: [{ entityName: "doc", fields: [{ name: "body", type: "text" }, { name: "meta", type: "json" }] }] };
  const installed = await request.post("/api/v1/apps", { data: manifest, headers: auth });
  expect(installed.status()).toBe(200);
  const record = { body: "x".repeat(6000), meta: { nested: Array.from({ length: 200 }, (_, i) => `value-${i}`) } };
  const created = await request.post("/api/v1/apps/e2e_auditlong/collections/doc", { data: record, headers: auth });
  expect(created.status()).toBe(201);
  // An update, so both Before and After hold a long value (the one the After column used to be pushed by).
  const { id } = (await created.json()) as { id: string };
  expect((await request.patch(`/api/v1/apps/e2e_auditlong/collections/doc/${id}`, { data: { body: "y".repeat(6000) }, headers: auth })).status()).toBe(200);
  return id;
}

/** The record whose update the tests open (a worker restarted after a failure makes its own). */
let recordId = "";

async function openLongEntry(page: Page) {
  const filters = page.getByRole("form", { name: "Audit filters" });
  await filters.getByLabel("Schema / app").fill("e2e_auditlong");
  await filters.getByLabel("Table / entity").fill("doc");
  await filters.getByLabel("Action").selectOption("UPDATE");
  await filters.getByLabel("Target / record id").fill(recordId);
  await filters.getByRole("button", { name: "Apply" }).click();
  const rows = page.getByTestId("audit-row");
  await expect(rows).toHaveCount(1);
  const details = rows.first().getByRole("button", { name: /^Details of entry/ });
  await expect(details).toHaveAttribute("aria-expanded", "false");
  await details.click();
  await expect(rows.first().getByRole("button", { name: /^Details of entry/ })).toHaveAttribute("aria-expanded", "true");
  return page.getByRole("table", { name: "Change" });
}

/** The After column's header lies wholly inside the viewport. */
async function expectAfterInView(page: Page) {
  const after = page.getByRole("table", { name: "Change" }).getByRole("columnheader", { name: "After" });
  const box = await after.boundingBox();
  const width = page.viewportSize()!.width;
  expect(box, "After column rendered").not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `After column ends at ${Math.round(box!.x + box!.width)}px in a ${width}px viewport`).toBeLessThanOrEqual(width);
}

test.beforeAll(async ({ playwright }, info) => {
  const request = await playwright.request.newContext({ baseURL: info.project.use.baseURL });
  recordId = await auditedLongValue(request);
  await request.dispose();
});

test.afterAll(async ({ playwright }, info) => {
  const request = await playwright.request.newContext({ baseURL: info.project.use.baseURL });
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  const auth = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
  await request.delete("/api/v1/apps/e2e_auditlong", { headers: auth });
  await request.dispose();
});

for (const width of [1366, 1024]) {
  test(`at ${width} px an expanded entry with a very long JSON value keeps the After column in view and the page does not scroll sideways`, async ({ page }) => {
    await page.setViewportSize({ width, height: 800 });
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto("/audit");
    await expectNoHorizontalOverflow(page);
    const diff = await openLongEntry(page);
    await expect(diff.locator("tr").filter({ hasText: "body" })).toContainText("yyyyyyyy");
    await expectAfterInView(page);
    await expectNoHorizontalOverflow(page);
  });
}

test("entries come newest first, filters narrow them and Clear brings every entry back", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/audit");
  const rows = page.getByTestId("audit-row");
  await expect(rows.first()).toBeVisible();
  const ids = (await rows.locator("td:first-child").allTextContents()).map(Number);
  expect(ids.length).toBeGreaterThan(1);
  expect(ids).toEqual([...ids].sort((a, b) => b - a));

  const filters = page.getByRole("form", { name: "Audit filters" });
  await filters.getByLabel("Action").selectOption("app.install");
  await filters.getByLabel("Target / record id").fill("e2e_auditlong");
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(rows.first()).toContainText("e2e_auditlong");
  await expect(rows.filter({ hasNotText: "app.install" })).toHaveCount(0);
  await filters.getByRole("button", { name: "Clear" }).click();
  await expect(filters.getByLabel("Action")).toHaveValue("");
  await expect(rows.filter({ hasNotText: "app.install" }).first()).toBeVisible();
});

test("audit: no serious axe violation in light and dark with an entry open, screenshots at 1366 px", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/audit");
  await openLongEntry(page);
  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    await expectNoSeriousA11yViolations(page);
  }
  await saveScreenshots(page, "audit");
});
