import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FIELD_TYPES, type FieldType } from "../src/server/apps/manifest.ts";
import { WHERE_OPERATORS } from "../src/server/data/where.ts";
import { restRoutes } from "../src/server/http/rest-routes.ts";
import { fcParams } from "./fast-check.ts";
import { whereArbitrary } from "./where-arbitrary.ts";
import { rawRequest as raw } from "./raw-http.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

/**
 * Issue 10 §2, generated: hostile values for every field type and every operator of the where language, hostile
 * query strings and bodies, and hostile methods and paths across every registered REST route. No answer may be
 * a 5xx (or a dropped connection), and the Core must still answer /health afterwards.
 *
 * Replay a failure with the seed (and path) fast-check prints: `FC_SEED=… FC_PATH=… npx vitest run <this file>`
 * (tests/fast-check.ts).
 */

let core: TestCore;
let admin: Session;
let member: Session;
const APP = "fuzz";
const BASE = `/api/v1/apps/${APP}/collections/all`;
/** One field per manifest type, so that a new type is fuzzed as soon as it exists. */
const FIELDS = (Object.keys(FIELD_TYPES) as FieldType[]).map((type) => ({ name: `f_${type.replace(/\W/g, "") || "x"}${type.startsWith("[") ? "_arr" : ""}`, type }));
const COLUMNS = [...FIELDS.map((f) => f.name), "id", "created_at", "updated_at"];
let someId = "00000000-0000-4000-8000-000000000000";

/** A JSON number written exactly as given (JSON.stringify cannot write 1e400 or 750727362669608961). */
class RawNumber {
  constructor(readonly text: string) {}
}
const toJsonText = (v: unknown): string => {
  if (v instanceof RawNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(",")}]`;
  if (v !== null && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJsonText(x)}`).join(",")}}`;
  return JSON.stringify(v) ?? "null";
};

const nasty = fc.constantFrom("\u0000", "a\u0000b", "\ud800", "x\udfff", "\ufeff", "\u202e", "%00", "'", "\"", "\\", "a\\", "%", "_", "' OR 1=1 --", "$1", "?", "::", "NaN", "Infinity", "-Infinity", "", " ", "null", "true",
  "00000000-0000-0000-0000-000000000000", "0000000-0000-0000-0000-000000000000", "2026-02-30", "0000-01-01", "99999-01-01", "2026-01-01T25:00:00Z", "+275760-09-13T00:00:00Z", "-271821-04-20T00:00:00Z",
  "infinity", "-infinity", "now", "epoch", "allballs", "2026-01-01T00:00:00.1234567Z", "2026-12-31T23:59:60Z", "2026-01-01T00:00:00+16:00", "1e400", "-1e400", "1e-400", "0x10", "1_000", "١٢٣", "x".repeat(3000));
const rawNumber = fc.constantFrom("1e400", "-1e400", "1e-400", "-0", "750727362669608961", "0.10000000000000001", "9007199254740993", "1e20", "-1e20", "8640000000000001", "1e1000000", "1e-20000", "123456789012345678901234567890", `1${"0".repeat(400)}`, "5e-324", "1.7976931348623157e308").map((t) => new RawNumber(t));
const scalar = fc.oneof(nasty, fc.string({ maxLength: 6 }), fc.string({ unit: "binary", maxLength: 6 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), rawNumber, fc.constantFrom(1e20, -1e20, 8.64e15 + 1, 1.5, -0, 2 ** 53 + 2));
const deep = fc.constantFrom(200, 2000).map((n) => JSON.parse(`${"[".repeat(n)}${"]".repeat(n)}`) as unknown);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  fc.array(scalar, { maxLength: 4 }),
  fc.dictionary(fc.oneof(fc.string({ maxLength: 4 }), nasty), scalar, { maxKeys: 3 }),
  deep,
);
const column = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...COLUMNS) }, fc.oneof(nasty, fc.string({ maxLength: 8 })));
const fieldOps = WHERE_OPERATORS.filter((op) => !["$and", "$or", "$not"].includes(op));
const operator = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...fieldOps) }, fc.constantFrom("$regex", "$where", "$", "eq", "$and", "$not"));
const where = whereArbitrary(column, operator, value);
const record = fc.dictionary(column, value, { maxKeys: 5 });

/** One request written byte for byte: any method token, any path, any body bytes. */
const rawRequest = (method: string, path: string, token: string | undefined, body: string | Buffer = "") => raw(core.url, method, path, { token, body });

/** The admin's token, signed in again if a generated call (logout, a revoke) ended its session. */
let adminValid = true;
async function adminToken(): Promise<string> {
  if (!adminValid) {
    admin = await signUpAndIn(core, admin.email);
    adminValid = true;
  }
  return admin.accessToken;
}

async function expectNo5xx(method: string, path: string, token: string | undefined, body: string | Buffer = "") {
  const status = await rawRequest(method, path, token, body);
  if (token === admin.accessToken && status === 401) adminValid = false;
  expect(status, `${method} ${path.slice(0, 200)} ${typeof body === "string" ? body.slice(0, 300) : `<${body.length} bytes>`} → ${status}`).toBeGreaterThanOrEqual(200);
  expect(status, `${method} ${path.slice(0, 200)} ${typeof body === "string" ? body.slice(0, 300) : `<${body.length} bytes>`} → ${status}`).toBeLessThan(500);
}

/**
 * Installs the fixture app and its seed rows unless they are there. The route fuzz may legitimately uninstall
 * the app or delete the row (an admin's DELETE /apps/fuzz is a valid request), so every test starts from it.
 */
async function ensureFixture() {
  const token = await adminToken();
  if ((await api(core, "GET", `${BASE}/${someId}`, undefined, token)).status === 200) return;
  await api(core, "DELETE", `/api/v1/apps/${APP}`, undefined, token);
  const fields = FIELDS.map((f) => (f.type === "entity_link" ? { ...f, references: { entity: "all", field: "id" } } : f));
  const res = await api(core, "POST", "/api/v1/apps", { appId: APP, name: "Fuzz", dataContract: [{ entityName: "all", fields }] }, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const seeded = await api(core, "POST", `${BASE}/bulk`, [{ f_text: "a" }, { f_text: null, f_number: 1 }, { f_json: { n: 1 } }], token);
  expect(seeded.status, JSON.stringify(seeded.body)).toBe(201);
  someId = seeded.body[0].id;
}

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@fuzz.test");
  member = await signUpAndIn(core, "member@fuzz.test");
}, 60_000);
beforeEach(ensureFixture, 60_000);
afterAll(() => core.dispose());

describe("no input gets a 5xx (generated)", () => {
  it("covers every field type and every operator of the where language", () => {
    expect(FIELDS.map((f) => f.type).sort()).toEqual(Object.keys(FIELD_TYPES).sort());
    expect(fieldOps.length).toBeGreaterThanOrEqual(12);
    expect(WHERE_OPERATORS).toEqual(expect.arrayContaining(["$ne", "$nin", "$not", "$contains", "$like", "$isNull"]));
  });

  it("writes: create, bulk and update with hostile values for every field type", async () => {
    await fc.assert(
      fc.asyncProperty(record, fc.array(record, { minLength: 1, maxLength: 3 }), fc.boolean(), async (one, many, asAdmin) => {
        const token = asAdmin ? await adminToken() : member.accessToken;
        await expectNo5xx("POST", BASE, token, toJsonText(one));
        await expectNo5xx("POST", `${BASE}/bulk`, token, toJsonText(many));
        await expectNo5xx("PATCH", `${BASE}/${someId}`, token, toJsonText(one));
      }),
      fcParams({ numRuns: 300 }),
    );
  }, 60_000);

  it("queries: every operator with hostile values, orderBy, limit and offset", async () => {
    const body = fc.record({ where: fc.option(where, { nil: undefined }), orderBy: fc.option(column, { nil: undefined }), order: fc.option(fc.oneof(fc.constantFrom("asc", "desc"), nasty), { nil: undefined }), limit: fc.option(fc.oneof(fc.integer({ min: -5, max: 2000 }), rawNumber, nasty), { nil: undefined }), offset: fc.option(fc.oneof(fc.integer({ min: -1, max: 100 }), rawNumber), { nil: undefined }) });
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        await expectNo5xx("POST", `${BASE}/query`, await adminToken(), toJsonText(b));
      }),
      fcParams({ numRuns: 500 }),
    );
  }, 60_000);

  it("query strings: hostile equality filters, sort, order, limit and offset on the list", async () => {
    const param = fc.tuple(fc.oneof(column, fc.constantFrom("sort", "order", "limit", "offset", "linked")), fc.oneof(nasty, fc.string({ maxLength: 10 }), fc.integer().map(String), rawNumber.map((r) => r.text)));
    await fc.assert(
      fc.asyncProperty(fc.array(param, { minLength: 1, maxLength: 3 }), fc.boolean(), async (params, encode) => {
        // Encoded as a client would, or written raw (the server must cope with %ZZ, %00 and bare bytes).
        const qs = encode ? new URLSearchParams(params).toString() : params.map(([k, v]) => `${k}=${v}`).join("&").replace(/[\s\u0000-\u001f\u007f-\uffff#]/g, (c) => [...Buffer.from(c)].map((x) => `%${x.toString(16).padStart(2, "0")}`).join(""));
        await expectNo5xx("GET", `${BASE}?${qs}`, await adminToken());
      }),
      fcParams({ numRuns: 300 }),
    );
  }, 60_000);

  it("every registered REST route: hostile methods, path segments, bodies and callers", async () => {
    const segment = fc.oneof(
      fc.constantFrom("%", "%ZZ", "%00", "a%00b", "..", "%2e%2e", "%2F", "%ED%A0%80", "%C0%AF", "%FF", "__proto__", "constructor", "rootcx_system", "pg_catalog", "public", "fuzz", "all", "00000000-0000-0000-0000-000000000000", "'", "%22", "a%20b", "x".repeat(1200), ""),
      fc.stringMatching(/^[a-z0-9_]{1,8}$/),
      fc.string({ maxLength: 6 }).map(encodeURIComponent),
    );
    const method = fc.oneof({ weight: 3, arbitrary: fc.constant("") }, fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "MKCOL", "SEARCH", "CONNECT"));
    const body = fc.oneof(
      record.map(toJsonText),
      value.map(toJsonText),
      fc.constantFrom("{", "[]", "null", '"x"', "{}", '{"a":1e400}', '{"limit":750727362669608961}', "\u0000"),
      fc.constant(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
      fc.constant(""),
    );
    const caller = fc.constantFrom("admin", "member", "anonymous");
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...restRoutes), method, fc.array(segment, { minLength: 4, maxLength: 4 }), body, caller, fc.option(fc.string({ maxLength: 12 }).map(encodeURIComponent), { nil: undefined }), async (route, m, segments, b, who, query) => {
        let i = 0;
        const path = `/api/v1${route.path.replace(/:[A-Za-z]+/g, () => segments[i++] ?? "x")}${query ? `?${query}` : ""}`;
        const token = who === "admin" ? await adminToken() : who === "member" ? member.accessToken : undefined;
        await expectNo5xx(m || route.method, path, token, m === "GET" || m === "HEAD" ? "" : b);
      }),
      fcParams({ numRuns: 1500 }),
    );
  }, 60_000);

  it("paths below no route, with any method", async () => {
    const path = fc.oneof(
      fc.array(fc.oneof(fc.string({ maxLength: 6 }).map(encodeURIComponent), fc.constantFrom("%", "%ZZ", "%00", "..", "", "api", "v1", "trpc")), { maxLength: 5 }).map((s) => `/api/v1/${s.join("/")}`),
      fc.array(fc.string({ maxLength: 6 }).map(encodeURIComponent), { maxLength: 3 }).map((s) => `/api/trpc/${s.join(",")}`),
      fc.constantFrom("/", "//", "*", "/%", "/health%00", "/api/v1%00", "/api/v1/%2e%2e/%2e%2e/etc/passwd", `/api/v1/${"a/".repeat(4000)}`),
    );
    await fc.assert(
      fc.asyncProperty(path, fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "CONNECT"), async (p, m) => {
        await expectNo5xx(m, p, await adminToken(), m === "GET" || m === "HEAD" ? "" : "{}");
      }),
      fcParams({ numRuns: 120 }),
    );
    expect((await api(core, "GET", "/health")).status).toBe(200);
    expect((await api(core, "GET", `${BASE}/${someId}`, undefined, await adminToken())).status).toBe(200);
  }, 60_000);
});
