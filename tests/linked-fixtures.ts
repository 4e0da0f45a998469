import { expect } from "vitest";
import { api, signUpAndIn, type Session, type TestCore } from "./harness.ts";

/**
 * Three apps whose people share the identity kind `person` (crm and shop keyed by `email`, desk by `mail`), a
 * fourth (legacy) whose `score` is text where the others' is a number, and one entity without an identity kind.
 */
export const APPS = {
  crm: {
    appId: "crm",
    name: "CRM",
    dataContract: [
      { entityName: "contact", identityKind: "person", identityKey: "email", fields: [{ name: "email", type: "text" }, { name: "name", type: "text" }, { name: "score", type: "number" }] },
      { entityName: "note", fields: [{ name: "body", type: "text" }] },
    ],
  },
  shop: {
    appId: "shop",
    name: "Shop",
    dataContract: [{ entityName: "customer", identityKind: "person", identityKey: "email", fields: [{ name: "email", type: "text" }, { name: "name", type: "text" }, { name: "score", type: "number" }, { name: "tier", type: "text" }] }],
  },
  desk: {
    appId: "desk",
    name: "Desk",
    dataContract: [{ entityName: "requester", identityKind: "person", identityKey: "mail", fields: [{ name: "mail", type: "text" }, { name: "name", type: "text" }, { name: "score", type: "number" }] }],
  },
  legacy: {
    appId: "legacy",
    name: "Legacy",
    dataContract: [{ entityName: "person_row", identityKind: "person", identityKey: "email", fields: [{ name: "email", type: "text" }, { name: "name", type: "text" }, { name: "score", type: "text" }] }],
  },
  other: {
    appId: "other",
    name: "Other",
    dataContract: [{ entityName: "company", identityKind: "organisation", identityKey: "domain", fields: [{ name: "domain", type: "text" }] }],
  },
};

export interface World {
  admin: Session;
  /** Reads crm.contact and shop.customer. */
  alice: Session;
  /** Reads crm.contact and desk.requester. */
  bob: Session;
  /** Reads shop.customer only. */
  carol: Session;
  /** Reads nothing. */
  nobody: Session;
  /** Record ids by app: `ids.crm["ann@x.test"]`. */
  ids: Record<"crm" | "shop" | "desk" | "legacy", Record<string, string>>;
}

/** People per app: ann everywhere, ben in crm and desk, cat in shop only, plus fillers for paging. */
export const PEOPLE = {
  crm: ["ann@x.test", "ben@x.test", "dan@x.test", ...Array.from({ length: 5 }, (_, i) => `crm${i}@x.test`)],
  shop: ["ann@x.test", "cat@x.test", ...Array.from({ length: 6 }, (_, i) => `shop${i}@x.test`)],
  desk: ["ann@x.test", "ben@x.test", ...Array.from({ length: 4 }, (_, i) => `desk${i}@x.test`)],
  legacy: ["ann@x.test"],
};

const PATH = { crm: "crm/collections/contact", shop: "shop/collections/customer", desk: "desk/collections/requester", legacy: "legacy/collections/person_row" } as const;
export const path = (app: keyof typeof PATH) => `/api/v1/apps/${PATH[app]}`;

export async function buildWorld(core: TestCore, prefix: string): Promise<World> {
  const admin = await signUpAndIn(core, `admin@${prefix}.test`);
  for (const manifest of Object.values(APPS)) {
    const res = await api(core, "POST", "/api/v1/apps", manifest, admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  const ids = { crm: {}, shop: {}, desk: {}, legacy: {} } as World["ids"];
  for (const app of ["crm", "shop", "desk", "legacy"] as const) {
    // Scores have one, two or three digits, so that numeric and textual order disagree.
    const rows = PEOPLE[app].map((email, i) => ({ [app === "desk" ? "mail" : "email"]: email, name: `${app}-${email.split("@")[0]}`, score: app === "legacy" ? "7" : ((i * 37) % 101) * (i % 2 ? 10 : 1) }));
    const res = await api(core, "POST", `${path(app)}/bulk`, rows, admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    for (const row of res.body as Record<string, string>[]) ids[app][row.email ?? row.mail!] = row.id!;
  }
  const user = async (name: string, permissions: string[]) => {
    const session = await signUpAndIn(core, `${name}@${prefix}.test`);
    if (permissions.length) {
      expect((await api(core, "POST", "/api/v1/roles", { name: `${name}-role`, permissions }, admin.accessToken)).status).toBe(200);
      expect((await api(core, "POST", "/api/v1/roles/assign", { userId: session.userId, role: `${name}-role` }, admin.accessToken)).status).toBe(200);
    }
    return session;
  };
  return {
    admin,
    alice: await user("alice", ["app:crm:contact.read", "app:shop:customer.read"]),
    bob: await user("bob", ["app:crm:contact.read", "app:desk:requester.read"]),
    carol: await user("carol", ["app:shop:customer.read"]),
    nobody: await user("nobody", []),
    ids,
  };
}

/** A call whose raw answer text is kept, for assertions that no id or marker appears anywhere in it. */
export async function raw(core: TestCore, method: string, url: string, token: string, body?: unknown): Promise<{ status: number; text: string; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any -- test assertions read arbitrary JSON
  const res = await fetch(core.url + url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

/** Asserts that none of `secrets` (ids, names, app names) occurs in `text`. */
export function expectNoneIn(text: string, secrets: string[]): void {
  expect(secrets.length).toBeGreaterThan(0);
  for (const s of secrets) expect(text, `leaked ${s}`).not.toContain(s);
}
