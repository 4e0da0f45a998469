import { expect, test } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";
import { collectConsoleErrors, expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

test("the API reference renders this Core's OpenAPI document, loads nothing from elsewhere, and passes axe light and dark", async ({ page, baseURL }) => {
  // Scalar renders every operation of the document: slower than a Studio panel on a shared machine.
  test.setTimeout(180_000);
  const origin = new URL(baseURL!).origin;
  const elsewhere: string[] = [];
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.protocol.startsWith("http") && url.origin !== origin) elsewhere.push(r.url());
  });
  const console = collectConsoleErrors(page);
  await signIn(page, ADMIN.email, ADMIN.password);

  await page.getByRole("link", { name: "API reference" }).click();
  await expect(page).toHaveURL(/\/api-docs$/);
  await expect(page.getByRole("heading", { name: "API reference" })).toBeVisible();
  const reference = page.getByTestId("api-reference");
  // The document's title and an operation's summary: the reference read /api/v1/openapi.json.
  await expect(reference.getByRole("heading", { name: "RootCX Core", level: 1 })).toBeVisible({ timeout: 30_000 });
  await expect(reference.getByText("The installed apps").first()).toBeVisible();
  await page.waitForLoadState("networkidle");

  await page.setViewportSize({ width: 1024, height: 800 });
  await expectNoHorizontalOverflow(page);
  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    // The Studio's own part of the page; Scalar's markup (marked data-third-party-ui) has violations we cannot fix.
    await expectNoSeriousA11yViolations(page);
  }
  await saveScreenshots(page, "api-docs");

  expect(elsewhere, "requests to other origins").toEqual([]);
  expect(console.errors).toEqual([]);
});

test("the document the reference renders is public", async ({ request }) => {
  const res = await request.get("/api/v1/openapi.json");
  expect(res.status()).toBe(200);
  expect(((await res.json()) as { openapi: string }).openapi).toBe("3.1.0");
});
