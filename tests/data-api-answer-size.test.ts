import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_ANSWER_BYTES } from "../src/server/data/service.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

/**
 * A list or query answer is built by PostgreSQL as one JSON text; one too large for the driver to turn into a
 * string would end the process. Past MAX_ANSWER_BYTES it is refused with a 400 that says how to page instead.
 */

let core: TestCore;
let admin: Session;
const ROW_BYTES = 1024 * 1024;
const ROWS = MAX_ANSWER_BYTES / ROW_BYTES + 6;
const T = "/api/v1/apps/big/collections/doc";
const TOO_BIG = /^the answer would be \d+ MiB, more than the limit of 64 MiB: ask for fewer rows \(limit and offset\)$/;

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@big.test");
  const installed = await api(core, "POST", "/api/v1/apps", { appId: "big", name: "Big", version: "1.0.0", dataContract: [{ entityName: "doc", fields: [{ name: "body", type: "text" }] }] }, admin.accessToken);
  expect(installed.status).toBe(200);
  // Written directly: the API takes 1 MiB per request, and what matters here is what a read has to send back.
  const db = new pg.Client({ connectionString: core.database.url });
  await db.connect();
  await db.query(`INSERT INTO big.doc (body) SELECT repeat(chr(97 + i % 26), ${ROW_BYTES}) FROM generate_series(1, ${ROWS}) i`);
  await db.end();
}, 120_000);

afterAll(async () => {
  await core?.dispose();
});

describe("answers too large to send", () => {
  it("a list over the limit is refused with how to page, and a page of it is served", async () => {
    expect(await api(core, "GET", T, undefined, admin.accessToken)).toMatchObject({ status: 400, body: { error: expect.stringMatching(TOO_BIG) } });
    const page = await api(core, "GET", `${T}?limit=5`, undefined, admin.accessToken);
    expect(page.status).toBe(200);
    expect(page.body).toHaveLength(5);
    expect(page.body[0].body).toHaveLength(ROW_BYTES);
  });

  it("a query over the limit is refused the same way, and a smaller page is served with the exact total", async () => {
    expect(await api(core, "POST", `${T}/query`, { limit: 1000 }, admin.accessToken)).toMatchObject({ status: 400, body: { error: expect.stringMatching(TOO_BIG) } });
    const page = await api(core, "POST", `${T}/query`, { limit: 3 }, admin.accessToken);
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(3);
    expect(page.body.total).toBe(ROWS);
  });

  it("an empty answer still reads as empty", async () => {
    expect(await api(core, "GET", `${T}?body=none`, undefined, admin.accessToken)).toMatchObject({ status: 200, body: [] });
    expect(await api(core, "POST", `${T}/query`, { where: { body: "none" } }, admin.accessToken)).toMatchObject({ status: 200, body: { data: [], total: 0 } });
    expect((await api(core, "GET", "/health")).status).toBe(200);
  });
});
