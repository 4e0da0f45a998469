import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, PASSWORD, signUpAndIn, startTestCore, type Json, type Session, type TestCore } from "./harness.ts";

// "At least one enabled administrator" under concurrent revoke, disable, delete and role edits, through real HTTP.

let core: TestCore;
let owner: pg.Client;
let seq = 0;

beforeAll(async () => {
  core = await startTestCore();
  owner = new pg.Client({ connectionString: core.database.url });
  await owner.connect();
  await signUpAndIn(core, "founder@inv.test");
});
afterAll(async () => {
  await owner?.end();
  await core?.dispose();
});

/** Enabled human users who hold `*`, resolved by migration 0004's functions (not by the guard under test). */
async function enabledAdmins(): Promise<string[]> {
  const { rows } = await owner.query<{ id: string }>(
    `SELECT id FROM rootcx_system.users
      WHERE NOT is_system AND disabled_at IS NULL AND '*' = ANY (rootcx_system.resolve_permissions(id)) ORDER BY id`,
  );
  return rows.map((r) => r.id);
}

const login = async (email: string): Promise<Session> => signUpAndIn(core, email);
const post = (s: Session, path: string, body?: unknown) => api(core, "POST", `/api/v1${path}`, body, s.accessToken);

/**
 * Brings the Core back to exactly `n` enabled admins, each new, holding the admin role and signed in: an admin
 * that survived appoints them, then the first of them deletes every other admin.
 */
async function resetAdmins(n: number): Promise<Session[]> {
  const survivors = await enabledAdmins();
  expect(survivors.length).toBeGreaterThanOrEqual(1);
  const { rows } = await owner.query<{ email: string }>("SELECT email FROM rootcx_system.users WHERE id = $1", [survivors[0]]);
  const boss = await login(rows[0]!.email);
  const sessions: Session[] = [];
  while (sessions.length < n) {
    const s = await login(`admin${seq++}@inv.test`);
    expect((await post(boss, "/roles/assign", { userId: s.userId, role: "admin" })).status).toBe(200);
    sessions.push(s);
  }
  for (const id of survivors) {
    expect((await api(core, "DELETE", `/api/v1/users/${id}`, undefined, sessions[0]!.accessToken)).status).toBe(200);
  }
  expect(await enabledAdmins()).toEqual(sessions.map((s) => s.userId).sort());
  return sessions;
}

const LAST_ADMIN = /^(cannot revoke the last admin|cannot disable the last admin|cannot delete the last admin|this change would leave no enabled admin|deleting this role would leave no enabled admin)$/;

/**
 * What a concurrent removal may answer: success; a refusal naming the last admin (400); the caller lost its
 * admin rights or its account to an earlier change (403/401); its target went first (404).
 */
function expectAllowedOutcome(r: Json): "ok" | "last" | "other" {
  if (r.status === 200) return "ok";
  if (r.status === 400) {
    expect(r.body.error).toMatch(LAST_ADMIN);
    return "last";
  }
  if (r.status === 403) expect(r.body.error).toBe("admin role required");
  else if (r.status === 404) expect(r.body.error).toMatch(/^(user not found|assignment not found|role .* not found)$/);
  else {
    expect(r.status).toBe(401);
    expect(r.body.error).toBe("session ended or user disabled");
  }
  return "other";
}

type Action = (self: Session, other: Session) => Promise<Json>;
const ACTIONS: Record<string, Action> = {
  revokeSelf: (s) => post(s, "/roles/revoke", { userId: s.userId, role: "admin" }),
  revokeOther: (s, o) => post(s, "/roles/revoke", { userId: o.userId, role: "admin" }),
  disableSelf: (s) => post(s, `/users/${s.userId}/disable`),
  disableOther: (s, o) => post(s, `/users/${o.userId}/disable`),
  deleteSelf: (s) => api(core, "DELETE", `/api/v1/users/${s.userId}`, undefined, s.accessToken),
  deleteOther: (s, o) => api(core, "DELETE", `/api/v1/users/${o.userId}`, undefined, s.accessToken),
};
const SELF = ["revokeSelf", "disableSelf", "deleteSelf"] as const;

describe("at least one enabled admin", () => {
  it("survives 5 admins removing themselves at the same moment (self-revoke, self-disable, self-delete), 12 rounds", async () => {
    for (let round = 0; round < 12; round++) {
      const admins = await resetAdmins(5);
      // Rounds 0-3: everyone self-revokes (the reported race); then mixes of the three self-removals.
      const picks = admins.map((_, i) => (round < 4 ? "revokeSelf" : SELF[(round + i) % 3]!));
      const results = await Promise.all(admins.map((a, i) => ACTIONS[picks[i]!]!(a, a)));
      const outcomes = results.map(expectAllowedOutcome);
      // Each removes a different admin, so exactly one is refused, with the reason, and exactly one remains.
      expect({ round, ok: outcomes.filter((o) => o === "ok").length, last: outcomes.filter((o) => o === "last").length }).toEqual({ round, ok: 4, last: 1 });
      expect(await enabledAdmins()).toHaveLength(1);
    }
  }, 120_000);

  it("survives mixed concurrent revokes, disables and deletes of each other, 20 rounds", async () => {
    const names = Object.keys(ACTIONS);
    for (let round = 0; round < 20; round++) {
      const admins = await resetAdmins(5);
      const results = await Promise.all(
        admins.map((a, i) => ACTIONS[names[(round * 5 + i * 7) % names.length]!]!(a, admins[(i + 1 + (round % 4)) % admins.length]!)),
      );
      const outcomes = results.map(expectAllowedOutcome);
      expect(outcomes.filter((o) => o === "ok").length).toBeGreaterThanOrEqual(1);
      const remaining = await enabledAdmins();
      expect(remaining.length, `round ${round}: ${JSON.stringify(results.map((r) => [r.status, r.body]))}`).toBeGreaterThanOrEqual(1);
    }
  }, 180_000);

  it("survives concurrent role edits: revoking admin, un-inheriting it, dropping '*' and deleting roles, 10 rounds", async () => {
    for (let round = 0; round < 10; round++) {
      const [boss] = await resetAdmins(1);
      const tag = `r${round}`;
      // Three admins, each by another route: the admin role, a role inheriting it, a role holding '*'.
      const viaInherit = await login(`inherit-${tag}@inv.test`);
      const viaStar = await login(`star-${tag}@inv.test`);
      expect((await post(boss!, "/roles", { name: `ops_${tag}`, inherits: ["admin"] })).status).toBe(200);
      expect((await post(boss!, "/roles", { name: `root_${tag}`, permissions: ["*"] })).status).toBe(200);
      expect((await post(boss!, "/roles/assign", { userId: viaInherit.userId, role: `ops_${tag}` })).status).toBe(200);
      expect((await post(boss!, "/roles/assign", { userId: viaStar.userId, role: `root_${tag}` })).status).toBe(200);
      expect(await enabledAdmins()).toHaveLength(3);
      const even = round % 2 === 0;
      const results = await Promise.all([
        post(boss!, "/roles/revoke", { userId: boss!.userId, role: "admin" }),
        even
          ? api(core, "PATCH", `/api/v1/roles/ops_${tag}`, { inherits: [] }, viaInherit.accessToken)
          : api(core, "DELETE", `/api/v1/roles/ops_${tag}`, undefined, viaInherit.accessToken),
        even
          ? api(core, "PATCH", `/api/v1/roles/root_${tag}`, { permissions: [] }, viaStar.accessToken)
          : post(viaStar, "/roles/revoke", { userId: viaStar.userId, role: `root_${tag}` }),
      ]);
      const outcomes = results.map(expectAllowedOutcome);
      expect({ round, ok: outcomes.filter((o) => o === "ok").length, last: outcomes.filter((o) => o === "last").length }, JSON.stringify(results.map((r) => [r.status, r.body]))).toEqual({ round, ok: 2, last: 1 });
      expect(await enabledAdmins()).toHaveLength(1);
    }
  }, 120_000);

  it("refuses at commit a change made by hand in SQL that would leave no admin (two concurrent transactions)", async () => {
    const [a, b] = await resetAdmins(2);
    const c1 = new pg.Client({ connectionString: core.database.url });
    const c2 = new pg.Client({ connectionString: core.database.url });
    await Promise.all([c1.connect(), c2.connect()]);
    try {
      await c1.query("BEGIN");
      await c2.query("BEGIN");
      await c1.query("DELETE FROM rootcx_system.rbac_assignments WHERE user_id = $1 AND role = 'admin'", [a!.userId]);
      await c2.query("UPDATE rootcx_system.users SET disabled_at = now() WHERE id = $1", [b!.userId]);
      const commits = await Promise.allSettled([c1.query("COMMIT"), c2.query("COMMIT")]);
      expect(commits.filter((c) => c.status === "fulfilled")).toHaveLength(1);
      const refused = commits.find((c) => c.status === "rejected") as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: "RX001", message: "at least one enabled administrator must remain" });
    } finally {
      await Promise.all([c1.end(), c2.end()]);
    }
    expect(await enabledAdmins()).toHaveLength(1);
  });

  it("makes only the very first user admin: a registrant never becomes admin because no 'admin' assignment exists", async () => {
    const [boss] = await resetAdmins(1);
    // Everyone else goes (disabled former admins still hold the role), so no other user can be the reason.
    const { rows: others } = await owner.query<{ id: string }>("SELECT id FROM rootcx_system.users WHERE NOT is_system AND id <> $1", [boss!.userId]);
    for (const { id } of others) expect((await api(core, "DELETE", `/api/v1/users/${id}`, undefined, boss!.accessToken)).status).toBe(200);
    // The only admin now holds '*' through another role, so no assignment of the role named admin exists.
    expect((await post(boss!, "/roles", { name: "superuser", permissions: ["*"] })).status).toBe(200);
    expect((await post(boss!, "/roles/assign", { userId: boss!.userId, role: "superuser" })).status).toBe(200);
    expect((await post(boss!, "/roles/revoke", { userId: boss!.userId, role: "admin" })).status).toBe(200);
    expect((await owner.query("SELECT count(*)::int AS n FROM rootcx_system.rbac_assignments WHERE role = 'admin'")).rows[0].n).toBe(0);
    const reg = await api(core, "POST", "/api/v1/auth/register", { email: "newcomer@inv.test", password: PASSWORD });
    expect(reg.status).toBe(201);
    const { rows } = await owner.query("SELECT role FROM rootcx_system.rbac_assignments WHERE user_id = $1", [reg.body.user.id]);
    expect(rows).toEqual([{ role: "base" }]);
    expect(await enabledAdmins()).toEqual([boss!.userId]);
  });
});
