import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

/** The probe's findings (issue 13): links answer to their maker when used, not only when made; they can be revoked. */
let core: TestCore;
let db: pg.Pool;
let admin: Session;
let inviter: Session;

const tokenOf = (link: string) => new URL(link).searchParams.get("token")!;
const CANNOT_GRANT = "the person who made this link can no longer grant it";
const EXISTS_NOW = "this invitation was for a new account, and an account with this address exists now; sign in normally";

async function generate(body: unknown, token: string) {
  const res = await api(core, "POST", "/api/v1/auth/magic-link/generate", body, token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { token: tokenOf(res.body.magicLinkUrl), url: res.body.magicLinkUrl as string };
}
const consume = (token: string) => api(core, "POST", "/api/v1/auth/magic-link/consume", { token });
const assign = (userId: string, role: string) => api(core, "POST", "/api/v1/roles/assign", { userId, role }, admin.accessToken);
const unassign = (userId: string, role: string) => api(core, "POST", "/api/v1/roles/revoke", { userId, role }, admin.accessToken);

async function lastAudit(operation: string) {
  const { rows } = await db.query("SELECT record_id, actor_uid::text AS actor, old_record, new_record FROM rootcx_system.audit_log WHERE operation = $1 ORDER BY id DESC LIMIT 1", [
    operation,
  ]);
  return rows[0];
}

beforeAll(async () => {
  core = await startTestCore();
  db = new pg.Pool({ connectionString: core.database.url, max: 2 });
  admin = await signUpAndIn(core, "admin@authority.test");
  expect((await api(core, "POST", "/api/v1/roles", { name: "inviter", permissions: ["auth.invite"] }, admin.accessToken)).status).toBe(200);
  expect((await api(core, "POST", "/api/v1/roles", { name: "support", permissions: [] }, admin.accessToken)).status).toBe(200);
  inviter = await signUpAndIn(core, "inviter@authority.test");
  expect((await assign(inviter.userId, "inviter")).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await db?.end();
  await core?.dispose();
});

describe("an invitation for a new account never opens an account that exists when it is used", () => {
  it("an auth.invite holder's link for an address that meanwhile became an admin's account is refused (409), and opens nothing", async () => {
    const link = await generate({ email: "future-admin@authority.test" }, inviter.accessToken);
    // The address gets an account another way (here: registration), and that account is made an admin.
    const victim = await signUpAndIn(core, "future-admin@authority.test");
    expect((await assign(victim.userId, "admin")).status).toBe(200);

    const used = await consume(link.token);
    expect(used.status).toBe(409);
    expect(used.body).toEqual({ error: EXISTS_NOW });
    const sessions = await db.query("SELECT count(*)::int AS n FROM rootcx_system.sessions WHERE user_id = $1", [victim.userId]);
    expect(sessions.rows[0].n).toBe(1); // only the password sign-in above
  });

  it("an administrator's link made for a new address is refused the same once the account exists", async () => {
    const link = await generate({ email: "registered-later@authority.test", roles: ["support"] }, admin.accessToken);
    const person = await signUpAndIn(core, "registered-later@authority.test");
    const used = await consume(link.token);
    expect(used.status).toBe(409);
    expect(used.body.error).toBe(EXISTS_NOW);
    const perms = await api(core, "GET", `/api/v1/permissions/${person.userId}`, undefined, admin.accessToken);
    expect(perms.body.roles).not.toContain("support");
  });

  it("two links for one new address used at once: one creates the account, the other is a 409", async () => {
    const a = await generate({ email: "twice@authority.test" }, admin.accessToken);
    const b = await generate({ email: "twice@authority.test" }, admin.accessToken);
    const answers = await Promise.all([consume(a.token), consume(b.token)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(answers.find((r) => r.status === 409)!.body.error).toBe(EXISTS_NOW);
  });

  it("an administrator's link for an existing account signs it in, audited with the maker and the account", async () => {
    const person = await signUpAndIn(core, "returning@authority.test");
    const link = await generate({ email: "returning@authority.test" }, admin.accessToken);
    const used = await consume(link.token);
    expect(used.status).toBe(200);
    expect(used.body.user.id).toBe(person.userId);
    const row = await lastAudit("auth.magic_link_sign_in");
    expect(row).toMatchObject({ actor: admin.userId, new_record: { account: person.userId, email: "returning@authority.test", made_by: admin.userId, self_service: false } });
  });

  it("an account created by a link gets base, as registration does, plus the link's roles", async () => {
    const link = await generate({ email: "newcomer@authority.test", roles: ["support"] }, admin.accessToken);
    const used = await consume(link.token);
    expect(used.status).toBe(200);
    const perms = await api(core, "GET", `/api/v1/permissions/${used.body.user.id}`, undefined, admin.accessToken);
    expect(perms.body.roles).toEqual(expect.arrayContaining(["base", "support"]));
  });
});

describe("a link is only as good as its maker is when it is used", () => {
  it("an admin's link stops working when the admin is demoted", async () => {
    const other = await signUpAndIn(core, "second-admin@authority.test");
    expect((await assign(other.userId, "admin")).status).toBe(200);
    const link = await generate({ email: "by-demoted@authority.test", roles: ["support"] }, other.accessToken);
    expect((await unassign(other.userId, "admin")).status).toBe(200);
    const used = await consume(link.token);
    expect(used.status).toBe(403);
    expect(used.body.error).toBe(CANNOT_GRANT);
    expect((await db.query("SELECT 1 FROM rootcx_system.users WHERE email = 'by-demoted@authority.test'")).rowCount).toBe(0);
  });

  it("a disabled maker's link is refused", async () => {
    const other = await signUpAndIn(core, "disabled-admin@authority.test");
    expect((await assign(other.userId, "admin")).status).toBe(200);
    const link = await generate({ email: "by-disabled@authority.test" }, other.accessToken);
    expect((await api(core, "POST", `/api/v1/users/${other.userId}/disable`, undefined, admin.accessToken)).status).toBe(200);
    const used = await consume(link.token);
    expect(used.status).toBe(403);
    expect(used.body.error).toBe(CANNOT_GRANT);
  });

  it("a deleted maker's link is refused", async () => {
    const other = await signUpAndIn(core, "deleted-admin@authority.test");
    expect((await assign(other.userId, "admin")).status).toBe(200);
    const link = await generate({ email: "by-deleted@authority.test" }, other.accessToken);
    expect((await api(core, "DELETE", `/api/v1/users/${other.userId}`, undefined, admin.accessToken)).status).toBe(200);
    const used = await consume(link.token);
    expect(used.status).toBe(403);
    expect(used.body.error).toBe(CANNOT_GRANT);
  });

  it("an inviter's link is refused once the inviter no longer holds auth.invite or a role it confers", async () => {
    const other = await signUpAndIn(core, "fading-inviter@authority.test");
    expect((await assign(other.userId, "inviter")).status).toBe(200);
    expect((await assign(other.userId, "support")).status).toBe(200);
    const confers = await generate({ email: "by-fading@authority.test", roles: ["support"] }, other.accessToken);
    const plain = await generate({ email: "by-fading-2@authority.test" }, other.accessToken);
    expect((await unassign(other.userId, "support")).status).toBe(200);
    expect((await consume(confers.token)).body.error).toBe(CANNOT_GRANT);
    expect((await unassign(other.userId, "inviter")).status).toBe(200);
    const used = await consume(plain.token);
    expect(used.status).toBe(403);
    expect(used.body.error).toBe(CANNOT_GRANT);
  });
});

describe("outstanding links: listed for administrators, revocable by an administrator or the maker", () => {
  it("lists id, email, roles, maker and expiry, never the token; an inviter sees its own; others are refused", async () => {
    const mine = await generate({ email: "listed@authority.test", roles: ["inviter"] }, inviter.accessToken);
    const adminMade = await generate({ email: "listed-by-admin@authority.test" }, admin.accessToken);
    const all = await api(core, "GET", "/api/v1/auth/magic-link", undefined, admin.accessToken);
    expect(all.status).toBe(200);
    const entry = all.body.find((l: { email: string }) => l.email === "listed@authority.test");
    expect(entry).toMatchObject({ email: "listed@authority.test", roles: ["inviter"], madeBy: { id: inviter.userId, email: "inviter@authority.test" }, selfService: false, forExistingAccount: false });
    expect(Object.keys(entry).sort()).toEqual(["createdAt", "email", "expiresAt", "forExistingAccount", "id", "madeBy", "roles", "selfService"]);
    expect(JSON.stringify(all.body)).not.toContain(mine.token);
    expect(all.body.some((l: { email: string }) => l.email === "listed-by-admin@authority.test")).toBe(true);

    const own = await api(core, "GET", "/api/v1/auth/magic-link", undefined, inviter.accessToken);
    expect(own.status).toBe(200);
    expect(own.body.every((l: { madeBy: { id: string } }) => l.madeBy.id === inviter.userId)).toBe(true);
    expect(own.body.some((l: { email: string }) => l.email === "listed@authority.test")).toBe(true);

    const plain = await signUpAndIn(core, "plain-lister@authority.test");
    const refused = await api(core, "GET", "/api/v1/auth/magic-link", undefined, plain.accessToken);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe("permission required: auth.invite");

    // Used links leave the list.
    expect((await consume(adminMade.token)).status).toBe(200);
    const after = await api(core, "GET", "/api/v1/auth/magic-link", undefined, admin.accessToken);
    expect(after.body.some((l: { email: string }) => l.email === "listed-by-admin@authority.test")).toBe(false);
  });

  it("the maker revokes its link (audited); the link then fails; others cannot revoke it", async () => {
    const link = await generate({ email: "revoked@authority.test" }, inviter.accessToken);
    const listed = await api(core, "GET", "/api/v1/auth/magic-link", undefined, inviter.accessToken);
    const id = listed.body.find((l: { email: string }) => l.email === "revoked@authority.test").id as string;

    const stranger = await signUpAndIn(core, "stranger@authority.test");
    expect((await assign(stranger.userId, "inviter")).status).toBe(200);
    const notTheirs = await api(core, "DELETE", `/api/v1/auth/magic-link/${id}`, undefined, stranger.accessToken);
    expect(notTheirs.status).toBe(403);
    expect(notTheirs.body.error).toBe("only an administrator or the link's maker can revoke it");

    const revoked = await api(core, "DELETE", `/api/v1/auth/magic-link/${id}`, undefined, inviter.accessToken);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ message: "the sign-in link for revoked@authority.test is revoked" });
    expect(await lastAudit("auth.magic_link_revoke")).toMatchObject({ actor: inviter.userId, old_record: { email: "revoked@authority.test", made_by: inviter.userId } });

    const used = await consume(link.token);
    expect(used.status).toBe(401);
    expect(used.body.error).toBe("this sign-in link is invalid, expired or already used");
    const again = await api(core, "DELETE", `/api/v1/auth/magic-link/${id}`, undefined, admin.accessToken);
    expect(again.status).toBe(404);
    expect(again.body.error).toMatch(/^no outstanding sign-in link has this id/);
    const malformed = await api(core, "DELETE", "/api/v1/auth/magic-link/not-a-uuid", undefined, admin.accessToken);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatch(/id must be a sign-in link id/);
  });

  it("tRPC: magicLink.outstanding and magicLink.revoke, an administrator revoking anyone's link", async () => {
    const link = await generate({ email: "trpc-revoked@authority.test" }, inviter.accessToken);
    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    const list = await client.magicLink.outstanding.query();
    const id = list.find((l) => l.email === "trpc-revoked@authority.test")!.id;
    expect(await client.magicLink.revoke.mutate({ id })).toEqual({ message: "the sign-in link for trpc-revoked@authority.test is revoked" });
    expect((await consume(link.token)).status).toBe(401);
    await expect(client.magicLink.revoke.mutate({ id })).rejects.toThrow(/no outstanding sign-in link has this id/);
  });
});
