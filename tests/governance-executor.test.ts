import { createHmac } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../src/server/auth/principal.ts";
import type { Claims } from "../src/server/governance/executor.ts";
import { PREPARED_PER_CONNECTION } from "../src/server/governance/pipeline.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

// The governed executor's fast path (issue 19): claims that name a stored permission set, a check that
// cannot be fooled by claims changed mid-transaction, and runOne's pipelined, parameterised statements.
let core: TestCore;
let owner: pg.Client;
const users: Record<string, Session> = {};

const principal = (s: Session): Principal => ({ userId: s.userId, email: s.email, sessionId: undefined, displayName: null, createdAt: new Date() });
const as = <T>(who: string | null, fn: (c: pg.PoolClient) => Promise<T>) => core.core.governed.run(who ? principal(users[who]!) : null, {}, fn);
const one = (who: string | null, sql: string, params: unknown[] = [], opts = {}) => core.core.governed.runOne(who ? principal(users[who]!) : null, opts, sql, params);
const count = async (c: pg.PoolClient) => (await c.query("SELECT count(*)::int AS n FROM crm.deals")).rows[0].n as number;
const pidOf = async (c: pg.PoolClient) => (await c.query("SELECT pg_backend_pid() AS p")).rows[0].p as number;

/** Claims the Core would sign for `who` on backend `pid`, with changes. */
async function claimsFor(who: string, pid: number, change: Partial<Claims> = {}): Promise<string> {
  const keys = who === "admin" ? ["*"] : ["app:crm:deals.read"];
  const uid = users[who]!.userId;
  const perms = await core.core.governed.permissionSet(keys);
  return core.core.governed.sign({ uid, delegated: false, actor: uid, delegator: "", trigger: "api", pid, exp: Math.floor(Date.now() / 1000) + 300, perms, ...change }).claims;
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

beforeAll(async () => {
  core = await startTestCore();
  owner = new pg.Client({ connectionString: core.database.url });
  await owner.connect();
  await owner.query(`CREATE SCHEMA crm;
    CREATE TABLE crm.deals (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text NOT NULL, amount int NOT NULL DEFAULT 0);
    SELECT rootcx_system.govern_table('crm.deals', 'crm', 'deals');
    INSERT INTO crm.deals (title, amount) VALUES ('seed one', 10), ('seed two', 20);`);
  users.admin = await signUpAndIn(core, "admin@exec.test");
  expect((await api(core, "POST", "/api/v1/roles", { name: "reader", permissions: ["app:crm:deals.read"] }, users.admin.accessToken)).status).toBe(200);
  expect((await api(core, "POST", "/api/v1/roles", { name: "crm_all", permissions: ["app:crm:*"] }, users.admin.accessToken)).status).toBe(200);
  expect((await api(core, "POST", "/api/v1/roles", { name: "heavy", permissions: Array.from({ length: 500 }, (_, i) => `app:a${i}:deals.read`) }, users.admin.accessToken)).status).toBe(200);
  for (const [name, roles] of [["nobody", []], ["reader", ["reader"]], ["crm_all", ["crm_all"]], ["heavy", ["heavy"]], ["heavy_reader", ["heavy", "reader"]]] as const) {
    users[name] = await signUpAndIn(core, `${name}@exec.test`);
    for (const role of roles) expect((await api(core, "POST", "/api/v1/roles/assign", { userId: users[name]!.userId, role }, users.admin.accessToken)).status).toBe(200);
  }
});
afterAll(async () => {
  await owner?.end();
  await core?.dispose();
});

describe("claims name a stored permission set", () => {
  it("keeps the claims short however many keys the principal holds, and grants exactly what the keys grant", async () => {
    const lengths = await as("heavy_reader", async (c) => {
      const raw = (await c.query("SELECT current_setting('rootcx.claims') AS v")).rows[0].v as string;
      return { raw: raw.length, rows: await count(c) };
    });
    expect(lengths.raw).toBeLessThan(300);
    expect(lengths.rows).toBe(2);
    expect(await as("heavy", count)).toBe(0);
    expect(await as("crm_all", count)).toBe(2);
    const { rows } = await owner.query("SELECT cardinality(keys) AS n FROM rootcx_system.permission_sets ORDER BY n DESC LIMIT 1");
    expect(rows[0].n).toBe(501);
  });

  it("matches wildcards only on whole segments", async () => {
    const check = (held: string[], required: string) =>
      core.core.governed.run(principal(users.nobody!), { delegated: { permissions: held, delegatorUid: users.admin!.userId } }, async (c) => {
        // The executor may call check_access directly, as the policies do.
        return (await c.query("SELECT rootcx_system.check_access($1) AS ok", [required])).rows[0].ok as boolean;
      });
    expect(await check(["app:crm:*"], "app:crm:deals.read")).toBe(true);
    expect(await check(["app:*"], "app:crm:deals.read")).toBe(true);
    expect(await check(["*"], "app:crm:deals.read")).toBe(true);
    expect(await check(["app:crm:deals.read"], "app:crm:deals.read")).toBe(true);
    expect(await check(["app:crm:*"], "app:crmx:deals.read")).toBe(false);
    expect(await check(["app:crm:*"], "app:crm:")).toBe(false);
    expect(await check(["app:crm:deals.*"], "app:crm:deals.read")).toBe(false);
    expect(await check(["app:crm:deals.rea"], "app:crm:deals.read")).toBe(false);
    expect(await check([], "app:crm:deals.read")).toBe(false);
  });

  it("keeps in each set the wildcard prefixes of its keys and the claims key's pads, and follows the key", async () => {
    await core.core.governed.permissionSet(["app:crm:*", "app:hr:people.read", "*"]);
    const row = async () =>
      (await owner.query(`SELECT s.wildcards, s.mac_ipad = k.ipad AND s.mac_opad = k.opad AS pads FROM rootcx_system.permission_sets s, rootcx_system.claims_key k
                           WHERE 'app:hr:people.read' = ANY (s.keys) AND 'app:crm:*' = ANY (s.keys)`)).rows[0] as { wildcards: string[]; pads: boolean };
    expect(await row()).toEqual({ wildcards: ["app:crm:"], pads: true });
    // A changed key reaches every set at once (the old pads would refuse every claims the Core signs with it).
    const before = (await owner.query("SELECT ipad, opad FROM rootcx_system.claims_key")).rows[0] as { ipad: Buffer; opad: Buffer };
    try {
      await owner.query("UPDATE rootcx_system.claims_key SET ipad = decode(repeat('36', 64), 'hex'), opad = decode(repeat('5c', 64), 'hex')");
      expect(await row()).toEqual({ wildcards: ["app:crm:"], pads: true });
      expect((await owner.query("SELECT count(*)::int AS n FROM rootcx_system.permission_sets WHERE mac_ipad <> decode(repeat('36', 64), 'hex')")).rows[0].n).toBe(0);
    } finally {
      await owner.query("UPDATE rootcx_system.claims_key SET ipad = $1, opad = $2", [before.ipad, before.opad]);
    }
    expect(await row()).toEqual({ wildcards: ["app:crm:"], pads: true });
    expect(await as("reader", count)).toBe(2);
  });

  it("keeps the claims key in place: DELETE and TRUNCATE are refused, and no role but the Core's may run the set triggers", async () => {
    const refused = async (sql: string) => owner.query(sql).then(() => "ran", (err: { code?: string; message: string }) => `${err.code}: ${err.message}`);
    expect(await refused("DELETE FROM rootcx_system.claims_key")).toBe("42501: the claims key is changed with UPDATE, never deleted");
    expect(await refused("TRUNCATE rootcx_system.claims_key")).toBe("42501: the claims key is changed with UPDATE, never deleted");
    expect((await owner.query("SELECT count(*)::int AS n FROM rootcx_system.claims_key")).rows[0].n).toBe(1);
    const { rows } = await owner.query(`SELECT f, has_function_privilege('rootcx_app_executor', f, 'EXECUTE') AS executor, has_function_privilege('rootcx_db_reader', f, 'EXECUTE') AS reader
                                          FROM unnest(ARRAY['rootcx_system.permission_set_derived()', 'rootcx_system.claims_key_follow()', 'rootcx_system.claims_key_kept()']) f`);
    expect(rows).toEqual([
      { f: "rootcx_system.permission_set_derived()", executor: false, reader: false },
      { f: "rootcx_system.claims_key_follow()", executor: false, reader: false },
      { f: "rootcx_system.claims_key_kept()", executor: false, reader: false },
    ]);
  });

  it("gives a set stored while the key changes the new key's pads: the change waits for the insert, then rewrites it", async () => {
    const a = new pg.Client({ connectionString: core.database.url });
    const b = new pg.Client({ connectionString: core.database.url });
    await Promise.all([a.connect(), b.connect()]);
    const before = (await owner.query("SELECT ipad, opad FROM rootcx_system.claims_key")).rows[0] as { ipad: Buffer; opad: Buffer };
    const digest = "c".repeat(64);
    try {
      await a.query("BEGIN");
      await a.query("INSERT INTO rootcx_system.permission_sets (digest, keys) VALUES ($1, '{app:race:x.read}')", [digest]);
      // The key changes while that insert is uncommitted: the change waits for it, then rewrites its pads.
      let changed = false;
      const change = b.query("UPDATE rootcx_system.claims_key SET ipad = decode(repeat('11', 64), 'hex')").then(() => (changed = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(changed).toBe(false);
      await a.query("COMMIT");
      await change;
      const { rows } = await owner.query("SELECT s.mac_ipad = k.ipad AS same FROM rootcx_system.permission_sets s, rootcx_system.claims_key k WHERE s.digest = $1", [digest]);
      expect(rows).toEqual([{ same: true }]);
    } finally {
      await a.query("ROLLBACK").catch(() => undefined);
      await owner.query("UPDATE rootcx_system.claims_key SET ipad = $1, opad = $2", [before.ipad, before.opad]);
      await owner.query("DELETE FROM rootcx_system.permission_sets WHERE digest = $1", [digest]);
      await Promise.all([a.end(), b.end()]);
    }
  });

  it("verified_claims refuses every claims when there is no key to check them against", async () => {
    const client = owner;
    try {
      await client.query("BEGIN");
      const pid = (await client.query("SELECT pg_backend_pid() AS p")).rows[0].p as number;
      const payload = `${users.admin!.userId}|0|${users.admin!.userId}||api|${pid}|9999999999|${await core.core.governed.permissionSet(["*"])}`;
      await client.query("SELECT set_config('rootcx.claims', $1, true)", [`${"0".repeat(64)}.${payload}`]);
      expect((await client.query("SELECT rootcx_system.verified_claims() AS c")).rows[0].c).toBeNull();
      // Without the key (only a superuser can get there: the guard trigger is off in replica mode).
      await client.query("SET LOCAL session_replication_role = replica");
      await client.query("DELETE FROM rootcx_system.claims_key");
      expect((await client.query("SELECT rootcx_system.verified_claims() AS c")).rows[0].c).toBeNull();
    } finally {
      await client.query("ROLLBACK");
    }
  });

  it("gives the executor no access to the sets", async () => {
    expect(await code(as("admin", (c) => c.query("SELECT * FROM rootcx_system.permission_sets")))).toBe("42501");
    expect(await code(as("admin", (c) => c.query("INSERT INTO rootcx_system.permission_sets (digest, keys) VALUES (repeat('a', 64), '{*}')")))).toBe("42501");
  });
});

describe("claims tampered with inside a transaction", () => {
  it("a statement after the claims were changed mid-transaction reads nothing", async () => {
    const seen = await as("reader", async (c) => {
      const before = await count(c);
      const pid = await pidOf(c);
      const raw = (await c.query("SELECT current_setting('rootcx.claims') AS v")).rows[0].v as string;
      // The reader's own signed claims with the admin's set put in: the MAC no longer matches.
      const adminSet = await core.core.governed.permissionSet(["*"]);
      const fields = raw.slice(65).split("|");
      fields[7] = adminSet;
      await c.query(`SET LOCAL rootcx.claims = ${c.escapeLiteral(`${raw.slice(0, 65)}${fields.join("|")}`)}`);
      const afterSwap = await count(c);
      // Made-up claims naming the admin on this backend, with a MAC of zeros.
      await c.query(`SET LOCAL rootcx.claims = ${c.escapeLiteral(`${"0".repeat(64)}.${users.admin!.userId}|0|||api|${pid}|9999999999|${adminSet}`)}`);
      const afterForge = await count(c);
      return [before, afterSwap, afterForge];
    });
    expect(seen).toEqual([2, 0, 0]);
  });

  it("reads as anonymous with expired claims, claims of another backend, or none", async () => {
    const seen = await as("nobody", async (c) => {
      const pid = await pidOf(c);
      const out: number[] = [];
      for (const claims of [
        await claimsFor("admin", pid, { exp: Math.floor(Date.now() / 1000) - 1 }),
        await claimsFor("admin", pid + 1),
        await claimsFor("admin", pid, { uid: "" }),
        "",
      ]) {
        await c.query(`SET LOCAL rootcx.claims = ${c.escapeLiteral(claims)}`);
        out.push(await count(c));
      }
      // The same claims, valid for this backend and unexpired, do grant: the refusals above are the checks'.
      await c.query(`SET LOCAL rootcx.claims = ${c.escapeLiteral(await claimsFor("admin", pid))}`);
      out.push(await count(c));
      return out;
    });
    expect(seen).toEqual([0, 0, 0, 0, 2]);
  });

  it("reads nothing, and raises nothing, when forged claims name a stored set but carry fields no cast accepts", async () => {
    // check_access tests the MAC before it casts the pid and expiry (0028): unsigned garbage reads as anonymous.
    const adminSet = await core.core.governed.permissionSet(["*"]);
    const seen = await as("nobody", async (c) => {
      const out: number[] = [];
      for (const forged of [
        `${"z".repeat(64)}.${users.admin!.userId}|0|||api|not-a-pid|not-a-time|${adminSet}`,
        `${"0".repeat(64)}.${users.admin!.userId}|0|||api|${await pidOf(c)}|99999999999999999999999|${adminSet}`,
        `short|0|||api|1|1|${adminSet}`,
      ]) {
        await c.query(`SET LOCAL rootcx.claims = ${c.escapeLiteral(forged)}`);
        out.push(await count(c));
      }
      return out;
    });
    expect(seen).toEqual([0, 0, 0]);
  });

  it("refuses claims of nine fields even under the Core's MAC", async () => {
    const key = Buffer.from((await owner.query("SELECT key FROM rootcx_system.claims_key")).rows[0].key as string, "hex");
    const seen = await as("nobody", async (c) => {
      const pid = await pidOf(c);
      const payload = `${users.admin!.userId}|0|${users.admin!.userId}||api|${pid}|${Math.floor(Date.now() / 1000) + 300}|${await core.core.governed.permissionSet(["*"])}`;
      const out: number[] = [];
      for (const p of [`${payload}|`, payload]) {
        await c.query(`SET LOCAL rootcx.claims = ${c.escapeLiteral(`${createHmac("sha256", key).update(p, "utf8").digest("hex")}.${p}`)}`);
        out.push(await count(c));
      }
      return out;
    });
    // The same MAC computation over eight fields grants: the refusal is the field count's.
    expect(seen).toEqual([0, 2]);
  });

  it("does not carry one principal's access into the next transaction on the same connection", async () => {
    const first = await as("reader", async (c) => [await pidOf(c), await count(c)]);
    const second = await as("nobody", async (c) => [await pidOf(c), await count(c)]);
    expect(second[0]).toBe(first[0]); // the pool handed back the same connection
    expect([first[1], second[1]]).toEqual([2, 0]);
  });
});

describe("runOne: one round trip, prepared, parameters as parameters", () => {
  it("sends parameters as parameters: a hostile value round-trips and the statement PostgreSQL ran holds $1", async () => {
    const hostile = "x'); DROP TABLE crm.deals; --";
    const marker = `param_probe_${Date.now()}`;
    const inserted = await one("crm_all", `INSERT /* ${marker} */ INTO crm.deals (title, amount) VALUES ($1, $2) RETURNING title, amount`, [hostile, 3]);
    expect(inserted.rows).toEqual([{ title: hostile, amount: 3 }]);
    const { rows } = await owner.query<{ query: string }>("SELECT query FROM pg_stat_activity WHERE strpos(query, $1) > 0 AND pid <> pg_backend_pid()", [marker]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.query).toContain("VALUES ($1, $2)");
    expect(rows[0]!.query).not.toContain("DROP TABLE");
    expect((await owner.query("SELECT count(*)::int AS n FROM crm.deals WHERE title = $1", [hostile])).rows[0].n).toBe(1);
  });

  it("applies the statement timeout and read-only to the pipelined statement", async () => {
    const slow = await one("reader", "SELECT pg_sleep(2)", [], { statementTimeoutMs: 100 }).then(() => undefined, (err: { code?: string; message: string }) => err);
    expect(slow).toMatchObject({ code: "57014", message: expect.stringMatching(/statement timeout/) });
    const write = await one("crm_all", "INSERT INTO crm.deals (title) VALUES ($1)", ["ro"], { readOnly: true }).then(() => undefined, (err: { code?: string; message: string }) => err);
    expect(write).toMatchObject({ code: "25006", message: expect.stringMatching(/read-only transaction/) });
  });

  it("keeps working when a prepared statement's first run fails, and after the table under it changes", async () => {
    const sql = "INSERT INTO crm.deals (id, title) VALUES ($1, $2) RETURNING title";
    const id = "00000000-0000-4000-8000-000000000042";
    expect((await one("crm_all", sql, [id, "first"])).rows).toEqual([{ title: "first" }]);
    expect(await code(one("crm_all", sql, [id, "again"]))).toBe("23505");
    const fresh = "SELECT title FROM crm.deals WHERE title = $1 AND amount >= $2";
    expect(await code(one("crm_all", fresh, ["first", "not a number"]))).toBe("22P02");
    expect((await one("crm_all", fresh, ["first", 0])).rows).toEqual([{ title: "first" }]);
    const star = "SELECT * FROM crm.deals WHERE id = $1";
    expect(Object.keys((await one("crm_all", star, [id])).rows[0]!)).toEqual(["id", "title", "amount"]);
    await owner.query("ALTER TABLE crm.deals ADD COLUMN note text");
    expect(Object.keys((await one("crm_all", star, [id])).rows[0]!)).toEqual(["id", "title", "amount", "note"]);
    expect((await one("nobody", "SELECT count(*)::int AS n FROM crm.deals")).rows).toEqual([{ n: 0 }]);
  });

  it("keeps at most PREPARED_PER_CONNECTION statements prepared on a connection, and re-prepares one closed earlier", async () => {
    const texts = Array.from({ length: PREPARED_PER_CONNECTION + 20 }, (_, i) => `SELECT $1::int + ${i} AS v, pg_backend_pid() AS pid`);
    const pids = new Set<number>();
    for (const [i, text] of texts.entries()) {
      const { rows } = await one("nobody", text, [1]);
      expect(rows[0]!.v).toBe(1 + i);
      pids.add(rows[0]!.pid as number);
    }
    expect(pids.size).toBe(1); // one idle connection at a time: the pool hands back the same one
    const held = (await one("nobody", "SELECT count(*)::int AS n, count(*) FILTER (WHERE name LIKE 'rcx_s%')::int AS named FROM pg_prepared_statements")).rows[0]!;
    expect(held.named).toBeGreaterThan(PREPARED_PER_CONNECTION - 5);
    expect(held.n).toBeLessThanOrEqual(PREPARED_PER_CONNECTION + 2);
    expect((await one("nobody", texts[0]!, [41])).rows[0]!.v).toBe(41);
  });
});
