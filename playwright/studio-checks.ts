import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";

/**
 * Fails on any serious or critical axe violation of the current page, listing rule, impact and targets.
 * `include` limits the check to those CSS selectors (a panel's own part of a page others also build on).
 * Elements marked `data-third-party-ui` are not checked.
 */
export async function expectNoSeriousA11yViolations(page: Page, include: string[] = []): Promise<void> {
  const builder = new AxeBuilder({ page });
  for (const selector of include) builder.include(selector);
  // A third-party widget the Studio cannot change (the Scalar API reference) is marked and left out; its own
  // spec says what axe finds in it.
  builder.exclude("[data-third-party-ui]");
  const results = await builder.analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const summary = serious.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")}`);
  expect(summary, "axe: serious/critical violations").toEqual([]);
}

/** The page itself never scrolls sideways; wide content scrolls inside its own box. */
export async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth, `page is ${scrollWidth}px wide in a ${innerWidth}px viewport`).toBeLessThanOrEqual(innerWidth);
}

/** Switches the Studio's theme through its own toggle (stored, like a user's choice). */
export async function setTheme(page: Page, theme: "light" | "dark" | "system"): Promise<void> {
  await page.getByLabel("Theme").selectOption(theme);
  if (theme !== "system") await expect(page.locator("html")).toHaveClass(theme === "dark" ? /\bdark\b/ : /^(?!.*\bdark\b)/);
}

/**
 * Saves `playwright/screenshots/<name>-light.png` and `-dark.png` at 1366 px (git-ignored) for a reviewer,
 * leaving the page in light mode.
 */
export async function saveScreenshots(page: Page, name: string): Promise<void> {
  mkdirSync("playwright/screenshots", { recursive: true });
  await page.setViewportSize({ width: 1366, height: 900 });
  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    await page.screenshot({ path: `playwright/screenshots/${name}-${theme}.png`, fullPage: true });
  }
  await setTheme(page, "light");
}

/** Collects console errors (and uncaught page errors) from now on; read `.errors` at the end. */
export function collectConsoleErrors(page: Page): { errors: string[] } {
  const out = { errors: [] as string[] };
  page.on("console", (m) => {
    if (m.type() === "error") out.errors.push(m.text());
  });
  page.on("pageerror", (e) => out.errors.push(e.message));
  return out;
}
