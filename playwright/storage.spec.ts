import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ADMIN, signIn } from "./fixtures.ts";
import { pdfWithText, PNG_1X1 } from "./fixtures/storage-files.ts";
import { collectConsoleErrors, expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

/**
 * The storage browser against the real Core: folders, uploads with their progress, byte-identical downloads,
 * rename, move, previews, signed links, deletes, and a bucket's type rule refusing a file with a sentence.
 * Names carry the run's stamp: the browser specs share one Core, and a rerun must not meet its own leftovers.
 */
const RUN = Date.now().toString(36);

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ request }) => {
  // Run alone (`--no-deps`), the Core is still empty: its first user becomes the administrator, as first-run makes it.
  const mode = (await (await request.get("/api/trpc/auth.mode")).json()) as { result?: { data?: { setupRequired?: boolean } } };
  if (mode.result?.data?.setupRequired) {
    expect((await request.post("/api/v1/auth/register", { data: { email: ADMIN.email, password: ADMIN.password, displayName: ADMIN.displayName } })).status()).toBe(201);
  }
});

async function adminAuth(request: APIRequestContext): Promise<{ authorization: string }> {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  return { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
}

const objects = (page: Page) => page.getByRole("table", { name: "Folder contents" });
const row = (page: Page, name: string) => page.getByTestId(`object-${name}`);

async function openBucket(page: Page, bucket: string) {
  await page.goto("/storage");
  await page.getByRole("table", { name: "Buckets" }).getByRole("link", { name: bucket, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: bucket })).toBeVisible();
}

async function newFolder(page: Page, name: string) {
  await page.getByRole("button", { name: "New folder" }).click();
  const form = page.getByRole("form", { name: "New folder" });
  await form.getByLabel("Name").fill(name);
  await form.getByRole("button", { name: "Create folder" }).click();
  await expect(form).toHaveCount(0);
  await expect(page.getByTestId("toast-success").last()).toContainText(`Folder ${name} created`);
}

/** Downloads through the row's button and returns what reached the disk. */
async function download(page: Page, name: string): Promise<{ bytes: Buffer; filename: string }> {
  const [file] = await Promise.all([page.waitForEvent("download"), row(page, name).getByRole("button", { name: `Download ${name}` }).click()]);
  return { bytes: await readFile((await file.path())!), filename: file.suggestedFilename() };
}

test("a folder, a file uploaded into it with its progress, downloaded back byte-identical, deleted", async ({ page }) => {
  const console = collectConsoleErrors(page);
  const folder = `e2e ${RUN}`;
  const content = randomBytes(768 * 1024);
  // Not ASCII, with a space: the name comes back through Content-Disposition's filename* (RFC 5987).
  const file = "résumé blob.bin";
  await signIn(page, ADMIN.email, ADMIN.password);
  await openBucket(page, "default");

  await newFolder(page, folder);
  await objects(page).getByRole("link", { name: folder }).click();
  await expect(page).toHaveURL(/[?&]folder=/);
  await expect(page.getByRole("heading", { level: 1, name: folder })).toBeVisible();
  const crumbs = page.getByRole("navigation", { name: "Breadcrumb" });
  await expect(crumbs.getByRole("link", { name: "default" })).toBeVisible();
  await expect(crumbs.locator('[aria-current="page"]')).toHaveText(folder);
  await expect(objects(page)).toContainText("This folder is empty");

  // The upload is slowed (DevTools throttling) so its bar is seen between 0 and 100 %.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
  await page.getByLabel("Upload files").setInputFiles({ name: file, mimeType: "application/octet-stream", buffer: content });
  const item = page.getByTestId("upload-item").filter({ hasText: file });
  const bar = item.getByTestId("upload-progress");
  await expect
    .poll(async () => Number(await bar.getAttribute("value")), { message: "the bar shows a part of the upload", intervals: [50] })
    .toBeGreaterThan(0);
  expect(Number(await bar.getAttribute("value"))).toBeLessThan(100);
  await expect(item).toHaveAttribute("data-status", "done", { timeout: 20_000 });
  await expect(bar).toHaveAttribute("value", "100");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await expect(page.getByTestId("toast-success").last()).toContainText(`Uploaded ${file} into ${folder}.`);
  await expect(row(page, file)).toContainText("768.0 KiB");

  const got = await download(page, file);
  expect(got.filename).toBe(file);
  expect(got.bytes.length).toBe(content.length);
  expect(got.bytes.equals(content), "downloaded bytes equal the uploaded ones").toBe(true);

  await row(page, file).getByRole("button", { name: `Delete ${file}` }).click();
  const confirm = page.getByRole("dialog", { name: `Delete ${file}?` });
  await expect(confirm).toContainText("removed for good");
  await confirm.getByRole("button", { name: "Delete file" }).click();
  await expect(page.getByTestId("toast-success").last()).toContainText(`File ${file} deleted.`);
  await expect(row(page, file)).toHaveCount(0);
  await expect(objects(page)).toContainText("This folder is empty");
  expect(console.errors).toEqual([]);
});

test("drag and drop, rename, move with the folder picker, previews, a signed link, a folder deleted with its contents", async ({ page, context, request }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const outer = `outer ${RUN}`;
  const inner = `inner ${RUN}`;
  const png = `pixel-${RUN}.png`;
  const letter = `letter-${RUN}.pdf`;
  const txt = `dropped-${RUN}.txt`;
  await signIn(page, ADMIN.email, ADMIN.password);
  await openBucket(page, "default");
  await newFolder(page, outer);
  await newFolder(page, inner);

  // A drop carries real files in a DataTransfer, as the browser hands them over from the desktop.
  const dropped = await page.evaluateHandle(
    ({ names, pngBase64, pdf }: { names: [string, string, string]; pngBase64: string; pdf: string }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(pngBase64), (c) => c.charCodeAt(0))], names[0], { type: "image/png" }));
      dt.items.add(new File([pdf], names[1], { type: "application/pdf" }));
      dt.items.add(new File(["dropped text"], names[2], { type: "text/plain" }));
      return dt;
    },
    { names: [png, letter, txt] as [string, string, string], pngBase64: PNG_1X1.toString("base64"), pdf: pdfWithText("Hello from the storage spec") },
  );
  const zone = page.getByTestId("drop-zone");
  await zone.dispatchEvent("dragenter", { dataTransfer: dropped });
  await expect(zone).toHaveAttribute("data-dragging", "true");
  await zone.dispatchEvent("dragover", { dataTransfer: dropped });
  await zone.dispatchEvent("drop", { dataTransfer: dropped });
  await expect(page.getByTestId("upload-item")).toHaveCount(3);
  await expect(page.getByTestId("upload-item").and(page.locator('[data-status="done"]'))).toHaveCount(3);
  await expect(page.getByTestId("toast-success").last()).toContainText("Uploaded 3 files into default.");

  // Rename: a name with "/" is refused with the Core's reason, then a good one is taken.
  await row(page, txt).getByRole("button", { name: `Rename ${txt}` }).click();
  const renameForm = page.getByRole("form", { name: `Rename ${txt}` });
  await renameForm.getByLabel("Name").fill("a/b.txt");
  await renameForm.getByRole("button", { name: "Rename" }).click();
  await expect(renameForm.getByTestId("field-error")).toContainText('must not contain "/"');
  await renameForm.getByLabel("Name").fill(`renamed ${RUN}.txt`);
  await renameForm.getByRole("button", { name: "Rename" }).click();
  await expect(page.getByTestId("toast-success").last()).toContainText(`Renamed ${txt} to renamed ${RUN}.txt.`);

  // Move: into outer/inner through the picker; the folder itself is never offered as its own destination.
  await row(page, `renamed ${RUN}.txt`).getByRole("button", { name: `Move renamed ${RUN}.txt` }).click();
  const picker = page.getByRole("dialog", { name: `Move renamed ${RUN}.txt` });
  await expect(picker.getByRole("button", { name: "Move here" })).toBeDisabled();
  await picker.getByRole("button", { name: `Open folder ${outer}` }).click();
  await expect(picker.getByRole("list", { name: "Folders here" })).toContainText("No folders inside.");
  await picker.getByRole("button", { name: "default" }).click();
  await picker.getByRole("button", { name: `Open folder ${inner}` }).click();
  await picker.getByRole("button", { name: "Move here" }).click();
  await expect(page.getByTestId("toast-success").last()).toContainText(`Moved renamed ${RUN}.txt to default / ${inner}.`);
  await expect(row(page, `renamed ${RUN}.txt`)).toHaveCount(0);

  await row(page, inner).getByRole("button", { name: `Move ${inner}` }).click();
  const folderPicker = page.getByRole("dialog", { name: `Move ${inner}` });
  await expect(folderPicker.getByRole("button", { name: `Open folder ${inner}` })).toHaveCount(0);
  await folderPicker.getByRole("button", { name: `Open folder ${outer}` }).click();
  await folderPicker.getByRole("button", { name: "Move here" }).click();
  await expect(page.getByTestId("toast-success").last()).toContainText(`Moved ${inner} to default / ${outer}.`);
  await objects(page).getByRole("link", { name: outer }).click();
  await objects(page).getByRole("link", { name: inner }).click();
  await expect(page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: outer })).toBeVisible();
  await expect(row(page, `renamed ${RUN}.txt`)).toBeVisible();
  await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "default" }).click();

  // Previews: the image is drawn from its bytes, the PDF's first page onto a canvas.
  await objects(page).getByRole("button", { name: png, exact: true }).click();
  const details = page.getByRole("dialog", { name: png });
  await expect(details).toContainText("image/png");
  const image = details.getByTestId("preview-image");
  await expect(image).toBeVisible();
  expect(await image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);

  // The signed link works without a token and gives the same bytes.
  await details.getByRole("button", { name: "Copy signed link" }).click();
  await expect(page.getByTestId("toast-success").last()).toContainText(`Signed link to ${png} copied`);
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  const fetched = await request.get(link);
  expect(fetched.status()).toBe(200);
  expect(Buffer.from(await fetched.body()).equals(PNG_1X1)).toBe(true);
  await details.getByRole("button", { name: "Close panel" }).click();

  await objects(page).getByRole("button", { name: letter, exact: true }).click();
  const pdf = page.getByRole("dialog", { name: letter });
  await expect(pdf.getByRole("img", { name: `Page 1 of ${letter}` })).toBeVisible({ timeout: 15_000 });
  // Something was drawn: the canvas is not all one colour.
  const inked = await pdf.getByRole("img", { name: `Page 1 of ${letter}` }).evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    for (let i = 4; i < data.length; i += 4) if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2]) return true;
    return false;
  });
  expect(inked).toBe(true);
  await pdf.getByRole("button", { name: "Close panel" }).click();

  // Deleting a folder that holds data asks for its name.
  await row(page, outer).getByRole("button", { name: `Delete ${outer}` }).click();
  const confirm = page.getByRole("dialog", { name: `Delete folder ${outer}?` });
  await expect(confirm.getByRole("button", { name: "Delete folder" })).toBeDisabled();
  await confirm.getByRole("textbox").fill(outer);
  await confirm.getByRole("button", { name: "Delete folder" }).click();
  await expect(page.getByTestId("toast-success").last()).toContainText(`Folder ${outer} deleted.`);
  await expect(row(page, outer)).toHaveCount(0);
  for (const name of [png, letter]) {
    await row(page, name).getByRole("button", { name: `Delete ${name}` }).click();
    await page.getByRole("dialog", { name: `Delete ${name}?` }).getByRole("button", { name: "Delete file" }).click();
    await expect(row(page, name)).toHaveCount(0);
  }
});

test("a bucket with allowed types refuses a wrong file with a readable error; its form and delete confirmation", async ({ page }) => {
  const bucket = `e2e_images_${RUN}`;
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/storage");

  await page.getByRole("button", { name: "New bucket" }).click();
  const form = page.getByRole("form", { name: "New bucket" });
  await form.getByLabel("Name").fill("Bad Name!");
  await form.getByRole("button", { name: "Create bucket" }).click();
  await expect(form.getByTestId("field-error")).toContainText("a-z, 0-9 and _");
  await form.getByLabel("Name").fill(bucket);
  await form.getByLabel("Allowed types").fill("image/*, nonsense");
  await form.getByRole("button", { name: "Create bucket" }).click();
  // The Core's own rule, shown under the field it concerns.
  await expect(form.getByTestId("field-error")).toContainText("media types");
  await form.getByLabel("Allowed types").fill("image/*");
  await form.getByLabel("Largest file (MiB)").fill("1");
  await form.getByRole("button", { name: "Create bucket" }).click();
  await expect(page.getByTestId("toast-success").last()).toContainText(`Bucket ${bucket} created.`);
  const bucketRow = page.getByTestId(`bucket-${bucket}`);
  await expect(bucketRow).toContainText("image/*");
  await expect(bucketRow).toContainText("1.0 MiB");

  await bucketRow.getByRole("link", { name: bucket }).click();
  await expect(page.getByText("At most 1.0 MiB a file; only image/*.")).toBeVisible();
  // A text file, and an HTML page dressed up as a PNG: both refused, each with a sentence naming why.
  await page.getByLabel("Upload files").setInputFiles([
    { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("just text") },
    { name: "disguised.png", mimeType: "image/png", buffer: Buffer.from("<!doctype html><html><script>alert(1)</script></html>") },
  ]);
  const reasons: Record<string, RegExp> = {
    "notes.txt": /text\/plain.*does not allow/,
    // The bytes are no PNG: refused whatever the declared type claims.
    "disguised.png": /png/i,
  };
  for (const [name, why] of Object.entries(reasons)) {
    const item = page.getByTestId("upload-item").filter({ hasText: name });
    await expect(item).toHaveAttribute("data-status", "failed");
    await expect(item.getByRole("alert")).toHaveText(why);
    const reason = (await item.getByRole("alert").textContent()) ?? "";
    expect(reason, "a sentence, not a raw answer").toMatch(/^[A-Z][^{}]*\.$/);
    expect(reason).toMatch(why);
  }
  await expect(page.getByTestId("toast-error")).toHaveCount(2);
  await expect(objects(page)).toContainText("This folder is empty");
  await page.getByRole("button", { name: "Clear finished" }).click();
  await expect(page.getByTestId("upload-item")).toHaveCount(0);

  // A real image goes in; the bucket now refuses to be deleted until it is empty.
  await page.getByLabel("Upload files").setInputFiles({ name: "ok.png", mimeType: "image/png", buffer: PNG_1X1 });
  await expect(row(page, "ok.png")).toBeVisible();
  await page.goto("/storage");
  await expect(page.getByTestId("bucket-default").getByRole("button", { name: "Delete bucket default" })).toBeDisabled();
  await page.getByTestId(`bucket-${bucket}`).getByRole("button", { name: `Delete bucket ${bucket}` }).click();
  let confirm = page.getByRole("dialog", { name: `Delete bucket ${bucket}?` });
  await confirm.getByRole("textbox").fill(bucket);
  await confirm.getByRole("button", { name: "Delete bucket" }).click();
  await expect(page.getByTestId("toast-error").last()).toContainText("Not deleted");
  await expect(page.getByTestId(`bucket-${bucket}`)).toBeVisible();

  await page.getByTestId(`bucket-${bucket}`).getByRole("link", { name: bucket }).click();
  await row(page, "ok.png").getByRole("button", { name: "Delete ok.png" }).click();
  await page.getByRole("dialog", { name: "Delete ok.png?" }).getByRole("button", { name: "Delete file" }).click();
  await expect(row(page, "ok.png")).toHaveCount(0);
  await page.goto("/storage");
  await page.getByTestId(`bucket-${bucket}`).getByRole("button", { name: `Delete bucket ${bucket}` }).click();
  confirm = page.getByRole("dialog", { name: `Delete bucket ${bucket}?` });
  await expect(confirm.getByRole("button", { name: "Delete bucket" })).toBeDisabled();
  await confirm.getByRole("textbox").fill(bucket);
  await confirm.getByRole("button", { name: "Delete bucket" }).click();
  await expect(page.getByTestId("toast-success").last()).toContainText(`Bucket ${bucket} deleted.`);
  await expect(page.getByTestId(`bucket-${bucket}`)).toHaveCount(0);
});

test("storage pages: axe in light and dark, no sideways scroll at 1024 px, screenshots", async ({ page, request }) => {
  const auth = await adminAuth(request);
  // Something to show in the folder: one file at the bucket's root, removed at the end.
  const up = await request.post("/api/v1/storage/objects/default/upload", {
    headers: auth,
    multipart: { file: { name: `a-rather-long-file-name-to-test-wrapping-${RUN}.png`, mimeType: "image/png", buffer: PNG_1X1 } },
  });
  expect(up.status(), await up.text()).toBe(201);
  const { id } = (await up.json()) as { id: string };
  const console = collectConsoleErrors(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  for (const [path, name] of [
    ["/storage", "storage-buckets"],
    ["/storage/default", "storage-folder"],
  ] as const) {
    await page.goto(path);
    await expect(page.getByRole("table").first().locator("tbody tr").first()).toBeVisible();
    for (const theme of ["light", "dark"] as const) {
      await setTheme(page, theme);
      await expectNoSeriousA11yViolations(page);
    }
    await setTheme(page, "light");
    await page.setViewportSize({ width: 1024, height: 800 });
    await expectNoHorizontalOverflow(page);
    await saveScreenshots(page, name);
  }
  expect(console.errors).toEqual([]);
  expect((await request.delete(`/api/v1/storage/objects/default/${id}`, { headers: auth })).status()).toBe(200);
});
