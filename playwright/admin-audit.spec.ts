import { expect, test } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";

test("an administrator disables a user in the Studio and finds that change in the audit viewer by action, actor and target", async ({ page, request }) => {
  const email = "audited@studio.test";
  const reg = await request.post("/api/v1/auth/register", { data: { email, password: "Audited-Pass-42" } });
  expect(reg.status()).toBe(201);
  const userId = ((await reg.json()) as { user: { id: string } }).user.id;

  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/users");
  const row = page.getByTestId(`user-row-${email}`);
  await row.getByRole("button", { name: "Disable" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Disable user" }).click();
  await expect(row.getByTestId("user-status")).toHaveText("disabled");

  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Audit" }).click();
  await expect(page.getByTestId("chain-status")).toHaveText(/^Chain intact \(\d+ rows\)$/);
  // Unfiltered, the newest entry comes first: the disable just made.
  const rows = page.getByTestId("audit-row");
  await expect(rows.first()).toContainText("user.disable");
  await expect(rows.first()).toContainText(userId);

  const filters = page.getByRole("form", { name: "Audit filters" });
  await filters.getByLabel("Action").selectOption("user.disable");
  await filters.getByLabel("Actor").selectOption({ label: ADMIN.email });
  await filters.getByLabel("Target / record id").fill(userId);
  await filters.getByRole("button", { name: "Apply" }).click();
  // The filtered page holds exactly the one change, named by action, table, target and actor.
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("rootcx_system.users");
  await expect(rows.first()).toContainText("user.disable");
  await expect(rows.first()).toContainText(userId);
  await expect(rows.first()).toContainText(ADMIN.email);
  await rows.first().getByRole("button", { name: /^Details of entry/ }).click();
  const diff = page.getByRole("table", { name: "Change" });
  await expect(diff).toContainText(email);

  // The registration of the same user is found by its own action; its actor is the user itself.
  await filters.getByLabel("Action").selectOption("user.register");
  await filters.getByLabel("Actor").selectOption({ label: "anyone" });
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("user.register");
  await expect(rows.first()).toContainText(email);
});
