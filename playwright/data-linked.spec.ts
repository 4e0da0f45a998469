import { expect, test, type APIRequestContext } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";
import { collectConsoleErrors, expectNoSeriousA11yViolations } from "./studio-checks.ts";

// Three apps whose people share an identity kind of this spec's own, so that other specs' apps never link in.
const KIND = "e2e_linked_person";
const APPS = [
  { appId: "e2e_lcrm", entity: "contact", key: "email" },
  { appId: "e2e_lshop", entity: "customer", key: "email" },
  { appId: "e2e_ldesk", entity: "requester", key: "mail" },
] as const;

async function install(request: APIRequestContext): Promise<Record<string, string>> {
  const login = await request.post("/api/v1/auth/login", { data: { email: ADMIN.email, password: ADMIN.password } });
  const headers = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
  const ids: Record<string, string> = {};
  for (const { appId, entity, key } of APPS) {
    await request.delete(`/api/v1/apps/${appId}`, { headers });
    const manifest = { appId, name: appId, version: "1.0.0", dataContract: [{ entityName: entity, identityKind: KIND, identityKey: key, fields: [{ name: key, type: "text" }, { name: "name", type: "text" }] }] };
    expect((await request.post("/api/v1/apps", { headers, data: manifest })).status()).toBe(200);
    const res = await request.post(`/api/v1/apps/${appId}/collections/${entity}`, { headers, data: { [key]: "ann@linked.test", name: `${appId} Ann` } });
    expect(res.status()).toBe(201);
    ids[appId] = ((await res.json()) as { id: string }).id;
  }
  return ids;
}

test("a record's side panel lists its linked records in other apps, and each opens in its own app", async ({ page, request }) => {
  const ids = await install(request);
  const console = collectConsoleErrors(page);
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/applications/e2e_lcrm");
  const row = page.getByRole("table", { name: "Records" }).locator("tbody").getByRole("row").first();
  await expect(row).toContainText("e2e_lcrm Ann");
  await row.getByRole("button", { name: /^Edit/ }).click();

  const panel = page.getByTestId("linked-records");
  await expect(panel.getByRole("heading", { name: "Linked records" })).toBeVisible();
  const linked = panel.getByTestId("linked-record");
  await expect(linked).toHaveCount(2);
  await expect(linked.nth(0)).toContainText("e2e_ldesk · requester");
  await expect(linked.nth(0)).toContainText("e2e_ldesk Ann");
  await expect(linked.nth(1)).toContainText("e2e_lshop · customer");
  await expectNoSeriousA11yViolations(page, ['[data-testid="linked-records"]']);

  await linked.nth(1).getByRole("link", { name: "Open e2e_lshop customer" }).click();
  await expect(page).toHaveURL(new RegExp(`/applications/e2e_lshop\\?entity=customer&record=${ids.e2e_lshop}`));
  // The customer opens in its side panel, with its own links back to crm and desk.
  await expect(page.getByRole("form", { name: /^Edit customer / })).toBeVisible();
  await expect(page.getByRole("form", { name: /^Edit customer / }).getByLabel("name", { exact: true })).toHaveValue("e2e_lshop Ann");
  await expect(page.getByTestId("linked-record")).toHaveCount(2);
  await expect(page.getByTestId("linked-records")).toContainText("e2e_lcrm · contact");
  expect(console.errors).toEqual([]);
});
