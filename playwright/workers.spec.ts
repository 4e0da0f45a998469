import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { create as createTar } from "tar";
import { ADMIN, signIn } from "./fixtures.ts";
import { collectConsoleErrors, expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

/**
 * The workers and logs panels against the real Core and real Bun workers: an admin deploys an archive from the
 * panel, sees it run, watches its logs arrive live (filter, search, pause, jump to latest), stops and starts it,
 * deploys again and rolls back. The app id is this spec's own (the browser specs share one Core).
 */
const APP = "e2e_workers_app";
const FIXTURE = path.resolve("playwright/fixtures/workers-app");
const MANIFEST = { appId: APP, name: "Workers e2e", version: "1.0.0", dataContract: [{ entityName: "note", fields: [{ name: "title", type: "text" }] }] };

test.describe.configure({ mode: "serial" });

let workDir: string;
const archives = { one: "", two: "", notArchive: "", corrupt: "" };

async function adminAuth(request: APIRequestContext): Promise<{ authorization: string }> {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  return { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
}

/** A .tar.gz of the fixture backend stamped with `version`, with the first `migrations` of its migration files. */
async function buildArchive(version: string, migrations: string[]): Promise<string> {
  const dir = path.join(workDir, `src-${version}`);
  await cp(path.join(FIXTURE, "index.ts"), path.join(dir, "index.ts"));
  for (const m of migrations) await cp(path.join(FIXTURE, "migrations", m), path.join(dir, "migrations", m));
  await writeFile(path.join(dir, "version.txt"), `${version}\n`);
  const file = path.join(workDir, `backend-${version}.tar.gz`);
  await createTar({ gzip: true, cwd: dir, file, portable: true }, ["index.ts", "version.txt", "migrations"]);
  return file;
}

/** Calls one of the app's RPCs through REST, as any client of the app would (the browser is not involved). */
async function rpc(request: APIRequestContext, method: string, params: Record<string, unknown> = {}): Promise<unknown> {
  const res = await request.post(`/api/v1/apps/${APP}/rpc`, { headers: await adminAuth(request), data: { method, params } });
  expect(res.status(), await res.text()).toBe(200);
  return res.json();
}

test.beforeAll(async ({ request }) => {
  // Run alone (`--no-deps`), the Core is still empty: its first user becomes the administrator, as first-run makes it.
  const mode = (await (await request.get("/api/trpc/auth.mode")).json()) as { result?: { data?: { setupRequired?: boolean } } };
  if (mode.result?.data?.setupRequired) {
    expect((await request.post("/api/v1/auth/register", { data: { email: ADMIN.email, password: ADMIN.password, displayName: ADMIN.displayName } })).status()).toBe(201);
  }
  workDir = await mkdtemp(path.join(tmpdir(), "e2e-workers-"));
  archives.one = await buildArchive("one", ["001_notes.sql"]);
  archives.two = await buildArchive("two", ["001_notes.sql", "002_more.sql"]);
  archives.notArchive = path.join(workDir, "notes.txt");
  await writeFile(archives.notArchive, "not an archive");
  archives.corrupt = path.join(workDir, "corrupt.tar.gz");
  await writeFile(archives.corrupt, "this is not gzip at all");
  // A fresh app each run: an earlier run's deploys and migrations would change what the panel says.
  const auth = await adminAuth(request);
  await request.delete(`/api/v1/apps/${APP}`, { headers: auth });
  const installed = await request.post("/api/v1/apps", { data: MANIFEST, headers: auth });
  expect(installed.status(), await installed.text()).toBe(200);
});

test.afterAll(async ({ playwright }, info) => {
  const request = await playwright.request.newContext({ baseURL: info.project.use.baseURL });
  await request.delete(`/api/v1/apps/${APP}`, { headers: await adminAuth(request) });
  await request.dispose();
  await rm(workDir, { recursive: true, force: true });
});

const section = (page: Page) => page.getByTestId(`workers-${APP}`);
const deployDialog = (page: Page) => page.getByRole("dialog", { name: `Deploy ${APP}` });
const systemWorker = (page: Page) => section(page).locator('[data-testid="worker-row"][data-identity="system"]');
const logBox = (page: Page) => page.getByTestId("log-lines");
/** The line ending with `text` (lines from a user's worker start with "[user:…]"). */
const logLine = (page: Page, text: string) => logBox(page).getByTestId("log-line").filter({ hasText: new RegExp(`${text}$`) });

async function deployFromPanel(page: Page, file: string): Promise<void> {
  const dialog = deployDialog(page);
  await dialog.getByLabel("Archive (.tar.gz)").setInputFiles(file);
  await dialog.getByRole("button", { name: "Deploy", exact: true }).click();
}

test("an admin deploys an archive from the workers panel: refusals next to the field, progress to 100 %, migrations in a toast, the worker running", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, ADMIN.email, ADMIN.password);
  const console = collectConsoleErrors(page);
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Workers" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Workers" })).toBeVisible();
  await expect(section(page).getByTestId("app-state")).toHaveText("no worker");
  await expect(section(page)).toContainText("Deploy an archive to run this app's backend");

  await section(page).getByRole("button", { name: "Deploy…" }).click();
  const dialog = deployDialog(page);
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("table", { name: `Deploys of ${APP}` })).toContainText("No deploy yet.");
  await expect(dialog.getByRole("button", { name: "Roll back" })).toBeDisabled();

  // Refused in the page: not an archive by its name, and nothing uploaded.
  await deployFromPanel(page, archives.notArchive);
  await expect(dialog.getByTestId("field-error")).toHaveText("notes.txt is not a .tar.gz archive.");
  // Refused by the Core: its sentence, readable, next to the field.
  await deployFromPanel(page, archives.corrupt);
  await expect(dialog.getByTestId("field-error")).toHaveText(/^[A-Z].*\.$/);
  const refusal = await dialog.getByTestId("field-error").innerText();
  expect(refusal).not.toMatch(/^\[|\{|"error"/);
  expect(refusal).toMatch(/archive|gzip|tar/i);

  await deployFromPanel(page, archives.one);
  await expect(dialog.getByTestId("field-error")).toHaveCount(0);
  await expect(dialog.getByTestId("deploy-progress")).toHaveAttribute("value", "100");
  await expect(dialog.getByTestId("deploy-progress-label")).toHaveText(/^Uploaded backend-one\.tar\.gz \([\d.]+ (B|KiB)\) and deployed\.$/, { timeout: 60_000 });
  await expect(page.getByTestId("toast-success").filter({ hasText: `Deployed ${APP}.` })).toContainText(`Deployed ${APP}. Migrations applied: 001_notes.sql.`);
  const rows = dialog.getByTestId("deploy-row");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-current", "true");
  await expect(rows.first()).toContainText(ADMIN.email);
  await expect(rows.first()).toContainText("001_notes.sql");
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);

  // The panel refreshes by itself: the lifecycle worker shows up running with its pid, memory and uptime.
  await expect(systemWorker(page)).toContainText("running", { timeout: 20_000 });
  await expect(section(page).getByTestId("app-state")).toHaveText("running");
  const cells = await systemWorker(page).getByRole("cell").allInnerTexts();
  const [, , , memory, , , pid] = cells;
  expect(pid).toMatch(/^\d+$/);
  expect(memory).toMatch(/^[\d.]+ (KiB|MiB)$/);
  // Only the deploy's refusal (a 4xx the page shows as a sentence) may have reached the console.
  expect(console.errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
});

test("the logs panel streams live: lines arrive without reloading, level filter, search, pause and resume, jump to latest", async ({ page, request }) => {
  test.setTimeout(120_000);
  await signIn(page, ADMIN.email, ADMIN.password);
  const console = collectConsoleErrors(page);
  await page.goto("/workers");
  await section(page).getByRole("link", { name: "Logs" }).click();
  await expect(page).toHaveURL(new RegExp(`/workers/${APP}/logs$`));
  await expect(page.getByTestId("stream-status")).toHaveAttribute("data-status", "live");
  await expect(logBox(page)).toContainText("onStart ran (version one)");

  // Lines written now reach the open page.
  expect(await rpc(request, "logMany", { n: 30, level: "warn", prefix: "warned" })).toBe(30);
  await expect(logBox(page)).toContainText("warned 29");
  await expect(logBox(page).locator('[data-level="warn"]')).toHaveCount(30);
  await rpc(request, "everyLevel");
  for (const level of ["info", "warn", "error", "debug", "stdout", "stderr", "event"]) {
    await expect(logBox(page).locator(`[data-level="${level}"]`).filter({ hasText: level === "event" ? "level-sample" : `level sample ${level}` })).toHaveCount(1);
  }

  // Level filter: warn lines go and come back; other levels stay.
  const warn = page.getByRole("checkbox", { name: "warn", exact: true });
  await warn.uncheck();
  await expect(logBox(page).locator('[data-level="warn"]')).toHaveCount(0);
  await expect(logBox(page)).toContainText("onStart ran (version one)");
  await warn.check();
  await expect(logBox(page).locator('[data-level="warn"]')).toHaveCount(31);

  // Search: case-insensitive text in the message.
  await page.getByLabel("Search").fill("WARNED 7");
  await expect(logBox(page).getByTestId("log-line")).toHaveCount(1);
  await expect(logBox(page).getByTestId("log-line")).toHaveText(/warned 7$/);
  await page.getByLabel("Search").fill("");

  // Pause: new lines are counted, not shown; resume shows them.
  await page.getByRole("button", { name: "Pause" }).click();
  await rpc(request, "logMany", { n: 3, prefix: "held back" });
  await expect(page.getByTestId("held-count")).toHaveText(/^Paused · \d+ new lines$/);
  await expect.poll(async () => Number((await page.getByTestId("held-count").innerText()).match(/\d+/)?.[0])).toBeGreaterThanOrEqual(3);
  await expect(logBox(page)).not.toContainText("held back");
  await page.getByRole("button", { name: "Resume" }).click();
  await expect(page.getByTestId("held-count")).toHaveCount(0);
  await expect(logBox(page)).toContainText("held back 2");

  // Scrolled up, the view stays put and offers "Jump to latest"; at the bottom it follows new lines.
  await rpc(request, "logMany", { n: 200, prefix: "filler" });
  await expect(logLine(page, "filler 199")).toBeInViewport();
  await logBox(page).hover();
  await page.mouse.wheel(0, -3000);
  const jump = page.getByRole("button", { name: "Jump to latest" });
  await expect(jump).toBeVisible();
  await rpc(request, "logMany", { n: 5, prefix: "while scrolled up" });
  await expect(logLine(page, "while scrolled up 4")).toBeAttached();
  await expect(logLine(page, "while scrolled up 4")).not.toBeInViewport();
  await jump.click();
  await expect(logLine(page, "while scrolled up 4")).toBeInViewport();
  await expect(jump).toHaveCount(0);
  await rpc(request, "logMany", { n: 5, prefix: "following again" });
  await expect(logLine(page, "following again 4")).toBeInViewport();
  expect(console.errors).toEqual([]);
});

test("stop (after a confirmation), start and restart the app's workers from the panel", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/workers");
  await expect(systemWorker(page)).toContainText("running");
  await section(page).getByRole("button", { name: "Stop", exact: true }).click();
  const confirm = page.getByRole("dialog", { name: `Stop the workers of ${APP}?` });
  await expect(confirm).toBeVisible();
  // Cancelling stops nothing.
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(confirm).toHaveCount(0);
  await expect(section(page).getByTestId("app-state")).toHaveText("running");

  await section(page).getByRole("button", { name: "Stop", exact: true }).click();
  await confirm.getByRole("button", { name: "Stop workers" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: "stopped" })).toContainText(`Workers of ${APP} stopped.`);
  await expect(section(page).getByTestId("app-state")).toHaveText("stopped");
  await expect(systemWorker(page)).toContainText("stopped");
  await expect(section(page).getByRole("button", { name: "Stop", exact: true })).toBeDisabled();

  await section(page).getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: "started" })).toContainText(`Workers of ${APP} started.`);
  await expect(systemWorker(page)).toContainText("running", { timeout: 20_000 });
  await expect(section(page).getByRole("button", { name: "Start", exact: true })).toBeDisabled();

  // Restart: a new lifecycle process (another pid) replaces the old one.
  const pidCell = systemWorker(page).getByRole("cell").last();
  await expect(pidCell).toHaveText(/^\d+$/);
  const before = await pidCell.innerText();
  await section(page).getByRole("button", { name: "Restart", exact: true }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: "restarted" })).toContainText(`Workers of ${APP} restarted.`);
  await expect(pidCell).not.toHaveText(before);
  await expect(pidCell).toHaveText(/^\d+$/);
  await expect(systemWorker(page)).toContainText("running");
});

test("a second deploy, then a rollback (confirmed) returns to the first: history, logs and the RPC agree", async ({ page, request }) => {
  test.setTimeout(120_000);
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/workers");
  await section(page).getByRole("button", { name: "Deploy…" }).click();
  await deployFromPanel(page, archives.two);
  await expect(page.getByTestId("toast-success").filter({ hasText: `Deployed ${APP}.` })).toContainText("Migrations applied: 002_more.sql.", { timeout: 60_000 });
  const dialog = deployDialog(page);
  const rows = dialog.getByTestId("deploy-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toHaveAttribute("data-current", "true");
  expect(await rpc(request, "version")).toBe("two");

  await expect(dialog.getByRole("button", { name: "Roll back" })).toBeEnabled();
  await dialog.getByRole("button", { name: "Roll back" }).click();
  const confirm = page.getByRole("dialog", { name: `Roll ${APP} back?` });
  await expect(confirm).toContainText("Migrations already applied stay applied.");
  await confirm.getByRole("button", { name: "Roll back" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: "Rolled" })).toContainText(`Rolled ${APP} back to the deploy of`);
  await expect(rows.nth(1)).toHaveAttribute("data-current", "true");
  await expect(rows.nth(0)).toHaveAttribute("data-current", "false");
  // Nothing earlier than the first deploy: a second rollback is offered no more.
  await expect(dialog.getByRole("button", { name: "Roll back" })).toBeDisabled();
  expect(await rpc(request, "version")).toBe("one");
  await page.keyboard.press("Escape");

  await section(page).getByRole("link", { name: "Logs" }).click();
  // The replayed lines tell the story: version two started, then version one again after the rollback.
  await expect(logBox(page)).toContainText("onStart ran (version two)");
  await expect(logBox(page).getByText(/^onStart ran/).last()).toHaveText("onStart ran (version one)");
});

test("a user holding only the app's logs key reads its live logs from the app's page, and is offered nothing else of its backend", async ({ page, request }) => {
  const auth = await adminAuth(request);
  const reader = { email: "e2e-workers-logs@studio.test", password: "Workers-Logs-2026" };
  const role = "e2e_workers_logs_reader";
  const roles = (await (await request.get("/api/v1/roles", { headers: auth })).json()) as { name: string }[];
  if (!roles.some((r) => r.name === role)) {
    const created = await request.post("/api/v1/roles", { headers: auth, data: { name: role, permissions: [`app:${APP}:logs.read`] } });
    expect(created.ok(), await created.text()).toBe(true);
  }
  expect([201, 409]).toContain((await request.post("/api/v1/auth/register", { data: reader })).status());
  const users = (await (await request.get("/api/v1/users", { headers: auth })).json()) as { id: string; email: string }[];
  const userId = users.find((u) => u.email === reader.email)!.id;
  expect((await request.post("/api/v1/roles/assign", { headers: auth, data: { userId, role } })).ok()).toBe(true);

  await signIn(page, reader.email, reader.password);
  await expect(page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Workers" })).toHaveCount(0);
  await page.goto(`/applications/${APP}`);
  const main = page.getByRole("main");
  await expect(main.getByRole("link", { name: "Logs" })).toBeVisible();
  await expect(main.getByRole("link", { name: "Workers", exact: true })).toHaveCount(0);
  await main.getByRole("link", { name: "Logs" }).click();
  await expect(page.getByTestId("stream-status")).toHaveAttribute("data-status", "live");
  await expect(page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Workers", exact: true })).toHaveCount(0);
  await rpc(request, "logMany", { n: 2, prefix: "for the reader" });
  await expect(logLine(page, "for the reader 1")).toBeVisible();

  // Another app's logs are refused with the Core's sentence, and the page does not keep retrying.
  await page.goto("/workers/sweep_app_absent/logs");
  await expect(page.getByTestId("stream-status")).toHaveAttribute("data-status", "failed");
  await expect(page.getByRole("main").getByRole("alert")).toHaveText(/^Permission required: app:sweep_app_absent:logs\.read/);
});

test("the workers and logs panels pass axe in light and dark, fit 1024 px, and are linked from the app's page", async ({ page, request }) => {
  test.setTimeout(120_000);
  await signIn(page, ADMIN.email, ADMIN.password);
  const console = collectConsoleErrors(page);
  await page.goto(`/applications/${APP}`);
  await page.getByRole("main").getByRole("link", { name: "Logs" }).click();
  await expect(page).toHaveURL(new RegExp(`/workers/${APP}/logs$`));
  await expect(page.getByTestId("stream-status")).toHaveAttribute("data-status", "live");
  await rpc(request, "everyLevel");
  await expect(logBox(page).locator('[data-level="stderr"]').last()).toBeVisible();
  // The lines of every level, each with its colour chip, in both themes.
  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    await expectNoSeriousA11yViolations(page);
  }
  await saveScreenshots(page, "workers-logs");
  await page.setViewportSize({ width: 1024, height: 768 });
  await expectNoHorizontalOverflow(page);

  await page.setViewportSize({ width: 1366, height: 900 });
  await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Workers", exact: true }).click();
  await expect(systemWorker(page)).toContainText("running");
  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    await expectNoSeriousA11yViolations(page);
  }
  await section(page).getByRole("button", { name: "Deploy…" }).click();
  await expect(deployDialog(page).getByTestId("deploy-row")).toHaveCount(2);
  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    await expectNoSeriousA11yViolations(page);
  }
  await page.keyboard.press("Escape");
  await saveScreenshots(page, "workers-panel");
  await page.setViewportSize({ width: 1024, height: 768 });
  await expectNoHorizontalOverflow(page);
  expect(console.errors).toEqual([]);
});
