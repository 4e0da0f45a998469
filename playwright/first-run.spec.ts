import { expect, test } from "@playwright/test";
import { ADMIN, signIn, signOut } from "./fixtures.ts";

// Runs first, on the fresh Core the web server started (see playwright.config.ts projects).
test("first-run setup, sign-out, sign-in, a second user, and an administrator's password reset", async ({ page, context }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "Set up RootCX" })).toBeVisible();

  // A weak password is refused with the rule it breaks.
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Display name").fill(ADMIN.displayName);
  await page.getByLabel("Password", { exact: true }).fill("weakpassword");
  await page.getByLabel("Confirm password").fill("weakpassword");
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("password must contain an upper-case letter");

  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Confirm password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("signed-in-as")).toHaveText(ADMIN.displayName);
  await expect(page.getByTestId("status-state")).toHaveText("online");

  // The refresh token is in an HttpOnly cookie: no script can read it, and nothing sits in web storage.
  expect(await page.evaluate(() => document.cookie)).not.toContain("rootcx_refresh");
  expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
  const cookie = (await context.cookies()).find((c) => c.name === "rootcx_refresh");
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/api/trpc" });

  // A reload keeps the session (the cookie mints a new in-memory access token).
  await page.reload();
  await expect(page.getByTestId("signed-in-as")).toHaveText(ADMIN.displayName);

  await signOut(page);
  await page.goto("/users");
  await expect(page).toHaveURL(/\/login\?next=%2Fusers/);

  // A wrong password is refused; the right one lands on the page that was asked for.
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password", { exact: true }).fill("Wrong-Password-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Invalid credentials.");
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/users$/);

  // A second user, by registration from the auth panel.
  await page.getByRole("button", { name: "Add user" }).click();
  const addForm = page.getByRole("form", { name: "Add user" });
  await addForm.getByLabel("Email").fill("operator@studio.test");
  await addForm.getByLabel("Display name").fill("Operator");
  await addForm.getByLabel("Password").fill("Operator-Pass-1");
  await addForm.getByRole("button", { name: "Create user" }).click();
  const row = page.getByTestId("user-row-operator@studio.test");
  await expect(row).toContainText("base");
  await expect(row.getByTestId("user-status")).toHaveText("active");
  await expect(page.getByTestId(`user-row-${ADMIN.email}`)).toContainText("admin");

  // The administrator resets its password.
  await row.getByRole("button", { name: "Reset password" }).click();
  const resetForm = page.getByRole("form", { name: "New password for operator@studio.test" });
  await resetForm.getByLabel("New password for operator@studio.test").fill("Operator-Reset-2");
  await resetForm.getByRole("button", { name: "Save password" }).click();
  await expect(page.getByText("Password reset; the user's sessions have ended.")).toBeVisible();

  // The user signs in with the new password, not the old one.
  await signOut(page);
  await page.getByLabel("Email").fill("operator@studio.test");
  await page.getByLabel("Password", { exact: true }).fill("Operator-Pass-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Invalid credentials.");
  await signIn(page, "operator@studio.test", "Operator-Reset-2");
  await expect(page.getByTestId("signed-in-as")).toHaveText("Operator");

  // Not an administrator: the navigation has no Users entry, and the panel reached by its address says why.
  await expect(page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Apps" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Users" })).toHaveCount(0);
  await page.goto("/users");
  await expect(page.getByRole("main").getByRole("alert")).toHaveText("Managing users requires the admin role.");
});
