import { expect, test, type Locator, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { ADMIN, signIn } from "./fixtures.ts";
import { collectConsoleErrors, expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

// The SQL console: a CodeMirror editor, Ctrl+Enter, PostgreSQL's errors with their position marked, a history
// per user in the browser, CSV export, truncation said plainly, and a wide result that scrolls in its own box.

async function openConsole(page: Page): Promise<Locator> {
  await page.goto("/database");
  const sqlConsole = page.getByRole("region", { name: "SQL console" });
  await expect(sqlConsole.getByTestId("sql-editor").locator(".cm-content")).toBeVisible();
  return sqlConsole;
}

/** Replaces the editor's text and runs it with the keyboard, as a person would. */
async function runWithKeyboard(page: Page, sqlConsole: Locator, sql: string): Promise<void> {
  const editor = sqlConsole.getByLabel("SQL", { exact: true });
  await editor.click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(sql);
  await page.keyboard.press("Control+Enter");
}

test("the console: highlighted editor, Ctrl+Enter, error position, history, CSV, truncation, no overflow", async ({ page }) => {
  const console_ = collectConsoleErrors(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  const sqlConsole = await openConsole(page);
  const editor = sqlConsole.getByTestId("sql-editor");

  // A real editor: the keyword is highlighted (a token span inside CodeMirror's content), and Ctrl+Enter runs.
  await runWithKeyboard(page, sqlConsole, "SELECT 1 AS one");
  await expect(editor.locator(".cm-content span", { hasText: "SELECT" }).first()).toBeVisible();
  const result = sqlConsole.getByRole("table", { name: "Query result" });
  await expect(result.getByRole("columnheader", { name: "one" })).toBeVisible();
  await expect(sqlConsole.getByRole("status")).toHaveText("1 row");

  // With a schema chosen, its tables are offered as completions.
  await page.getByRole("navigation", { name: "Schemas" }).getByRole("button", { name: /^rootcx_system/ }).click();
  await sqlConsole.getByLabel("SQL", { exact: true }).click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.type("SELECT * FROM audit_l");
  await expect(page.locator(".cm-tooltip-autocomplete")).toContainText("audit_log");
  await page.keyboard.press("Escape");

  // PostgreSQL's own syntax error, with where: on the second line here, marked in the editor.
  await runWithKeyboard(page, sqlConsole, "SELECT 1\nFRM users");
  const alert = sqlConsole.getByRole("alert");
  await expect(alert).toContainText('syntax error at or near "users"');
  await expect(alert.getByTestId("error-position")).toHaveText("(line 2, column 5)");
  await expect(editor.locator(".cm-lintRange-error")).toHaveText("users");
  await expect(result).toHaveCount(0);

  await runWithKeyboard(page, sqlConsole, "selec");
  await expect(alert).toContainText('syntax error at or near "selec"');
  await expect(alert.getByTestId("error-position")).toHaveText("(line 1, column 1)");
  await expect(editor.locator(".cm-lintRange-error")).toHaveText("selec");

  // A write hidden in a read is refused in plain words; a hidden column is named.
  await runWithKeyboard(page, sqlConsole, "WITH x AS (DELETE FROM rootcx_system.audit_log RETURNING *) SELECT * FROM x");
  await expect(alert).toContainText("the console is read-only: data-modifying statements are refused");
  await expect(alert).not.toContainText("DECLARE");
  await runWithKeyboard(page, sqlConsole, "SELECT password_hash FROM rootcx_system.users");
  await expect(alert).toContainText("the console may not read column password_hash of rootcx_system.users");
  await expect(alert).toContainText("Hint: Readable columns of rootcx_system.users: id, email");

  // CSV of the result, quoted correctly, NULL as an empty field.
  await runWithKeyboard(page, sqlConsole, `SELECT n, 'a,"b"' AS quoted, NULL AS nothing FROM generate_series(1, 3) n`);
  await expect(sqlConsole.getByRole("status")).toHaveText("3 rows");
  const [download] = await Promise.all([page.waitForEvent("download"), sqlConsole.getByRole("button", { name: "Export CSV" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^query-.*\.csv$/);
  const csv = readFileSync((await download.path())!, "utf8");
  expect(csv).toBe('n,quoted,nothing\r\n1,"a,""b""",\r\n2,"a,""b""",\r\n3,"a,""b""",');
  await expect(page.getByTestId("toast-success")).toContainText("Exported 3 rows as CSV");

  // Truncation is said plainly.
  await runWithKeyboard(page, sqlConsole, "SELECT g FROM generate_series(1, 600) g");
  await expect(sqlConsole.getByRole("status")).toHaveText(/^500 rows \(first 500 only: more rows exist/);

  // History: newest first, click to restore; it survives a new page load (localStorage, per user).
  const restored = await openConsole(page);
  await restored.getByText(/^History \(\d+\)$/).click();
  const history = restored.getByRole("list", { name: "Query history" });
  await expect(history.getByRole("button").first()).toHaveText("SELECT g FROM generate_series(1, 600) g");
  // Refused statements are not kept: only what ran.
  await expect(history.getByRole("button", { name: "selec", exact: true })).toHaveCount(0);
  await history.getByRole("button", { name: "SELECT 1 AS one", exact: true }).click();
  await expect(restored.getByTestId("sql-editor").locator(".cm-content")).toHaveText("SELECT 1 AS one");
  await restored.getByRole("button", { name: "Run" }).click();
  await expect(restored.getByRole("status")).toHaveText("1 row");
  expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("rootcx.sql-history.")).length)).toBe(1);

  // A very wide result scrolls inside the table at 1024 px; the page does not.
  await page.setViewportSize({ width: 1024, height: 800 });
  await runWithKeyboard(page, restored, "SELECT repeat('x', 3000) AS wide, 2 AS after_it -- a comment, for the contrast check");
  await expect(restored.getByRole("table", { name: "Query result" }).getByRole("columnheader", { name: "after_it" })).toBeAttached();
  await expectNoHorizontalOverflow(page);

  await expectNoSeriousA11yViolations(page);
  await setTheme(page, "dark");
  await expectNoSeriousA11yViolations(page);
  await setTheme(page, "light");
  await saveScreenshots(page, "sql-console");
  // The four refused statements above answer 400, which Chromium logs as a failed resource: that is the answer
  // the person asked for, not a fault. Nothing else may be logged.
  expect(console_.errors.filter((e) => !/status of 400 \(Bad Request\)$/.test(e))).toEqual([]);
  expect(console_.errors).toHaveLength(4);
});
