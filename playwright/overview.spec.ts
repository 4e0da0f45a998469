import { expect, test } from "@playwright/test";
import { ADMIN, signIn, signOut } from "./fixtures.ts";

test("overview: the administrator sees where PostgreSQL listens and keeps its files; a plain user does not", async ({ page, request }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
  await expect(page.getByTestId("status-version")).not.toBeEmpty();
  await expect(page.getByTestId("status-postgres-port")).toHaveText(/^\d+$/);
  await expect(page.getByTestId("status-data-dir")).not.toBeEmpty();
  await signOut(page);

  const email = "overview-plain@studio.test";
  const password = "Overview-Plain-2026";
  expect([201, 409]).toContain((await request.post("/api/v1/auth/register", { data: { email, password } })).status());
  await signIn(page, email, password);
  await page.goto("/");
  await expect(page.getByTestId("status-version")).not.toBeEmpty();
  await expect(page.getByTestId("status-state")).toBeVisible();
  await page.waitForLoadState("networkidle");
  await expect(page.getByTestId("status-postgres-port")).toHaveCount(0);
  await expect(page.getByTestId("status-data-dir")).toHaveCount(0);
  await expect(page.getByText("Data directory")).toHaveCount(0);
});
