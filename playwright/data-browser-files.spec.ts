import { expect, test, type APIRequestContext } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ADMIN, signIn } from "./fixtures.ts";
import { collectConsoleErrors, expectNoSeriousA11yViolations } from "./studio-checks.ts";

/**
 * A manifest field of type `file` in the data browser: the record form uploads into the app's storage and
 * stores the file's id; the grid and the form offer the file back as a download, byte for byte.
 */
const APP = "e2e_files_app";
const DOCUMENT = {
  entityName: "document",
  fields: [
    { name: "title", type: "text", required: true },
    { name: "attachment", type: "file" },
  ],
};

test.beforeAll(async ({ request }) => {
  // Run alone (`--no-deps`), the Core is still empty: its first user becomes the administrator, as first-run makes it.
  const mode = (await (await request.get("/api/trpc/auth.mode")).json()) as { result?: { data?: { setupRequired?: boolean } } };
  if (mode.result?.data?.setupRequired) {
    expect((await request.post("/api/v1/auth/register", { data: { email: ADMIN.email, password: ADMIN.password, displayName: ADMIN.displayName } })).status()).toBe(201);
  }
});

async function installApp(request: APIRequestContext): Promise<{ authorization: string }> {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  const auth = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
  await request.delete(`/api/v1/apps/${APP}`, { headers: auth });
  const installed = await request.post("/api/v1/apps", { headers: auth, data: { appId: APP, name: APP, version: "1.0.0", dataContract: [DOCUMENT] } });
  expect(installed.status(), await installed.text()).toBe(200);
  return auth;
}

test("a file field: uploaded through the record form, stored as the file's id, downloaded back from the grid and the form", async ({ page, request }) => {
  const auth = await installApp(request);
  const content = randomBytes(200 * 1024);
  const console = collectConsoleErrors(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto(`/applications/${APP}`);
  await expect(page.getByRole("heading", { level: 1, name: APP })).toBeVisible();

  await page.getByRole("button", { name: "New record" }).click();
  const form = page.getByRole("form", { name: "New document" });
  await form.getByLabel("title", { exact: true }).fill("contract");
  await form.getByLabel("attachment", { exact: true }).setInputFiles({ name: "contract.bin", mimeType: "application/octet-stream", buffer: content });
  const value = form.getByTestId("file-value-attachment");
  await expect(value).toContainText("Uploaded contract.bin (200.0 KiB).");
  await expect(value.getByTestId("file-download")).toBeVisible();
  await expectNoSeriousA11yViolations(page, ["dialog[open]"]);
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form).toHaveCount(0);
  await expect(page.getByTestId("toast-success")).toContainText("document record created.");

  // The record holds the id of a file in the app's storage, readable through the Core's own route.
  const listed = await request.get(`/api/v1/apps/${APP}/collections/document`, { headers: auth });
  const [record] = (await listed.json()) as { id: string; attachment: string }[];
  expect(record?.attachment).toMatch(/^[0-9a-f-]{36}$/);
  const direct = await request.get(`/api/v1/apps/${APP}/storage/${record!.attachment}`, { headers: auth });
  expect(direct.status()).toBe(200);
  expect(Buffer.from(await direct.body()).equals(content)).toBe(true);

  const row = page.getByTestId(`record-${record!.id}`);
  await expect(row.getByTestId("file-download"), "the grid shows a download link for the file").toBeVisible();
  const [fromGrid] = await Promise.all([page.waitForEvent("download"), row.getByTestId("file-download").click()]);
  expect(fromGrid.suggestedFilename()).toBe("contract.bin");
  expect((await readFile((await fromGrid.path())!)).equals(content), "the grid's download is the uploaded file").toBe(true);

  // The edit form shows the same file; Remove empties the field.
  await row.getByRole("button", { name: /^Edit record/ }).click();
  const edit = page.getByRole("form", { name: /^Edit document/ });
  const [fromForm] = await Promise.all([page.waitForEvent("download"), edit.getByTestId("file-download").click()]);
  expect((await readFile((await fromForm.path())!)).equals(content)).toBe(true);
  await edit.getByRole("button", { name: "Remove the file from attachment" }).click();
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("toast-success").last()).toContainText("document record saved.");
  await expect(row.getByTestId("file-download")).toHaveCount(0);
  expect(console.errors).toEqual([]);
});
