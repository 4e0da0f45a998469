import { expect, test } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";

test("browse the Core's schema and run read-only SQL; a write is refused", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Database" }).click();
  await expect(page.getByRole("heading", { name: "Database" })).toBeVisible();

  const schemas = page.getByRole("navigation", { name: "Schemas" });
  await schemas.getByRole("button", { name: /^rootcx_system/ }).click();
  const tables = page.getByRole("region", { name: "Tables of rootcx_system" });
  const users = tables.getByTestId("table-users");
  await users.locator("summary").click();
  const columns = users.getByRole("table", { name: "Columns of users" });
  await expect(columns.getByRole("cell", { name: "email", exact: true })).toBeVisible();
  await expect(columns.getByRole("cell", { name: "password_hash", exact: true })).toBeVisible();

  const sqlConsole = page.getByRole("region", { name: "SQL console" });
  await sqlConsole.getByLabel("SQL").fill("SELECT 1 AS one");
  await sqlConsole.getByRole("button", { name: "Run" }).click();
  const result = sqlConsole.getByRole("table", { name: /Query result/ });
  await expect(result.getByRole("columnheader", { name: "one" })).toBeVisible();
  await expect(result.getByRole("cell", { name: "1", exact: true })).toBeVisible();
  await expect(sqlConsole.getByRole("status")).toHaveText("1 row");

  // A result past the byte limit keeps the rows before it and says why it stopped.
  await sqlConsole.getByLabel("SQL").fill("SELECT n, repeat('m', 100000) AS v FROM generate_series(1, 200) n");
  await sqlConsole.getByRole("button", { name: "Run" }).click();
  await expect(sqlConsole.getByRole("status")).toHaveText(/^\d+ rows \(stopped at the 8 MiB result limit/);

  // Refused before it runs (not a read), then by PostgreSQL itself (a write hidden in a read).
  await sqlConsole.getByLabel("SQL").fill("DELETE FROM rootcx_system.users");
  await sqlConsole.getByRole("button", { name: "Run" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText("the console is read-only: DELETE statements are refused");
  await expect(result).toHaveCount(0);

  await sqlConsole.getByLabel("SQL").fill("SELECT * FROM rootcx_system.users FOR UPDATE");
  await sqlConsole.getByRole("button", { name: "Run" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText("the console is read-only");

  // The admin still exists: the DELETE never ran.
  await sqlConsole.getByLabel("SQL").fill("SELECT email FROM users WHERE email = '" + ADMIN.email + "'");
  await sqlConsole.getByRole("button", { name: "Run" }).click();
  await expect(sqlConsole.getByRole("table", { name: /Query result/ }).getByRole("cell", { name: ADMIN.email })).toBeVisible();
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);
});
