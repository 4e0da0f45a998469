import { expect, test } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";

test("create a role with two keys inheriting another, assign it, see the effective permissions and its audit entry", async ({ page, request }) => {
  // A second user to hold the role, and the role it will inherit from.
  const email = "holder@studio.test";
  expect([201, 400]).toContain((await request.post("/api/v1/auth/register", { data: { email, password: "Holder-Pass-42" } })).status());
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Roles" }).click();
  await expect(page.getByRole("heading", { name: "Roles" })).toBeVisible();

  await page.getByRole("button", { name: "New role" }).click();
  let form = page.getByRole("form", { name: "New role" });
  await form.getByLabel("Name", { exact: true }).fill("support");
  await form.getByLabel("Description").fill("Reads tickets");
  await form.getByLabel("Custom permission key").fill("app:helpdesk:tickets.read");
  await form.getByRole("button", { name: "Add key" }).click();
  await form.getByRole("button", { name: "Create role" }).click();
  await expect(page.getByTestId("role-support").getByTestId("role-permissions")).toHaveText("app:helpdesk:tickets.read");

  await page.getByRole("button", { name: "New role" }).click();
  form = page.getByRole("form", { name: "New role" });
  await form.getByLabel("Name", { exact: true }).fill("support_lead");
  await form.getByLabel("Description").fill("Leads the support team");
  await form.getByLabel("Inherit support").check();
  // One key from the picker (grouped by namespace), one typed in.
  await form.getByRole("group", { name: "Namespace admin" }).getByLabel("admin:audit.read").check();
  await form.getByLabel("Custom permission key").fill("app:helpdesk:*");
  await form.getByRole("button", { name: "Add key" }).click();
  await form.getByRole("button", { name: "Create role" }).click();
  const lead = page.getByTestId("role-support_lead");
  await expect(lead.getByTestId("role-permissions")).toHaveText("admin:audit.read, app:helpdesk:*");
  await expect(lead.getByTestId("role-inherits")).toHaveText("support");

  // An inheritance cycle is refused with the loop named.
  await page.getByTestId("role-support").getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("form", { name: "Edit role support" });
  await edit.getByLabel("Inherit support_lead").check();
  await edit.getByRole("button", { name: "Save role" }).click();
  await expect(edit.getByRole("alert")).toHaveText("Inheritance cycle: support → support_lead → support.");
  await edit.getByRole("button", { name: "Cancel" }).click();

  // Assign it and look at what the user can now do.
  const assign = page.getByRole("region", { name: "Assign a role" });
  await assign.getByLabel("User to assign").selectOption({ label: email });
  await assign.getByLabel("Role to assign").selectOption("support_lead");
  await assign.getByRole("button", { name: "Assign" }).click();
  await expect(lead).toContainText(email);
  const effective = page.getByRole("region", { name: "Effective permissions" });
  await effective.getByLabel("User to inspect").selectOption({ label: email });
  await expect(effective.getByTestId("effective-roles")).toHaveText("base, support, support_lead");
  await expect(effective.getByTestId("effective-keys")).toHaveText("admin:audit.read, app:helpdesk:*, app:helpdesk:tickets.read");

  // The audit viewer shows who created the role, with its before/after, and the chain is intact.
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Audit" }).click();
  await expect(page.getByTestId("chain-status")).toHaveText(/^Chain intact \(\d+ rows\)$/);
  const filters = page.getByRole("form", { name: "Audit filters" });
  await filters.getByLabel("Table / entity").fill("rbac_roles");
  await filters.getByLabel("Record id").fill("support_lead");
  await filters.getByRole("button", { name: "Apply" }).click();
  const entry = page.getByTestId("audit-row");
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText("rootcx_system.rbac_roles");
  await expect(entry).toContainText("INSERT");
  await expect(entry).toContainText(ADMIN.email);
  await entry.getByRole("button", { name: /^Details of entry/ }).click();
  const diff = page.getByRole("table", { name: "Change" });
  await expect(diff.locator("tr[data-changed]").filter({ hasText: "permissions" })).toContainText('["admin:audit.read","app:helpdesk:*"]');
});
