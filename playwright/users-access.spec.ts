import { expect, test, type APIRequestContext } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";
import { expectNoSeriousA11yViolations, setTheme } from "./studio-checks.ts";

async function adminAuth(request: APIRequestContext): Promise<{ authorization: string }> {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  const { accessToken } = (await login.json()) as { accessToken: string };
  return { authorization: `Bearer ${accessToken}` };
}

async function registerUser(request: APIRequestContext, auth: { authorization: string }, email: string): Promise<string> {
  const res = await request.post("/api/v1/auth/register", { data: { email, password: "Access-Pass-2026" } });
  expect([201, 409]).toContain(res.status());
  const users = (await (await request.get("/api/v1/users", { headers: auth })).json()) as { id: string; email: string }[];
  return users.find((u) => u.email === email)!.id;
}

test("users: roles are assigned and revoked from the user's row, each with a toast, revoke confirmed first", async ({ page, request }) => {
  const email = "assignee@studio.test";
  const auth = await adminAuth(request);
  await registerUser(request, auth, email);
  // A name no other spec uses: the browser specs share one Core, and roles-audit creates "support".
  const created = await request.post("/api/v1/roles", { headers: auth, data: { name: "desk_agents", permissions: ["app:helpdesk:*"] } });
  expect(created.status(), await created.text()).toBe(200);
  page.on("dialog", (d) => {
    throw new Error(`native ${d.type()} dialog: ${d.message()}`);
  });

  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/users");
  const row = page.getByTestId(`user-row-${email}`);
  await row.getByRole("button", { name: "Access" }).click();
  const panel = page.getByRole("dialog", { name: "Access" });
  await expect(panel).toContainText(email);
  // Every new user holds base; desk_agents is not assigned yet.
  await expect(panel.getByTestId("assigned-role-base")).toBeVisible();
  await expect(panel.getByTestId("assigned-role-desk_agents")).toHaveCount(0);

  // Assign without choosing: a sentence next to the select, nothing sent.
  const form = panel.getByRole("form", { name: `Assign a role to ${email}` });
  await form.getByRole("button", { name: "Assign" }).click();
  await expect(form.getByTestId("field-error")).toHaveText("Choose a role to assign.");
  // The select offers the existing roles.
  await form.getByLabel("Role to assign").selectOption("desk_agents");
  await expect(form.getByTestId("field-error")).toHaveCount(0);
  await form.getByRole("button", { name: "Assign" }).click();
  await expect(page.getByTestId("toast-success")).toContainText("Role desk_agents assigned to assignee@studio.test.");
  await expect(panel.getByTestId("assigned-role-desk_agents")).toBeVisible();
  await expect(form.getByLabel("Role to assign").locator("option", { hasText: "desk_agents" })).toHaveCount(0);
  await page.keyboard.press("Escape");
  await expect(panel).toHaveCount(0);
  await expect(row).toContainText("desk_agents");

  // Revoke asks first; Cancel keeps the role.
  await row.getByRole("button", { name: "Access" }).click();
  await panel.getByRole("button", { name: `Revoke desk_agents from ${email}` }).click();
  const confirm = page.getByRole("dialog", { name: "Revoke role?" });
  await expect(confirm).toContainText(`${email} loses the keys of desk_agents`);
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(confirm).toHaveCount(0);
  await expect(panel.getByTestId("assigned-role-desk_agents")).toBeVisible();
  await panel.getByRole("button", { name: `Revoke desk_agents from ${email}` }).click();
  await page.getByRole("dialog", { name: "Revoke role?" }).getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId("toast-success").last()).toContainText("Role desk_agents revoked from assignee@studio.test.");
  await expect(panel.getByTestId("assigned-role-desk_agents")).toHaveCount(0);
  await page.keyboard.press("Escape");
  await expect(row).not.toContainText("desk_agents");
  const details = (await (await request.get("/api/v1/users", { headers: auth })).json()) as { email: string }[];
  expect(details.some((u) => u.email === email)).toBe(true);
});

test("users: 'why does this user hold this key?' shows the chain through an inherited role", async ({ page, request }) => {
  const email = "explained@studio.test";
  const auth = await adminAuth(request);
  const userId = await registerUser(request, auth, email);
  expect((await request.post("/api/v1/roles", { headers: auth, data: { name: "crm_readers", permissions: ["app:crm:*"] } })).ok()).toBe(true);
  expect((await request.post("/api/v1/roles", { headers: auth, data: { name: "sales", inherits: ["crm_readers"], permissions: ["app:billing:invoice.read"] } })).ok()).toBe(true);
  expect((await request.post("/api/v1/roles/assign", { headers: auth, data: { userId, role: "sales" } })).ok()).toBe(true);

  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/users");
  await page.getByTestId(`user-row-${email}`).getByRole("button", { name: "Access" }).click();
  const panel = page.getByRole("dialog", { name: "Access" });
  const form = panel.getByRole("form", { name: `Explain a key of ${email}` });

  // A bad key is a sentence under the field, never zod JSON.
  await form.getByLabel("Permission key").fill("Bad Key!");
  await form.getByRole("button", { name: "Explain" }).click();
  await expect(form.getByTestId("field-error")).toHaveText("Permission keys use only a-z, 0-9 and _ : . *.");
  await expect(panel).not.toContainText("invalid_format");

  await form.getByLabel("Permission key").fill("app:crm:contact.read");
  await expect(form.getByTestId("field-error")).toHaveCount(0);
  await form.getByRole("button", { name: "Explain" }).click();
  const result = panel.getByTestId("explain-result");
  await expect(result).toContainText(`${email} holds app:crm:contact.read by one route`);
  const chain = result.getByTestId("explain-chain");
  await expect(chain).toHaveCount(1);
  await expect(chain.getByRole("list", { name: "Role chain" }).getByRole("listitem")).toHaveText(["sales (assigned)", "→ inherits crm_readers"]);
  await expect(chain).toContainText("crm_readers holds app:crm:*, which matches app:crm:contact.read.");

  // A key held directly by the assigned role: a one-step chain. Offered among the effective keys.
  await panel.getByRole("button", { name: "app:billing:invoice.read" }).click();
  await expect(form.getByLabel("Permission key")).toHaveValue("app:billing:invoice.read");
  await expect(result.getByTestId("explain-chain").getByRole("list", { name: "Role chain" }).getByRole("listitem")).toHaveText(["sales (assigned)"]);
  await expect(result).toContainText("sales holds app:billing:invoice.read.");

  // A key nobody granted them.
  await form.getByLabel("Permission key").fill("admin:secrets.manage");
  await form.getByRole("button", { name: "Explain" }).click();
  await expect(result).toContainText(`${email} does not hold admin:secrets.manage`);

  await page.setViewportSize({ width: 1366, height: 900 });
  for (const theme of ["light", "dark"] as const) {
    await setTheme(page, theme);
    await panel.getByRole("button", { name: "app:crm:*" }).click();
    await expect(result.getByTestId("explain-chain")).toHaveCount(1);
    await expectNoSeriousA11yViolations(page);
    // For a reviewer (git-ignored), like saveScreenshots, which cannot switch theme behind the open panel.
    await page.screenshot({ path: `playwright/screenshots/users-access-${theme}.png` });
  }
  await setTheme(page, "light");
});
