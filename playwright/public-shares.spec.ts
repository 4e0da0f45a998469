import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { create as createTar } from "tar";
import { ADMIN, signIn } from "./fixtures.ts";
import { collectConsoleErrors, expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

/**
 * An app's public shares from its Studio page, against the real Core: an administrator creates a share (the
 * JSON context checked in the page), opens the one-time link (the app's frontend, unindexed and uncached),
 * revokes it, and the link then answers 404. The app id is this spec's own (the browser specs share one Core).
 */
const APP = "e2e_shares_app";
const MANIFEST = { appId: APP, name: "Shares e2e", version: "1.0.0", dataContract: [{ entityName: "board", fields: [{ name: "title", type: "text" }] }] };
// What the app's index.html says, so the opened link can be told from any other page.
const MARKER = `shared board of ${APP}`;

test.describe.configure({ mode: "serial" });

async function adminAuth(request: APIRequestContext): Promise<{ authorization: string }> {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  return { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
}

test.beforeAll(async ({ request }) => {
  // Run alone (`--no-deps`), the Core is still empty: its first user becomes the administrator, as first-run makes it.
  const mode = (await (await request.get("/api/trpc/auth.mode")).json()) as { result?: { data?: { setupRequired?: boolean } } };
  if (mode.result?.data?.setupRequired) {
    expect((await request.post("/api/v1/auth/register", { data: { email: ADMIN.email, password: ADMIN.password, displayName: ADMIN.displayName } })).status()).toBe(201);
  }
  // A fresh app each run (its shares go with it), with a frontend for the share link to serve.
  const auth = await adminAuth(request);
  await request.delete(`/api/v1/apps/${APP}`, { headers: auth });
  const installed = await request.post("/api/v1/apps", { data: MANIFEST, headers: auth });
  expect(installed.status(), await installed.text()).toBe(200);
  const dir = await mkdtemp(path.join(tmpdir(), "e2e-shares-"));
  try {
    await writeFile(path.join(dir, "index.html"), `<!doctype html><html lang="en"><head><title>Shares e2e</title></head><body><h1>${MARKER}</h1></body></html>`);
    const file = path.join(dir, "fe.tar.gz");
    await createTar({ gzip: true, cwd: dir, file, portable: true }, ["index.html"]);
    const uploaded = await request.post(`/api/v1/apps/${APP}/frontend`, {
      headers: auth,
      multipart: { archive: { name: "fe.tar.gz", mimeType: "application/gzip", buffer: await readFile(file) } },
    });
    expect(uploaded.status(), await uploaded.text()).toBe(200);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const VIEWER_ROLE = "e2e_share_viewer";
const SHARER_ROLE = "e2e_share_sharer";

test.afterAll(async ({ playwright }, info) => {
  const request = await playwright.request.newContext({ baseURL: info.project.use.baseURL });
  const auth = await adminAuth(request);
  await request.delete(`/api/v1/apps/${APP}`, { headers: auth });
  for (const role of [VIEWER_ROLE, SHARER_ROLE]) await request.delete(`/api/v1/roles/${role}`, { headers: auth });
  await request.dispose();
});

const section = (page: Page) => page.getByTestId("public-shares");
const createPanel = (page: Page) => page.getByRole("dialog", { name: "Create public share" });

test("an administrator creates a share of an app, opens its link, revokes it, and the link then answers 404", async ({ page, context, request }) => {
  test.setTimeout(120_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signIn(page, ADMIN.email, ADMIN.password);
  const console = collectConsoleErrors(page);
  await page.goto(`/applications/${APP}`);
  await expect(section(page).getByRole("heading", { name: "Public shares" })).toBeVisible();
  await expect(section(page).getByRole("table", { name: `Public shares of ${APP}` })).toContainText("No active share");

  // The context is checked in the page: not JSON, then JSON but not an object, each with its sentence.
  await section(page).getByRole("button", { name: "Create share" }).click();
  const panel = createPanel(page);
  const contextField = panel.getByLabel("Context (JSON object)");
  await contextField.fill('{"board_id": ');
  await panel.getByRole("button", { name: "Create share" }).click();
  await expect(panel.getByTestId("field-error")).toHaveText(/^The context is not valid JSON: .+\.$/);
  await contextField.fill('["b1"]');
  await expect(panel.getByTestId("field-error")).toHaveCount(0);
  await panel.getByRole("button", { name: "Create share" }).click();
  await expect(panel.getByTestId("field-error")).toHaveText('The context must be a JSON object, e.g. {"board_id": "…"}.');
  // A lifetime outside 1–365 days never leaves the page either.
  await contextField.fill('{"board_id": "b1"}');
  await panel.getByLabel("Expires in (days)").fill("0");
  await panel.getByRole("button", { name: "Create share" }).click();
  await expect(panel.getByTestId("field-error")).toHaveText("Enter a whole number of days from 1 to 365, or leave it empty.");

  await panel.getByLabel("Expires in (days)").fill("7");
  await panel.getByRole("button", { name: "Create share" }).click();
  const shown = panel.getByTestId("share-link");
  await expect(shown.getByRole("alert")).toContainText("shown only once");
  await shown.getByRole("button", { name: "Copy link" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: "Share link copied." })).toBeVisible();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  await expect(shown.getByLabel("Share link")).toHaveValue(link);
  const url = new URL(link);
  expect(url.pathname).toMatch(/^\/share\/[^/]+$/);
  const token = url.pathname.slice("/share/".length);
  await shown.getByRole("button", { name: "Done" }).click();
  await expect(panel).toHaveCount(0);

  // Listed by prefix only, active, with its context and expiry; the token itself is not on the page.
  const rows = section(page).locator('[data-testid^="share-row-"]');
  await expect(rows).toHaveCount(1);
  const shareRow = rows.first();
  await expect(shareRow.getByTestId("share-state")).toHaveText("active");
  await expect(shareRow).toContainText('{"board_id":"b1"}');
  await expect(shareRow).toContainText(`by ${ADMIN.email}`);
  const prefix = (await shareRow.getAttribute("data-testid"))!.slice("share-row-".length);
  expect(token.startsWith(prefix)).toBe(true);
  expect(await page.content()).not.toContain(token);

  // The link, from outside the Studio: the app's index.html, never indexed nor cached.
  const opened = await request.get(url.pathname);
  expect(opened.status()).toBe(200);
  expect(await opened.text()).toContain(MARKER);
  expect(opened.headers()["x-robots-tag"]).toContain("noindex");
  expect(opened.headers()["cache-control"]).toContain("no-store");
  // And in a browser tab of its own.
  const tab = await context.newPage();
  await tab.goto(link);
  await expect(tab.getByRole("heading", { name: MARKER })).toBeVisible();
  await tab.close();

  await expectNoSeriousA11yViolations(page, ['[data-testid="public-shares"]']);
  await setTheme(page, "dark");
  await expectNoSeriousA11yViolations(page, ['[data-testid="public-shares"]']);
  await setTheme(page, "light");
  await page.setViewportSize({ width: 1024, height: 800 });
  await expectNoHorizontalOverflow(page);
  await saveScreenshots(page, "public-shares");

  // Revoke, confirmed: the link answers 404 at once.
  await shareRow.getByRole("button", { name: `Revoke share ${prefix}` }).click();
  await page.getByRole("dialog", { name: `Revoke share ${prefix}…?` }).getByRole("button", { name: "Revoke share" }).click();
  await expect(page.getByTestId("toast-success").filter({ hasText: `Share ${prefix}… revoked` })).toBeVisible();
  // The list holds live shares only: the revoked one leaves it.
  await expect(rows).toHaveCount(0);
  await expect(section(page).getByRole("table", { name: `Public shares of ${APP}` })).toContainText("No active share");
  const gone = await request.get(url.pathname);
  expect(gone.status()).toBe(404);
  expect(await gone.text()).not.toContain(MARKER);
  expect(console.errors).toEqual([]);
});

test("the section is shown only to holders of app:{id}:public.share, and lists a non-admin only their own shares", async ({ page, request }) => {
  const auth = await adminAuth(request);
  // An active share of the administrator's, which a non-admin sharer must not see.
  const adminShare = await request.post(`/api/v1/apps/${APP}/public-shares`, { headers: auth, data: { context: { board_id: "b2" } } });
  expect(adminShare.status(), await adminShare.text()).toBe(201);
  for (const [name, permissions] of [
    [VIEWER_ROLE, [`app:${APP}:board.read`]],
    [SHARER_ROLE, [`app:${APP}:public.share`]],
  ] as const) {
    await request.delete(`/api/v1/roles/${name}`, { headers: auth });
    const made = await request.post("/api/v1/roles", { headers: auth, data: { name, permissions } });
    expect(made.status(), await made.text()).toBe(200);
  }
  const email = `sharer-${Date.now().toString(36)}@studio.test`;
  const password = "Sharer-Pass-2026";
  const registered = await request.post("/api/v1/auth/register", { data: { email, password } });
  expect(registered.status(), await registered.text()).toBe(201);
  const { user } = (await registered.json()) as { user: { id: string } };
  const assign = async (role: string) => {
    const res = await request.post("/api/v1/roles/assign", { headers: auth, data: { userId: user.id, role } });
    expect(res.status(), await res.text()).toBe(200);
  };
  await assign(VIEWER_ROLE);

  // Reading the app's records is not sharing it: the data is shown, the section is not.
  await signIn(page, email, password);
  await page.goto(`/applications/${APP}`);
  await expect(page.getByRole("heading", { name: "Data" })).toBeVisible();
  // The page knows the caller's keys once "New record" says which one it lacks; only then does an absence mean something.
  await expect(page.getByRole("button", { name: "New record" })).toHaveAttribute("title", `Requires the permission app:${APP}:board.create.`);
  await expect(section(page)).toHaveCount(0);

  await assign(SHARER_ROLE);
  await page.reload();
  await expect(section(page).getByRole("heading", { name: "Public shares" })).toBeVisible();
  await expect(section(page).getByRole("table", { name: `Public shares of ${APP}` })).toContainText("No active share");
  await expect(section(page).getByRole("button", { name: "Create share" })).toBeEnabled();
});
