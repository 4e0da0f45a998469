import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

// The embedded cluster is initialised with ICU's root collation, so text sorts as people read it (case and
// accents are secondary differences), not by byte (C: "Banana" < "apple" < "Ápfel"). The test PostgreSQL is
// that embedded cluster (tests/global-setup.ts) unless TEST_DATABASE_URL names another, whose collation is its own.
const external = process.env.TEST_DATABASE_URL !== undefined;
let core: TestCore;
let admin: Session;
const T = "/api/v1/apps/sorting/collections/book";

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@collation.test");
  const app = await api(core, "POST", "/api/v1/apps", { appId: "sorting", name: "Sorting", dataContract: [{ entityName: "book", fields: [{ name: "title", type: "text" }] }] }, admin.accessToken);
  expect(app.status).toBe(200);
  for (const title of ["Banana", "apple", "Ápfel", "cherry"]) {
    expect((await api(core, "POST", T, { title }, admin.accessToken)).status).toBe(201);
  }
});
afterAll(async () => {
  await core?.dispose();
});

describe.skipIf(external)("embedded database collation", () => {
  it("creates databases whose default collation is ICU's root locale", async () => {
    const { rows } = await core.core.db.pool.query<{ provider: string; locale: string }>(
      "SELECT datlocprovider::text AS provider, datlocale AS locale FROM pg_database WHERE datname = current_database()",
    );
    expect(rows).toEqual([{ provider: "i", locale: "und" }]);
  });

  it("sorts the Data API's text linguistically, ascending and descending", async () => {
    const asc = await api(core, "GET", `${T}?sort=title&order=asc`, undefined, admin.accessToken);
    expect(asc.status).toBe(200);
    expect(asc.body.map((r: { title: string }) => r.title)).toEqual(["Ápfel", "apple", "Banana", "cherry"]);
    const desc = await api(core, "GET", `${T}?sort=title&order=desc`, undefined, admin.accessToken);
    expect(desc.body.map((r: { title: string }) => r.title)).toEqual(["cherry", "Banana", "apple", "Ápfel"]);
  });
});
