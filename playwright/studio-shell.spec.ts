import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { ADMIN, signIn } from "./fixtures.ts";

const VERSION = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;

test.beforeEach(async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
});

test("the Studio home page shows the Core's live status", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveTitle("RootCX Studio");
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();

  await expect(page.getByTestId("status-version")).toHaveText(VERSION);
  await expect(page.getByTestId("status-state")).toHaveText("online");
  await expect(page.getByTestId("status-database")).toContainText("reachable");
  await expect(page.getByTestId("status-database")).toContainText("(embedded)");

  // "Live": the uptime moves on without a reload, because the page polls the Core over tRPC.
  const first = await page.getByTestId("status-uptime").textContent();
  await expect(page.getByTestId("status-uptime")).not.toHaveText(first ?? "", { timeout: 15_000 });
});

test("the navigation leads back to the overview from an unknown page", async ({ page }) => {
  await page.goto("/no-such-panel");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Overview" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("status-state")).toHaveText("online");
});

test("the status comes over tRPC and the API answers JSON beside the Studio", async ({ page, request }) => {
  const trpcCall = page.waitForResponse((r) => r.url().includes("/api/trpc/system.overview"));
  await page.goto("/");
  expect((await trpcCall).status()).toBe(200);

  const notFound = await request.post("/api/v1/nope", { data: "{" });
  expect(notFound.status()).toBe(404);
  expect(notFound.headers()["content-type"]).toContain("application/json");
  expect(await notFound.json()).toEqual({ error: "no route for POST /api/v1/nope" });
});
