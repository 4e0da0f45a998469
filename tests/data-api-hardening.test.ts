import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toCoreError } from "../src/server/errors.ts";
import { rawRequest as raw } from "./raw-http.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

/** Issue 10: the Data API never alters a value silently, and no input gets a 5xx. */

let core: TestCore;
let admin: Session;
let creator: Session;
let db: pg.Pool;
const T = "/api/v1/apps/hard/collections/t";

/** A call whose body is sent as the exact text given (JSON.stringify would already round big numbers). */
async function rawJson(method: string, path: string, text: string | Buffer, token = admin.accessToken) {
  const res = await fetch(core.url + path, { method, headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: typeof text === "string" ? text : new Blob([new Uint8Array(text)]) });
  const body = await res.text();
  return { status: res.status, text: body, body: body ? JSON.parse(body) : undefined };
}

/** One request written byte for byte on a socket: any method token, any path, as a client could send it. */
const rawRequest = (method: string, path: string, token?: string, body = "", extraHeaders = "") => raw(core.url, method, path, { token, body, extraHeaders, timeoutMs: 10_000 });

const stored = async (id: string, column: string) => (await db.query(`SELECT ${column}::text AS v FROM hard.t WHERE id = $1`, [id])).rows[0]?.v as string | null | undefined;
const count = async () => (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM hard.t")).rows[0]!.n;

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@hard.test");
  db = new pg.Pool({ connectionString: core.database.url, max: 2 });
  const res = await api(core, "POST", "/api/v1/apps", {
    appId: "hard",
    name: "Hardening",
    dataContract: [{
      entityName: "t",
      fields: [
        { name: "title", type: "text" },
        { name: "status", type: "text", default_value: "open" },
        { name: "kind", type: "text", required: true, default_value: "plain" },
        { name: "qty", type: "number" },
        { name: "nums", type: "[number]" },
        { name: "tags", type: "[text]" },
        { name: "meta", type: "json" },
        { name: "due", type: "date" },
        { name: "seen_at", type: "timestamp" },
        { name: "done", type: "boolean" },
      ],
    }],
  }, admin.accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  creator = await signUpAndIn(core, "creator@hard.test");
  expect((await api(core, "POST", "/api/v1/roles", { name: "t-creator", permissions: ["app:hard:t.create"] }, admin.accessToken)).status).toBe(200);
  expect((await api(core, "POST", "/api/v1/roles/assign", { userId: creator.userId, role: "t-creator" }, admin.accessToken)).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await db.end();
  await core.dispose();
});

describe("bulk create", () => {
  it("a key a row leaves out takes the column's default, as in a single create (a required one with a default included)", async () => {
    const res = await api(core, "POST", `${T}/bulk`, [{ title: "x", status: "closed", kind: "special" }, { title: "y" }, { title: "z", status: null }], admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.map((r: Record<string, unknown>) => [r.title, r.status, r.kind])).toEqual([["x", "closed", "special"], ["y", "open", "plain"], ["z", null, "plain"]]);
    expect(await stored(res.body[1].id, "status")).toBe("open");
    const single = await api(core, "POST", T, { title: "w" }, admin.accessToken);
    expect([single.body.status, single.body.kind]).toEqual(["open", "plain"]);
  });

  it("a create-only user bulk-creates like it creates one record: 201 with the new ids only", async () => {
    const one = await api(core, "POST", T, { title: "blind-1" }, creator.accessToken);
    expect(one.status, JSON.stringify(one.body)).toBe(201);
    expect(Object.keys(one.body)).toEqual(["id"]);
    const bulk = await api(core, "POST", `${T}/bulk`, [{ title: "blind-2" }, { title: "blind-3", status: "closed" }], creator.accessToken);
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(201);
    expect(bulk.body).toHaveLength(2);
    expect(bulk.body.map((r: object) => Object.keys(r))).toEqual([["id"], ["id"]]);
    const rows = await db.query("SELECT id::text, title, status FROM hard.t WHERE id = ANY($1::uuid[]) ORDER BY title", [bulk.body.map((r: { id: string }) => r.id)]);
    expect(rows.rows).toEqual([{ id: bulk.body[0].id, title: "blind-2", status: "open" }, { id: bulk.body[1].id, title: "blind-3", status: "closed" }]);
    // Still no read: the ids it got back show it nothing.
    expect((await api(core, "GET", `${T}/${bulk.body[0].id}`, undefined, creator.accessToken)).status).toBe(404);
  });
});

describe("numbers keep their digits", () => {
  it("a big integer in a json field is stored and answered with every digit, in create, bulk, update and where", async () => {
    const created = await rawJson("POST", T, '{"title":"big","meta":{"n":750727362669608961,"f":0.10000000000000001,"e":1e400}}');
    expect(created.status, created.text).toBe(201);
    expect(created.text).toContain("750727362669608961");
    const id = created.body.id as string;
    expect(await stored(id, "meta->>'n'")).toBe("750727362669608961");
    expect(await stored(id, "meta->>'f'")).toBe("0.10000000000000001");
    expect(await stored(id, "meta->>'e'")).toMatch(/^1000000000/);
    expect((await fetch(`${core.url}${T}/${id}`, { headers: { authorization: `Bearer ${admin.accessToken}` } }).then((r) => r.text()))).toContain('"n": 750727362669608961');

    const bulk = await rawJson("POST", `${T}/bulk`, '[{"title":"big2","meta":[9007199254740993]}]');
    expect(bulk.status, bulk.text).toBe(201);
    expect(await stored(bulk.body[0].id, "meta")).toBe("[9007199254740993]");
    const patched = await rawJson("PATCH", `${T}/${id}`, '{"meta":{"n":123456789012345678901234567890}}');
    expect(patched.status, patched.text).toBe(200);
    expect(await stored(id, "meta->>'n'")).toBe("123456789012345678901234567890");

    const match = await rawJson("POST", `${T}/query`, '{"where":{"meta":{"n":123456789012345678901234567890}}}');
    expect(match.status, match.text).toBe(200);
    expect(match.body.data.map((r: { id: string }) => r.id)).toEqual([id]);
    const near = await rawJson("POST", `${T}/query`, '{"where":{"meta":{"$contains":{"n":123456789012345678901234567891}}}}');
    expect(near.body.total).toBe(0);
  });

  it("a number field refuses what double precision cannot hold (overflow, underflow, integers past 2^53, extra digits) and stores nothing", async () => {
    const before = await count();
    for (const [body, why] of [
      ['{"title":"o","qty":"1e400"}', /field "qty".*"1e400".*out of range/],
      ['{"title":"o","qty":1e400}', /field "qty".*1e400.*out of range/],
      ['{"title":"o","qty":-1e400}', /field "qty".*out of range/],
      ['{"title":"o","nums":["1e400",1]}', /field "nums".*out of range/],
      ['{"title":"o","nums":[1,1e-400]}', /field "nums".*without changing its digits/],
      ['{"title":"o","qty":750727362669608961}', /field "qty".*750727362669608961.*without changing its digits/],
      ['{"title":"o","qty":9007199254740993}', /field "qty".*without changing its digits/],
      ['{"title":"o","qty":0.10000000000000001}', /field "qty".*without changing its digits/],
      ['{"title":"o","qty":"1e-400"}', /field "qty".*without changing its digits/],
    ] as const) {
      const where = await rawJson("POST", `${T}/query`, `{"where":${body.replace('"title":"o",', "")}}`);
      expect(where.status, `where ${body} → ${where.text}`).toBe(400);
      expect(where.body.error).toMatch(why);
      const res = await rawJson("POST", T, body);
      expect(res.status, `${body} → ${res.text}`).toBe(400);
      expect(res.body.error).toMatch(why);
      const bulk = await rawJson("POST", `${T}/bulk`, `[${body}]`);
      expect(bulk.status, `${body} → ${bulk.text}`).toBe(400);
      expect(bulk.body.error).toMatch(why);
    }
    expect(await count()).toBe(before);
  });

  it("a number field keeps what it can hold exactly: 2^53 − 1, 0.1, 1e300, -0 and numeric strings", async () => {
    const res = await rawJson("POST", `${T}/bulk`, '[{"qty":9007199254740991},{"qty":0.1},{"qty":1e300},{"qty":-0},{"qty":" 2.50 "},{"nums":["-0",5e-324,"1.7976931348623157e308"]}]');
    expect(res.status, res.text).toBe(201);
    const values = await Promise.all(res.body.slice(0, 5).map((r: { id: string }) => stored(r.id, "qty")));
    expect(values).toEqual(["9.007199254740991e+15", "0.1", "1e+300", "-0", "2.5"]);
    expect(await stored(res.body[5].id, "nums")).toBe("{-0,5e-324,1.7976931348623157e+308}");
  });

  it("other routes still get plain numbers, and refuse one they would round", async () => {
    const ok = await rawJson("POST", `${T}/query`, '{"limit":2}');
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.data).toHaveLength(2);
    const big = await rawJson("POST", `${T}/query`, '{"limit":750727362669608961}');
    expect(big.status).toBe(400);
    expect(big.body.error).toMatch(/limit/);
  });
});

describe("no value is altered on its way to PostgreSQL", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["NUL in text", { title: "a\u0000b" }, /field "title".*NUL/],
    ["NUL in a [text] element", { tags: ["ok", "a\u0000"] }, /field "tags".*NUL/],
    ["NUL in a json string", { meta: { a: "x\u0000" } }, /field "meta".*NUL/],
    ["NUL in a json key", { meta: { "k\u0000": 1 } }, /field "meta".*NUL/],
    ["lone surrogate in text", { title: "a\ud800b" }, /field "title".*surrogate/],
    ["lone surrogate in a json string", { meta: ["\udc00"] }, /field "meta".*surrogate/],
    ["timestamp beyond a Date (1e20 ms)", { seen_at: 1e20 }, /field "seen_at"/],
    ["timestamp with a fraction of a millisecond", { seen_at: 1.5 }, /field "seen_at"/],
    ["timestamp past year 9999", { seen_at: "+275760-09-13T00:00:00Z" }, /field "seen_at"/],
    ["timestamp in year 0", { seen_at: "0000-01-01T00:00:00Z" }, /field "seen_at"/],
    ["timestamp with nanoseconds PostgreSQL would round", { seen_at: "2026-01-01T00:00:00.123456789Z" }, /field "seen_at".*6 fractional/],
    ["timestamp with a leap second PostgreSQL would roll over", { seen_at: "2026-12-31T23:59:60Z" }, /field "seen_at"/],
    ["timestamp offset past ±15:59", { seen_at: "2026-01-01T10:00:00+16:00" }, /field "seen_at"/],
    ["timestamp whose instant is in the year 10000 in UTC", { seen_at: "9999-12-31T23:59:59-01:00" }, /field "seen_at".*in UTC/],
    ["timestamp whose instant is before the year 0001 in UTC", { seen_at: "0001-01-01T00:30:00+01:00" }, /field "seen_at".*in UTC/],
    ["date that does not exist", { due: "2026-02-30" }, /field "due"/],
    ["date with trailing garbage", { due: "2026-01-01garbage" }, /field "due"/],
    ["json nested deeper than 128 levels", { meta: JSON.parse("[".repeat(200) + "]".repeat(200)) }, /field "meta".*nested/],
  ];
  for (const [name, record, why] of cases) {
    it(`${name} → 400 naming the field, nothing stored`, async () => {
      const before = await count();
      for (const [path, body] of [[T, { title: "t", ...record }], [`${T}/bulk`, [{ title: "t", ...record }]]] as const) {
        const res = await api(core, "POST", path, body, admin.accessToken);
        expect(res.status, JSON.stringify(res.body)).toBe(400);
        expect(res.body.error).toMatch(why);
      }
      expect(await count()).toBe(before);
    });
  }

  it("a body that is not UTF-8 is refused, not stored with U+FFFD", async () => {
    const bytes = Buffer.concat([Buffer.from('{"title":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const res = await rawJson("POST", T, bytes);
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toBe("request body is not valid UTF-8");
    expect((await db.query("SELECT count(*)::int AS n FROM hard.t WHERE title LIKE 'caf%'")).rows[0].n).toBe(0);
  });

  it("a query-string filter that is not UTF-8 once decoded is refused, not searched for as U+FFFD", async () => {
    await api(core, "POST", T, { title: "\ufffd" }, admin.accessToken);
    for (const qs of ["title=%FF", "title=caf%E9", "title=%ED%A0%80", "%FF=1"]) {
      const res = await api(core, "GET", `${T}?${qs}`, undefined, admin.accessToken);
      expect(res.status, `${qs} → ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error).toBe("the query string is not valid UTF-8 once percent-decoded");
    }
    const fine = await api(core, "GET", `${T}?title=%EF%BF%BD&limit=5`, undefined, admin.accessToken);
    expect(fine.status).toBe(200);
    expect(fine.body.map((r: { title: string }) => r.title)).toEqual(["\ufffd"]);
    expect((await api(core, "GET", `${T}?title=100%&sort=title`, undefined, admin.accessToken)).status).toBe(200);
  });

  it("valid timestamps and dates are kept as written: microseconds, offsets, epoch milliseconds", async () => {
    const res = await api(core, "POST", `${T}/bulk`, [{ seen_at: "2026-01-01T10:00:00.123456+05:30" }, { seen_at: 1700000000000 }, { due: "0001-01-01" }, { due: "9999-12-31" }], admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const [a, b, c, d] = res.body.map((r: { id: string }) => r.id);
    expect((await db.query("SELECT to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS v", [await stored(a, "seen_at")])).rows[0].v).toBe("2026-01-01 04:30:00.123456");
    expect(Date.parse((await api(core, "GET", `${T}/${b}`, undefined, admin.accessToken)).body.seen_at)).toBe(1700000000000);
    expect([await stored(c, "due"), await stored(d, "due")]).toEqual(["0001-01-01", "9999-12-31"]);
  });
});

describe("negation includes NULL rows (IS DISTINCT FROM)", () => {
  const N = "/api/v1/apps/hard/collections/t";
  let ids: Record<string, string>;
  beforeAll(async () => {
    const res = await api(core, "POST", `${N}/bulk`, [{ title: "a", status: "neg" }, { title: "b", status: "neg" }, { title: null, status: "neg" }], admin.accessToken);
    expect(res.status).toBe(201);
    ids = { a: res.body[0].id, b: res.body[1].id, null: res.body[2].id };
  });
  const titles = async (where: unknown) => {
    const res = await api(core, "POST", `${N}/query`, { where: { $and: [{ status: "neg" }, where] } }, admin.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.data.map((r: { title: string | null }) => r.title).sort();
  };

  it("$ne, $nin and $not keep the rows whose field is NULL", async () => {
    expect(await titles({ title: { $ne: "a" } })).toEqual(["b", null]);
    expect(await titles({ title: { $nin: ["a"] } })).toEqual(["b", null]);
    expect(await titles({ $not: { title: "a" } })).toEqual(["b", null]);
    expect(await titles({ $not: { title: { $like: "a%" } } })).toEqual(["b", null]);
    expect(await titles({ $not: { title: { $in: ["a", "b"] } } })).toEqual([null]);
  });

  it("the positive forms and double negation are unchanged", async () => {
    expect(await titles({ title: { $eq: "a" } })).toEqual(["a"]);
    expect(await titles({ title: { $in: ["a"] } })).toEqual(["a"]);
    expect(await titles({ $not: { $not: { title: "a" } } })).toEqual(["a"]);
    expect(await titles({ title: { $ne: null } })).toEqual(["a", "b"]);
    const list = await api(core, "GET", `${N}?status=neg&title=a`, undefined, admin.accessToken);
    expect(list.body.map((r: { id: string }) => r.id)).toEqual([ids.a]);
  });
});

describe("no input gets a 5xx", () => {
  it("a NUL in a query-string filter or a where value → 400 naming the field", async () => {
    const list = await api(core, "GET", `${T}?title=%00`, undefined, admin.accessToken);
    expect(list.status, JSON.stringify(list.body)).toBe(400);
    expect(list.body.error).toMatch(/field "title".*NUL/);
    for (const where of [{ title: "\u0000" }, { title: { $like: "%\u0000" } }, { tags: { $contains: ["\u0000"] } }, { title: { $in: ["a", "\u0000"] } }, { meta: { $contains: { "\u0000": 1 } } }]) {
      const res = await api(core, "POST", `${T}/query`, { where }, admin.accessToken);
      expect(res.status, `${JSON.stringify(where)} → ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error).toMatch(/field "(title|tags|meta)".*NUL/);
    }
  });

  it("an out-of-range timestamp or date in where or a filter → 400 naming the field", async () => {
    for (const where of [{ updated_at: 1e20 }, { created_at: { $gt: -1e20 } }, { seen_at: { $lt: "99999-01-01" } }, { due: { $in: ["2026-02-30"] } }]) {
      const res = await api(core, "POST", `${T}/query`, { where }, admin.accessToken);
      expect(res.status, `${JSON.stringify(where)} → ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error).toMatch(/field "(updated_at|created_at|seen_at|due)"/);
    }
    const list = await api(core, "GET", `${T}?created_at=99999-01-01`, undefined, admin.accessToken);
    expect(list.status).toBe(400);
    expect(list.body.error).toMatch(/field "created_at"/);
  });

  it("PostgreSQL's errors that input can cause map to 4xx in the one error table", async () => {
    const client = new pg.Client({ connectionString: core.database.url });
    await client.connect();
    const codeOf = async (sql: string) => client.query(sql).then(() => undefined, (err: unknown) => err);
    try {
      await client.query("CREATE TEMP TABLE ex (a int, EXCLUDE USING btree (a WITH =))");
      await client.query("INSERT INTO ex VALUES (1)");
      for (const [sql, code, status, message] of [
        ["SELECT '2026-02-30'::date", "22008", 400, /invalid value: .*out of range/],
        ["SELECT 'x' ~ '('", "2201B", 400, /invalid value: .*regular expression/],
        ["SELECT 1e400::float8", "22003", 400, /invalid value: .*out of range/],
        ["SELECT 'nope'::uuid", "22P02", 400, /invalid value: .*uuid/],
        ["SELECT '\"\\u0000\"'::jsonb", "22P05", 400, /invalid value: unsupported Unicode escape sequence/],
        ["INSERT INTO ex VALUES (1)", "23P01", 409, /exclusion constraint/],
        [`SELECT concat(${Array.from({ length: 101 }, (_, i) => i).join(",")})`, "54023", 400, /too large or complex/],
      ] as const) {
        const err = await codeOf(sql);
        expect((err as { code?: string }).code, sql.slice(0, 40)).toBe(code);
        const mapped = toCoreError(err);
        expect(mapped.status, sql.slice(0, 40)).toBe(status);
        expect(mapped.message).toMatch(message);
      }
    } finally {
      await client.end();
    }
  });

  it("hostile methods and paths answer 2xx–4xx, and the Core still answers /health", async () => {
    const paths = ["/api/v1/%", "/api/v1/apps/%ZZ", "/api/v1/apps/%ZZ/collections/%ZZ", "/api/v1//apps", "//api/v1/apps", "/api/v1/apps/%00", `${T}/%00`, `${T}?title=%ZZ`,
      `${T}?%00=1`, `/api/v1/${"a/".repeat(3000)}`, `/api/v1/apps/${"x".repeat(5000)}/collections/t`, "/api/v1/apps/hard/collections/t/..%2f..%2fusers", "/api/v1/apps/%ED%A0%80", "/api/v1", "/api/v1/", "/api/trpc/%ZZ", "/api/trpc/data.list?input=%ZZ", "/%", "*", "/health?%ZZ"];
    const wrong: string[] = [];
    for (const method of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "MKCOL", "SEARCH", "CONNECT"]) {
      for (const path of paths) {
        const status = await rawRequest(method, path, admin.accessToken, method === "GET" || method === "HEAD" ? "" : "{}");
        if (status < 200 || status >= 500) wrong.push(`${method} ${path.slice(0, 80)} → ${status}`);
      }
    }
    for (const headers of ["Upgrade: websocket\r\nConnection: Upgrade\r\n", "Expect: 100-continue\r\n", "Transfer-Encoding: chunked\r\n", "Content-Encoding: gzip\r\n"]) {
      const status = await rawRequest("POST", `${T}/query`, admin.accessToken, headers.startsWith("Transfer") ? "" : "{}", headers);
      if (status < 200 || status >= 500) wrong.push(`POST with ${headers.trim()} → ${status}`);
    }
    expect(wrong).toEqual([]);
    expect((await api(core, "GET", "/health")).status).toBe(200);
  }, 60_000);
});
