import { expect, test } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";

test("add, overwrite and delete a platform secret; the value is never shown", async ({ page, request }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Secrets" }).click();
  const scope = page.getByRole("region", { name: "Platform secrets" });
  const form = scope.getByRole("form", { name: "Set a secret in Platform secrets" });

  await form.getByLabel("Secret name").fill("SLACK_TOKEN");
  await form.getByLabel("Secret value").fill("xoxb-first-value");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(scope.getByText("Saved SLACK_TOKEN; 0 worker(s) restarted")).toBeVisible();
  await expect(scope.getByTestId("secret-SLACK_TOKEN")).toBeVisible();
  await expect(form.getByLabel("Secret value")).toHaveValue("");
  await expect(page.locator("body")).not.toContainText("xoxb-first-value");

  // Overwrite: same name, new value, still one entry.
  await form.getByLabel("Secret name").fill("SLACK_TOKEN");
  await form.getByLabel("Secret value").fill("xoxb-second-value");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(scope.getByTestId("secret-SLACK_TOKEN")).toHaveCount(1);
  await expect(page.locator("body")).not.toContainText("xoxb-second-value");

  // The stored value is the new one (read through the API the Studio's configuration screens use).
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const env = await request.get("/api/v1/platform/secrets/env", { headers: { authorization: `Bearer ${accessToken}` } });
  expect(((await env.json()) as Record<string, string>).SLACK_TOKEN).toBe("xoxb-second-value");

  // A bad name is refused in the form (the server refuses it too: tests/vault.test.ts).
  await form.getByLabel("Secret name").fill("bad-name");
  await form.getByLabel("Secret value").fill("x");
  expect(await form.getByLabel("Secret name").evaluate((el: HTMLInputElement) => el.validity.patternMismatch)).toBe(true);
  await form.getByRole("button", { name: "Save" }).click();
  // Not sent: a save clears the value, and the rendered list and the server still hold the one good name.
  await expect(form.getByLabel("Secret value")).toHaveValue("x");
  await expect(scope.getByTestId("secret-SLACK_TOKEN")).toBeVisible();
  await expect(scope.getByTestId(/^secret-/)).toHaveCount(1);
  await expect(scope.getByTestId("secret-bad-name")).toHaveCount(0);
  const names = await request.get("/api/v1/platform/secrets", { headers: { authorization: `Bearer ${accessToken}` } });
  expect(await names.json()).toEqual(["SLACK_TOKEN"]);
  await form.getByLabel("Secret name").fill("");

  await scope.getByTestId("secret-SLACK_TOKEN").getByRole("button", { name: "Delete" }).click();
  await scope.getByRole("button", { name: "Confirm delete" }).click();
  await expect(scope.getByTestId("secret-SLACK_TOKEN")).toHaveCount(0);
  await expect(scope.getByText("No secrets yet.")).toBeVisible();
});
