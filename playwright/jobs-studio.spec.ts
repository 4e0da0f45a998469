import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { create as createTar } from "tar";
import { ADMIN, signIn } from "./fixtures.ts";
import { collectConsoleErrors, expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

/**
 * The jobs console, the schedules and the webhooks panels against the real Core and a real Bun worker
 * (tests/fixtures/apps/studio-jobs): a schedule made in the Studio fires and its runs appear; a job that fails on
 * every attempt goes dead and a replay from the dead letters ends done; a webhook's URL is rotated, copied and called.
 */
const APP = "studio_jobs";
const FIXTURE = path.resolve("tests/fixtures/apps/studio-jobs");

test.describe.configure({ mode: "serial" });

async function adminAuth(request: APIRequestContext): Promise<{ authorization: string }> {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  return { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
}

test.beforeAll(async ({ request }) => {
  test.setTimeout(120_000);
  // Run alone (`--no-deps`), the Core is still empty: its first user becomes the administrator, as first-run makes it.
  const mode = (await (await request.get("/api/trpc/auth.mode")).json()) as { result?: { data?: { setupRequired?: boolean } } };
  if (mode.result?.data?.setupRequired) {
    expect((await request.post("/api/v1/auth/register", { data: { email: ADMIN.email, password: ADMIN.password, displayName: ADMIN.displayName } })).status()).toBe(201);
  }
  const auth = await adminAuth(request);
  // A fresh app each run: an earlier run's jobs, schedules and calls would change what the panels count.
  await request.delete(`/api/v1/apps/${APP}`, { headers: auth });
  const manifest = JSON.parse(await readFile(path.join(FIXTURE, "manifest.json"), "utf8")) as unknown;
  const installed = await request.post("/api/v1/apps", { data: manifest, headers: auth });
  expect(installed.status(), await installed.text()).toBe(200);
  const dir = await mkdtemp(path.join(tmpdir(), "e2e-studio-jobs-"));
  try {
    await cp(path.join(FIXTURE, "index.ts"), path.join(dir, "index.ts"));
    const file = path.join(dir, "backend.tar.gz");
    await createTar({ gzip: true, cwd: dir, file, portable: true }, ["index.ts"]);
    const deployed = await request.post(`/api/v1/apps/${APP}/deploy`, {
      headers: auth,
      multipart: { archive: { name: "backend.tar.gz", mimeType: "application/gzip", buffer: await readFile(file) } },
    });
    expect(deployed.status(), await deployed.text()).toBe(200);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.afterAll(async ({ playwright }, info) => {
  const request = await playwright.request.newContext({ baseURL: info.project.use.baseURL });
  await request.delete(`/api/v1/apps/${APP}`, { headers: await adminAuth(request) });
  await request.dispose();
});

const nav = (page: Page) => page.getByRole("navigation", { name: "Studio" });

test("a schedule made in the Studio: the Core's refusal of a bad expression inline, five fire times in its zone, a payload checked in the page, then its runs appear and link to their jobs", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, ADMIN.email, ADMIN.password);
  const console = collectConsoleErrors(page);
  await nav(page).getByRole("link", { name: "Schedules" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Schedules" })).toBeVisible();

  await page.getByRole("button", { name: "New schedule" }).click();
  const form = page.getByRole("form", { name: "New schedule" });
  await form.getByLabel("App").selectOption(APP);
  await form.getByLabel("Name").fill("e2e_tick");
  // A minute of 61 does not exist: the Core's preview answers 400 and its sentence shows under the field.
  await form.getByLabel("Schedule").fill("61 * * * *");
  const scheduleError = form.getByTestId("field-error");
  await expect(scheduleError).toHaveText(/^[A-Z].*\.$/);
  expect(await scheduleError.innerText()).not.toMatch(/^\[|\{|"error"/);
  await expect(form.getByTestId("next-fires")).toHaveCount(0);

  // A weekday expression in New York: five instants, each read in that zone (EST or EDT).
  await form.getByLabel("Time zone").selectOption("America/New_York");
  await form.getByLabel("Schedule").fill("30 9 * * MON-FRI");
  await expect(form.getByTestId("field-error")).toHaveCount(0);
  const fires = form.getByTestId("next-fires").getByRole("listitem");
  await expect(fires).toHaveCount(5);
  await expect(fires.first()).toContainText(/9:30:00\s?AM E[SD]T/);
  await expectNoSeriousA11yViolations(page);

  await form.getByLabel("Schedule").fill("2 seconds");
  await expect(form.getByTestId("next-fires").getByRole("listitem")).toHaveCount(5);
  await form.getByLabel("Payload (JSON)").fill('{"kind": "tick"');
  await form.getByRole("button", { name: "Create schedule" }).click();
  await expect(form.getByTestId("field-error")).toHaveText(/^Payload is not valid JSON/);
  await form.getByLabel("Payload (JSON)").fill("[1, 2]");
  await form.getByRole("button", { name: "Create schedule" }).click();
  await expect(form.getByTestId("field-error")).toHaveText("Payload must be a JSON object, like {\"report\": \"daily\"}.");
  await form.getByLabel("Payload (JSON)").fill('{"kind": "tick"}');
  await form.getByRole("button", { name: "Create schedule" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: "Schedule e2e_tick created." })).toBeVisible();

  // The new schedule's runs open at once; a 2-second schedule shows finished runs within seconds.
  const runs = page.getByRole("dialog", { name: "Runs of e2e_tick" });
  await expect(runs).toBeVisible();
  await expect(runs.getByTestId("run-row").filter({ has: page.getByTestId("run-status").filter({ hasText: "succeeded" }) }).first()).toBeVisible({ timeout: 30_000 });
  expect(await runs.getByTestId("run-row").count()).toBeGreaterThanOrEqual(1);
  await expectNoSeriousA11yViolations(page);
  const jobLink = runs.getByTestId("run-row").first().getByRole("link");
  const jobId = (await jobLink.innerText()).replace("#", "");
  await jobLink.click();
  await expect(page).toHaveURL(new RegExp(`/jobs/${APP}\\?job=${jobId}$`));
  const detail = page.getByRole("dialog", { name: `Job #${jobId}` });
  await expect(detail.getByTestId("job-payload")).toContainText('"kind": "tick"');
  await expect(detail.getByTestId("job-detail-state")).toHaveText(/running|done/);
  await page.keyboard.press("Escape");

  // Back in the list: run it now (a manual run in its history), edit it, disable it, then delete it (confirmed).
  await nav(page).getByRole("link", { name: "Schedules" }).click();
  const row = page.getByTestId(`cron-row-${APP}-e2e_tick`);
  await row.getByRole("button", { name: "Run e2e_tick now" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: /Schedule e2e_tick triggered: job #\d+ enqueued\./ })).toBeVisible();
  await row.getByRole("button", { name: "Runs of e2e_tick" }).click();
  await expect(page.getByRole("dialog", { name: "Runs of e2e_tick" }).getByTestId("run-row").filter({ hasText: "Run now" }).first()).toBeVisible({ timeout: 15_000 });
  await page.keyboard.press("Escape");
  await row.getByRole("button", { name: "Edit e2e_tick" }).click();
  const edit = page.getByRole("form", { name: "Edit schedule e2e_tick" });
  await expect(edit.getByLabel("Payload (JSON)")).toHaveValue(/"kind": "tick"/);
  await edit.getByLabel("Schedule").fill("3 seconds");
  await expect(edit.getByTestId("next-fires").getByRole("listitem")).toHaveCount(5);
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: "Schedule e2e_tick saved." })).toBeVisible();
  await expect(row).toContainText("3 seconds");
  await row.getByRole("button", { name: "Disable e2e_tick" }).click();
  await expect(row.getByTestId("cron-state")).toHaveText("disabled");
  await page.setViewportSize({ width: 1024, height: 768 });
  await expectNoHorizontalOverflow(page);
  await saveScreenshots(page, "schedules");
  await row.getByRole("button", { name: "Delete e2e_tick" }).click();
  const confirm = page.getByRole("dialog", { name: "Delete schedule e2e_tick?" });
  await confirm.getByRole("button", { name: "Delete schedule" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: "Schedule e2e_tick deleted." })).toBeVisible();
  await expect(row).toHaveCount(0);
  // The browser logs the preview's 400 for the refused expression (the answer the field shows); nothing else.
  expect(console.errors.filter((e) => !/status of 400 \(Bad Request\)/.test(e))).toEqual([]);
});

test("a job that fails on every attempt goes dead, shows its errors, and a replay from the dead letters ends done", async ({ page, request }) => {
  test.setTimeout(120_000);
  const auth = await adminAuth(request);
  // It fails until this instant; two attempts a second apart end well before it.
  const failUntil = new Date(Date.now() + 15_000).toISOString();
  const enqueued = await request.post(`/api/v1/apps/${APP}/jobs`, { headers: auth, data: { payload: { kind: "flaky", failUntil }, max_attempts: 2 } });
  expect(enqueued.status(), await enqueued.text()).toBe(201);
  const msgId = String(((await enqueued.json()) as { msg_id: string | number }).msg_id);

  await signIn(page, ADMIN.email, ADMIN.password);
  const console = collectConsoleErrors(page);
  await nav(page).getByRole("link", { name: "Jobs" }).click();
  await page.getByTestId(`jobs-app-${APP}`).getByRole("link", { name: APP }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Jobs of ${APP}` })).toBeVisible();

  const dead = page.getByTestId("dead-letters");
  const deadRow = dead.getByTestId(`job-row-${msgId}`);
  await expect(deadRow).toBeVisible({ timeout: 30_000 });
  await expect(deadRow.getByTestId("job-attempts")).toHaveText("2 / 2");
  await expect(page.getByTestId("job-count-dead")).toHaveText("1");
  await expect(page.getByTestId("chart-total-dead")).toContainText("1");

  await deadRow.getByRole("button", { name: `Details of job ${msgId}` }).click();
  const detail = page.getByRole("dialog", { name: `Job #${msgId}` });
  await expect(detail.getByTestId("job-detail-state")).toHaveText("dead");
  await expect(detail.getByTestId("job-errors").getByRole("listitem")).toHaveCount(2);
  await expect(detail.getByTestId("job-errors")).toContainText(`flaky job refused until ${failUntil}`);
  await expectNoSeriousA11yViolations(page);
  await page.keyboard.press("Escape");

  // The state filter: only dead jobs listed, and the URL says so.
  await page.getByRole("combobox", { name: "Jobs in state" }).selectOption("dead");
  await expect(page).toHaveURL(/state=dead/);
  await expect(page.getByRole("table", { name: `Jobs of ${APP} in state dead`, exact: true }).getByTestId(`job-row-${msgId}`)).toBeVisible();

  // Once its cause is gone, replay it (confirmed) and watch it end done.
  await expect.poll(() => Date.now(), { timeout: 30_000 }).toBeGreaterThan(Date.parse(failUntil));
  await dead.getByRole("button", { name: "Replay dead jobs" }).click();
  const confirm = page.getByRole("dialog", { name: `Replay the dead jobs of ${APP}?` });
  await expect(confirm).toContainText("The dead job will be queued again");
  await confirm.getByRole("button", { name: "Replay" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: "1 dead job queued again." })).toBeVisible();
  await expect(page.getByTestId("job-count-dead")).toHaveText("0", { timeout: 20_000 });
  await expect(page.getByTestId("job-count-done")).not.toHaveText("0", { timeout: 20_000 });
  await page.getByRole("combobox", { name: "Jobs in state" }).selectOption("done");
  // A replay queues the same job again (same msg_id, a fresh set of attempts); its failed attempts stay in its history.
  await expect(page.getByRole("table", { name: `Jobs of ${APP} in state done`, exact: true }).getByTestId(`job-row-${msgId}`)).toHaveAttribute("data-state", "done");
  await expect(dead.getByText("No dead job.")).toBeVisible();

  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    await expectNoSeriousA11yViolations(page);
  }
  await page.setViewportSize({ width: 1024, height: 768 });
  await expectNoHorizontalOverflow(page);
  await saveScreenshots(page, "jobs-console");
  expect(console.errors).toEqual([]);
});

test("a webhook's URL is rotated, shown once, copied, and the copied URL reaches the app's method", async ({ page, context, request }) => {
  test.setTimeout(60_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signIn(page, ADMIN.email, ADMIN.password);
  const console = collectConsoleErrors(page);
  await nav(page).getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
  const row = page.getByTestId(`webhooks-${APP}`).getByTestId("webhook-row-inbound");
  await expect(row).toBeVisible();
  await expect(row.getByTestId("webhook-last-call")).toHaveCount(0);
  const prefixBefore = await row.getByTestId("webhook-url-prefix").innerText();

  await row.getByRole("button", { name: "Rotate inbound" }).click();
  await page.getByRole("dialog", { name: "Rotate the URL of inbound?" }).getByRole("button", { name: "Rotate URL" }).click();
  const shown = page.getByTestId("new-webhook-url");
  await expect(shown).toBeVisible();
  await shown.getByRole("button", { name: "Copy URL of inbound" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: "URL of inbound copied." })).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toMatch(/\/api\/v1\/hooks\/[A-Za-z0-9_-]{64}$/);
  await expect(shown.getByLabel("New URL of inbound")).toHaveValue(copied);
  // The list shows only the new token's prefix, never the token.
  const prefixAfter = await row.getByTestId("webhook-url-prefix").innerText();
  expect(prefixAfter).not.toBe(prefixBefore);
  expect(copied.startsWith(prefixAfter.replace(/…$|\.\.\.$/, ""))).toBe(true);
  expect(await page.getByTestId(`webhooks-${APP}`).innerText()).not.toContain(copied.split("/").pop());

  // The copied URL, from outside the browser, reaches the app's method; the call then shows as the last one.
  const called = await request.post(copied, { data: { hello: "studio" } });
  expect(called.status(), await called.text()).toBe(200);
  expect(JSON.stringify(await called.json())).toContain("studio");
  await shown.getByRole("button", { name: "I have stored it" }).click();
  await expect(shown).toHaveCount(0);
  await expect(row.getByTestId("webhook-last-call")).toContainText("200", { timeout: 15_000 });
  await row.getByRole("button", { name: "Calls of inbound" }).click();
  await expect(page.getByRole("dialog", { name: "Calls of inbound" }).getByTestId("call-row")).toHaveCount(1);
  await expectNoSeriousA11yViolations(page);
  await page.keyboard.press("Escape");
  await page.setViewportSize({ width: 1024, height: 768 });
  await expectNoHorizontalOverflow(page);
  await saveScreenshots(page, "webhooks");
  expect(console.errors).toEqual([]);
});

const READER = { email: "jobs-reader@studio.test", password: "Jobs-Reader-2026" };

test("a person holding only the app's read keys sees jobs, schedules and webhooks with every change disabled and says why, and meets no 403", async ({ page, request }) => {
  test.setTimeout(90_000);
  const auth = await adminAuth(request);
  const role = "studio_jobs_reader";
  const roles = (await (await request.get("/api/v1/roles", { headers: auth })).json()) as { name: string }[];
  if (!roles.some((r) => r.name === role)) {
    const made = await request.post("/api/v1/roles", { headers: auth, data: { name: role, permissions: [`app:${APP}:job.read`, `app:${APP}:cron.read`, `app:${APP}:webhook.read`] } });
    expect(made.ok(), await made.text()).toBe(true);
  }
  let users = (await (await request.get("/api/v1/users", { headers: auth })).json()) as { id: string; email: string }[];
  if (!users.some((u) => u.email === READER.email)) {
    expect((await request.post("/api/v1/auth/register", { data: READER })).status()).toBe(201);
    users = (await (await request.get("/api/v1/users", { headers: auth })).json()) as { id: string; email: string }[];
  }
  const userId = users.find((u) => u.email === READER.email)!.id;
  const assigned = await request.post("/api/v1/roles/assign", { headers: auth, data: { userId, role } });
  expect(assigned.ok(), await assigned.text()).toBe(true);
  // A job that fails once and dies: the reader sees it and the buttons that would change it, disabled.
  const enqueued = await request.post(`/api/v1/apps/${APP}/jobs`, { headers: auth, data: { payload: { kind: "flaky", failUntil: new Date(Date.now() + 60_000).toISOString() }, max_attempts: 1 } });
  expect(enqueued.status(), await enqueued.text()).toBe(201);
  const msgId = String(((await enqueued.json()) as { msg_id: string }).msg_id);

  const forbidden: string[] = [];
  page.on("response", async (r) => {
    if (r.status() === 403) return void forbidden.push(r.url());
    if (r.url().includes("/trpc/") && /"httpStatus":403\b/.test(await r.text().catch(() => ""))) forbidden.push(`${r.url()} [in batch]`);
  });
  await signIn(page, READER.email, READER.password);
  const needs = (key: string) => `Requires the permission app:${APP}:${key}.`;

  await nav(page).getByRole("link", { name: "Jobs" }).click();
  await page.getByTestId(`jobs-app-${APP}`).getByRole("link", { name: APP }).click();
  const dead = page.getByTestId("dead-letters");
  const row = dead.getByTestId(`job-row-${msgId}`);
  await expect(row).toBeVisible({ timeout: 20_000 });
  await expect(row.getByRole("button", { name: `Retry job ${msgId}` })).toBeDisabled();
  await expect(row.getByRole("button", { name: `Retry job ${msgId}` })).toHaveAttribute("title", needs("job.manage"));
  await expect(dead.getByRole("button", { name: "Replay dead jobs" })).toHaveAttribute("title", needs("job.manage"));
  await row.getByRole("button", { name: `Details of job ${msgId}` }).click();
  await expect(page.getByRole("dialog", { name: `Job #${msgId}` }).getByTestId("job-errors")).toContainText("flaky job refused");
  await page.keyboard.press("Escape");

  await nav(page).getByRole("link", { name: "Schedules" }).click();
  await expect(page.getByRole("button", { name: "New schedule" })).toBeDisabled();
  await expect(page.getByRole("combobox", { name: "App" })).toContainText(APP);

  await nav(page).getByRole("link", { name: "Webhooks" }).click();
  const hook = page.getByTestId(`webhooks-${APP}`).getByTestId("webhook-row-inbound");
  await expect(hook.getByRole("button", { name: "Rotate inbound" })).toHaveAttribute("title", needs("webhook.manage"));
  await expect(hook.getByRole("button", { name: /signature for inbound/ })).toBeDisabled();
  await hook.getByRole("button", { name: "Calls of inbound" }).click();
  await expect(page.getByRole("dialog", { name: "Calls of inbound" })).toBeVisible();
  await page.keyboard.press("Escape");
  await page.waitForLoadState("networkidle");
  expect(forbidden, "403 answers met by a reader").toEqual([]);
});
