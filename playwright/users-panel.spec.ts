import { expect, test } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";

test("an administrator disables, enables, revokes sessions of and deletes a user", async ({ page, request }) => {
  const email = "temp@studio.test";
  const password = "Temporary-Pass-3";
  expect((await request.post("/api/v1/auth/register", { data: { email, password } })).status()).toBe(201);
  const login = await request.post("/api/v1/auth/login", { data: { email, password } });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const me = () => request.get("/api/v1/auth/me", { headers: { authorization: `Bearer ${accessToken}` } });
  expect((await me()).status()).toBe(200);

  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/users");
  const row = page.getByTestId(`user-row-${email}`);

  // Sessions: the API sign-in above is listed and can be revoked, which ends its access token too.
  await row.getByRole("button", { name: "Sessions" }).click();
  await expect(page.getByTestId("session-row")).toHaveCount(1);
  await page.getByTestId("session-row").getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByText("No open sessions.")).toBeVisible();
  expect((await me()).status()).toBe(401);
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toHaveCount(0);

  await row.getByRole("button", { name: "Disable" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Disable user" }).click();
  await expect(row.getByTestId("user-status")).toHaveText("disabled");
  expect((await request.post("/api/v1/auth/login", { data: { email, password } })).status()).toBe(401);
  await row.getByRole("button", { name: "Enable" }).click();
  await expect(row.getByTestId("user-status")).toHaveText("active");
  expect((await request.post("/api/v1/auth/login", { data: { email, password } })).status()).toBe(200);

  await row.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel(/to confirm/).fill(email);
  await dialog.getByRole("button", { name: "Delete user" }).click();
  await expect(row).toHaveCount(0);
  expect((await request.post("/api/v1/auth/login", { data: { email, password } })).status()).toBe(401);

  // The administrator's own row offers neither disable nor delete.
  const own = page.getByTestId(`user-row-${ADMIN.email}`);
  // The row and its other actions are rendered first, so that the absences below mean something.
  await expect(own.getByTestId("user-status")).toHaveText("active");
  await expect(own.getByRole("button", { name: "Sessions" })).toBeVisible();
  await expect(own.getByRole("button", { name: "Delete" })).toHaveCount(0);
  await expect(own.getByRole("button", { name: "Disable" })).toHaveCount(0);
});
