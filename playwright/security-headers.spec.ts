import { expect, test } from "@playwright/test";
import { ADMIN, signIn } from "./fixtures.ts";

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

test("Studio pages carry the security headers; the Studio renders, signs in and restores its cookie session under its CSP", async ({ page, baseURL }) => {
  // Every violation the page reports, from the very first script on.
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations!.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const consoleViolations: string[] = [];
  page.on("console", (m) => {
    if (/content security policy/i.test(m.text())) consoleViolations.push(m.text());
  });

  const res = await page.goto("/login");
  expect(res?.status()).toBe(200);
  const h = res!.headers();
  expect(h["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(h["content-security-policy"]).toContain("object-src 'none'");
  expect(h["content-security-policy"]).not.toContain("unsafe-eval");
  expect(h["x-frame-options"]).toBe("DENY");
  expect(h["x-content-type-options"]).toBe("nosniff");
  expect(h["referrer-policy"]).toBe("strict-origin-when-cross-origin");

  await signIn(page, ADMIN.email, ADMIN.password);
  // A reload has no access token in memory: the Studio gets one through auth.refresh with its cookie, from its own origin.
  await page.reload();
  await expect(page.getByTestId("signed-in-as")).toBeVisible();
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Secrets" }).click();
  await expect(page.getByRole("region", { name: "Platform secrets" })).toBeVisible();

  expect(await page.evaluate(() => window.__cspViolations)).toEqual([]);
  expect(consoleViolations).toEqual([]);

  // Another page cannot frame the Studio.
  const framing = await page.context().newPage();
  const refused = framing.waitForEvent("console", { predicate: (m) => /frame-ancestors/.test(m.text()) });
  await framing.setContent(`<iframe id="studio" src="${baseURL}/login"></iframe>`);
  await refused;
  const frame = framing.frames().find((f) => f !== framing.mainFrame());
  expect(frame).toBeDefined();
  await expect(framing.frameLocator("#studio").getByRole("button", { name: "Sign in" })).toHaveCount(0);
});
