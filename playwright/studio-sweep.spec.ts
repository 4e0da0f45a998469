import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { NAV_ITEMS } from "../src/app/nav-items.ts";
import { ADMIN, signIn } from "./fixtures.ts";
import { collectConsoleErrors, expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

/**
 * The sweeps of every Studio page reachable from the navigation (from `nav-items.ts`, so a new panel is
 * covered as soon as it is in the nav) plus an installed app's own page: axe in light and dark, no sideways
 * scroll at 1024 px, no console error, screenshots; and a reader's walk that uses every control they see.
 */
const APP_ID = "sweep_app";
const APP_PAGE = `/applications/${APP_ID}`;
const PAGES = [...NAV_ITEMS.map((i) => i.href), APP_PAGE];
const READER = { email: "sweep-reader@studio.test", password: "Sweep-Reader-2026" };

async function adminAuth(request: APIRequestContext): Promise<{ authorization: string }> {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  const { accessToken } = (await login.json()) as { accessToken: string };
  return { authorization: `Bearer ${accessToken}` };
}

/**
 * An app with a record, and a user whose only key is the read key of that app's one entity. Idempotent: a
 * failed test restarts the worker, which runs this again.
 */
test.beforeAll(async ({ request }) => {
  const headers = await adminAuth(request);
  const apps = (await (await request.get("/api/v1/apps", { headers })).json()) as { id: string }[];
  if (!apps.some((a) => a.id === APP_ID)) {
    const manifest = { appId: APP_ID, name: "Sweep", version: "1.0.0", dataContract: [{ entityName: "note", fields: [{ name: "title", type: "text" }, { name: "pages", type: "number" }] }] };
    const installed = await request.post("/api/v1/apps", { data: manifest, headers });
    expect(installed.status(), await installed.text()).toBe(200);
    expect((await request.post(`/api/v1/apps/${APP_ID}/collections/note`, { data: { title: "first", pages: 3 }, headers })).status()).toBe(201);
  }
  const roles = (await (await request.get("/api/v1/roles", { headers })).json()) as { name: string }[];
  if (!roles.some((r) => r.name === "sweep_reader")) {
    const role = await request.post("/api/v1/roles", { headers, data: { name: "sweep_reader", permissions: [`app:${APP_ID}:note.read`] } });
    expect(role.ok(), await role.text()).toBe(true);
  }
  let users = (await (await request.get("/api/v1/users", { headers })).json()) as { id: string; email: string }[];
  if (!users.some((u) => u.email === READER.email)) {
    expect((await request.post("/api/v1/auth/register", { data: READER })).status()).toBe(201);
    users = (await (await request.get("/api/v1/users", { headers })).json()) as { id: string; email: string }[];
    const userId = users.find((u) => u.email === READER.email)!.id;
    expect((await request.post("/api/v1/roles/assign", { headers, data: { userId, role: "sweep_reader" } })).ok()).toBe(true);
  }
});

/**
 * The page's requests have settled. The data browser holds its change stream open for good (docs/REALTIME.md), so
 * its network never goes quiet: there, settled is its stream's badge leaving "Connecting…".
 */
async function settled(page: Page): Promise<void> {
  const live = page.getByTestId("live-status");
  if ((await live.count()) > 0) await expect(live).toHaveText(/^(Live|Not live)$/, { timeout: 30_000 });
  else await page.waitForLoadState("networkidle");
}

/** The page's title is shown and its first requests have settled. */
async function open(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.getByRole("heading", { level: 1 }).first()).toBeVisible();
  await settled(page);
}

const shotName = (path: string) => `sweep-${path === "/" ? "overview" : path.slice(1).replaceAll("/", "-")}`;

// One test per page (one sign-in each: sign-ins are rate-limited per address).
for (const path of PAGES) {
  test(`${path}: no serious axe violation in light and dark, no sideways scroll at 1024 px, no console error, screenshots`, async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    const console = collectConsoleErrors(page);
    await page.setViewportSize({ width: 1366, height: 900 });
    await open(page, path);
    for (const theme of ["light", "dark"] as const) {
      await setTheme(page, theme);
      await expectNoSeriousA11yViolations(page);
    }
    await saveScreenshots(page, shotName(path));
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.waitForTimeout(100);
    await expectNoHorizontalOverflow(page);
    expect(console.errors).toEqual([]);
  });
}

/** Records every 403, including one inside a tRPC batch answered 207 or 200. */
function record403s(page: Page): { seen: string[]; context: string } {
  const out = { seen: [] as string[], context: "" };
  page.on("response", async (r) => {
    const where = `${r.request().method()} ${new URL(r.url()).pathname}${new URL(r.url()).search.slice(0, 120)} (${out.context})`;
    if (r.status() === 403) return void out.seen.push(where);
    if (!r.url().includes("/trpc/")) return;
    const body = await r.text().catch(() => "");
    if (/"httpStatus":403\b/.test(body)) out.seen.push(`${where} [in batch]`);
  });
  return out;
}

/** Closes whatever a click opened (slide-over, confirmation, menu) without confirming anything. */
async function dismiss(page: Page, path: string): Promise<void> {
  for (let i = 0; i < 3 && (await page.locator("dialog[open]").count()) > 0; i++) await page.keyboard.press("Escape");
  await page.keyboard.press("Escape");
  if (new URL(page.url()).pathname !== path) await open(page, path);
}

test("a reader (one entity's read key) uses every visible control of every page they can reach and meets no 403", async ({ page }) => {
  test.setTimeout(240_000);
  await signIn(page, READER.email, READER.password);
  const nav = page.getByRole("navigation", { name: "Studio" });
  // The nav offers exactly the entries needing no key; each is walked, plus the app they may read.
  const expected = NAV_ITEMS.filter((i) => !i.requires?.length);
  await expect(nav.getByRole("link")).toHaveText(expected.map((i) => i.label));
  const pages = [...expected.map((i) => i.href), APP_PAGE];
  const forbidden = record403s(page);
  const used: string[] = [];

  for (const path of pages) {
    forbidden.context = `loading ${path}`;
    await open(page, path);
    const main = page.getByRole("main");
    const buttons = main.getByRole("button");
    const count = Math.min(await buttons.count(), 60);
    for (let i = 0; i < count; i++) {
      const button = main.getByRole("button").nth(i);
      if (!(await button.isVisible().catch(() => false)) || !(await button.isEnabled().catch(() => false))) continue;
      const name = ((await button.getAttribute("aria-label")) ?? (await button.innerText()).trim()).slice(0, 60);
      forbidden.context = `${path}: clicking "${name}"`;
      used.push(forbidden.context);
      await button.click({ timeout: 5_000 }).catch(() => undefined);
      await page.waitForTimeout(250);
      await settled(page);
      await dismiss(page, path);
    }
    // Links inside the page lead to more pages: following each must not meet a 403 either.
    const hrefs = await main.locator("a[href^='/']").evaluateAll((as) => [...new Set(as.map((a) => a.getAttribute("href") ?? ""))]);
    for (const href of hrefs.slice(0, 20)) {
      forbidden.context = `${path}: following ${href}`;
      used.push(forbidden.context);
      await page.goto(href);
      await settled(page);
    }
  }
  // What was used, for a reviewer (and proof the walk did click things).
  test.info().annotations.push({ type: "controls used", description: used.join("\n") });
  console.log(`controls used:\n${used.join("\n")}`);
  expect(used.length).toBeGreaterThan(0);
  expect(forbidden.seen, "403 answers met by a reader using visible controls").toEqual([]);
});
