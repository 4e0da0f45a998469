import { expect, type Page } from "@playwright/test";

/** The administrator the first-run test creates; the other specs sign in as it. */
export const ADMIN = { email: "admin@studio.test", password: "Studio-Admin-2026", displayName: "Studio Admin" };

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-as")).toBeVisible();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
}
