import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";
import { expectNoHorizontalOverflow, expectNoSeriousA11yViolations, saveScreenshots, setTheme } from "./studio-checks.ts";

async function adminAuth(request: APIRequestContext): Promise<{ authorization: string }> {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  const { accessToken } = (await login.json()) as { accessToken: string };
  return { authorization: `Bearer ${accessToken}` };
}

async function install(request: APIRequestContext, appId: string, name: string): Promise<void> {
  const manifest = { appId, name, version: "1.0.0", dataContract: [{ entityName: "note", fields: [{ name: "title", type: "text" }] }] };
  expect((await request.post("/api/v1/apps", { data: manifest, headers: await adminAuth(request) })).status()).toBe(200);
}

function refuseNativeDialogs(page: Page) {
  page.on("dialog", (d) => {
    throw new Error(`native ${d.type()} dialog: ${d.message()}`);
  });
}

test("add, overwrite and delete a platform secret: readable name rule, 'Saved' without '0 worker(s)', delete confirmed, value never shown", async ({ page, request }) => {
  refuseNativeDialogs(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Secrets" }).click();
  const scope = page.getByRole("region", { name: "Platform secrets", exact: true });
  await expect(scope.getByText("No secrets yet.")).toBeVisible();

  await scope.getByRole("button", { name: "New secret" }).click();
  let form = page.getByRole("form", { name: "Set a secret in Platform secrets" });
  // The rule is said before anyone gets it wrong, and a wrong name gets a sentence, not the browser's bubble.
  await expect(form).toContainText("Letters (A–Z, a–z), digits and _ only");
  await form.getByLabel("Secret name").fill("bad-name");
  await form.getByLabel("Secret value").fill("x");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByLabel("Secret name")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByTestId("field-error")).toHaveText("Platform secret names use only letters, digits and _ (no spaces, dashes or dots).");
  await expect(page.locator("body")).not.toContainText("Please match the requested format");
  await form.getByLabel("Secret name").fill("SLACK_TOKEN");
  await expect(form.getByTestId("field-error")).toHaveCount(0);
  await form.getByLabel("Secret value").fill("xoxb-first-value");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form).toHaveCount(0);
  await expect(page.getByTestId("toast-success")).toHaveText(/^Saved SLACK_TOKEN\./);
  await expect(page.locator("body")).not.toContainText("0 worker");
  await expect(scope.getByTestId("secret-SLACK_TOKEN")).toBeVisible();
  await expect(page.locator("body")).not.toContainText("xoxb-first-value");

  // Replace the value: same name, new value, still one entry.
  await scope.getByRole("button", { name: "Replace the value of SLACK_TOKEN" }).click();
  form = page.getByRole("form", { name: "Set a secret in Platform secrets" });
  await form.getByLabel("Secret value").fill("xoxb-second-value");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form).toHaveCount(0);
  await expect(scope.getByTestId("secret-SLACK_TOKEN")).toHaveCount(1);
  await expect(page.locator("body")).not.toContainText("xoxb-second-value");

  const auth = await adminAuth(request);
  const env = await request.get("/api/v1/platform/secrets/env", { headers: auth });
  expect(((await env.json()) as Record<string, string>).SLACK_TOKEN).toBe("xoxb-second-value");
  // The refused name never reached the server.
  expect(await (await request.get("/api/v1/platform/secrets", { headers: auth })).json()).toEqual(["SLACK_TOKEN"]);

  // Delete asks first in the Studio's dialog; Cancel keeps it.
  await scope.getByRole("button", { name: "Delete SLACK_TOKEN" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("Delete SLACK_TOKEN?");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(scope.getByTestId("secret-SLACK_TOKEN")).toBeVisible();
  await scope.getByRole("button", { name: "Delete SLACK_TOKEN" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete secret" }).click();
  await expect(scope.getByTestId("secret-SLACK_TOKEN")).toHaveCount(0);
  await expect(page.getByTestId("toast-success").last()).toHaveText(/Deleted SLACK_TOKEN\./);
  await expect(scope.getByText("No secrets yet.")).toBeVisible();
});

test("an app secret's app is chosen from the installed apps; an app gone meanwhile is said readably", async ({ page, request }) => {
  await install(request, "e2e_vaulted", "Vaulted");
  await install(request, "e2e_fleeting", "Fleeting");
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/secrets");
  const region = page.getByRole("region", { name: "App secrets" });
  const select = region.getByLabel("App", { exact: true });
  // A select of installed apps, not a free-text id.
  expect(await select.evaluate((el) => el.tagName)).toBe("SELECT");
  await expect(select.locator("option", { hasText: "Vaulted (e2e_vaulted)" })).toHaveCount(1);
  await expect(select.locator("option", { hasText: "Fleeting (e2e_fleeting)" })).toHaveCount(1);

  await select.selectOption("e2e_vaulted");
  const scope = page.getByRole("region", { name: "Secrets of Vaulted (e2e_vaulted)" });
  await expect(scope.getByText("No secrets yet.")).toBeVisible();
  await scope.getByRole("button", { name: "New secret" }).click();
  const form = page.getByRole("form", { name: "Set a secret in Secrets of Vaulted (e2e_vaulted)" });
  await form.getByLabel("Secret name").fill("stripe key");
  await form.getByLabel("Secret value").fill("sk_test_1");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("toast-success")).toHaveText(/^Saved stripe key\./);
  await expect(scope.getByTestId("secret-stripe key")).toBeVisible();
  const auth = await adminAuth(request);
  expect(await (await request.get("/api/v1/apps/e2e_vaulted/secrets", { headers: auth })).json()).toEqual(["stripe key"]);

  // The app is uninstalled behind the panel's back: saving says so in a sentence, not a code.
  await select.selectOption("e2e_fleeting");
  const fleeting = page.getByRole("region", { name: "Secrets of Fleeting (e2e_fleeting)" });
  await expect(fleeting.getByText("No secrets yet.")).toBeVisible();
  expect((await request.delete("/api/v1/apps/e2e_fleeting", { headers: auth })).ok()).toBe(true);
  await fleeting.getByRole("button", { name: "New secret" }).click();
  const gone = page.getByRole("form", { name: "Set a secret in Secrets of Fleeting (e2e_fleeting)" });
  await gone.getByLabel("Secret name").fill("token");
  await gone.getByLabel("Secret value").fill("v");
  await gone.getByRole("button", { name: "Save" }).click();
  await expect(gone.getByRole("alert")).toHaveText("App e2e_fleeting not found.");
  expect((await request.delete("/api/v1/apps/e2e_vaulted", { headers: auth })).ok()).toBe(true);
});

test("/secrets: no serious axe violation in light and dark (panel open too), no sideways scroll at 1024 px, screenshots", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/secrets");
  await expect(page.getByRole("region", { name: "Platform secrets", exact: true })).toBeVisible();
  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    await expectNoSeriousA11yViolations(page);
    await page.getByRole("region", { name: "Platform secrets", exact: true }).getByRole("button", { name: "New secret" }).click();
    await expect(page.getByRole("dialog")).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await page.keyboard.press("Escape");
    await expect(page.getByRole("dialog")).toHaveCount(0);
  }
  await saveScreenshots(page, "secrets");
  await page.setViewportSize({ width: 1024, height: 768 });
  await expectNoHorizontalOverflow(page);
});
