import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { AuthRateLimiter, DEFAULT_AUTH_RATE_LIMITS } from "../src/server/auth/rate-limit.ts";
import { api, PASSWORD, signUpAndIn, startTestCore, type Json, type Session, type TestCore } from "./harness.ts";

// Issue 14's black-box findings: managing a service account never buys more than the manager holds (F1), act-as
// needs the person's consent (F2), a service account cannot take over a person's credentials (F3), one-time keys
// are not cached (F6), /auth/token speaks RFC 6749 (F7), is rate-limited and its sessions are visible (F8), and
// names and slugs are checked with our own sentences (F9).

let core: TestCore;
let admin: Session;
let manager: Session; // admin:service_accounts.manage and nothing else
let crmManager: Session; // the manage permission and app:crm:*
let alice: Session; // app:crm:deals.read

const call = (method: string, path: string, body?: unknown, token = admin.accessToken) => api(core, method, `/api/v1${path}`, body, token);

async function account(slug: string, roles: string[] = []): Promise<string> {
  const res = await call("POST", "/service-accounts", { slug });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  for (const role of roles) expect((await call("POST", "/roles/assign", { userId: res.body.id, role })).status).toBe(200);
  return res.body.id as string;
}

const keyFor = async (id: string, name = "k"): Promise<string> => {
  const res = await call("POST", `/service-accounts/${id}/credentials`, { name });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.key as string;
};

async function token(headers: Record<string, string>, body: string): Promise<Json> {
  const res = await fetch(`${core.url}/api/v1/auth/token`, { method: "POST", headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
const form = { "content-type": "application/x-www-form-urlencoded" };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

beforeAll(async () => {
  core = await startTestCore({ authLimits: { tokensPerAccountPerMinute: 3 } });
  admin = await signUpAndIn(core, "esc-admin@example.com");
  manager = await signUpAndIn(core, "esc-manager@example.com");
  crmManager = await signUpAndIn(core, "esc-crm-manager@example.com");
  alice = await signUpAndIn(core, "esc-alice@example.com");
  for (const [name, permissions] of [
    ["sa-managers", ["admin:service_accounts.manage"]],
    ["crm-managers", ["admin:service_accounts.manage", "app:crm:*"]],
    ["crm-reader", ["app:crm:deals.read"]],
  ] as const) expect((await call("POST", "/roles", { name, permissions })).status).toBe(200);
  for (const [who, role] of [[manager, "sa-managers"], [crmManager, "crm-managers"], [alice, "crm-reader"]] as const) {
    expect((await call("POST", "/roles/assign", { userId: who.userId, role })).status).toBe(200);
  }
}, 60_000);

afterAll(async () => {
  await core?.dispose();
});

describe("F1: managing a service account never exceeds the manager's own permissions", () => {
  it("refuses a key, enabling, a transfer and act-as for an account holding what the caller lacks, naming the key", async () => {
    const root = await account("esc-root", ["admin"]);
    const no = (doing: string) => ({ status: 403, body: { error: `you cannot ${doing} sa+esc-root@localhost: it holds *, which your own permissions do not cover` } });
    expect(await call("POST", `/service-accounts/${root}/credentials`, { name: "mine" }, manager.accessToken)).toMatchObject(no("make a key for"));
    expect((await call("POST", `/service-accounts/${root}/disable`, undefined, manager.accessToken)).status).toBe(200);
    expect(await call("POST", `/service-accounts/${root}/enable`, undefined, manager.accessToken)).toMatchObject(no("enable"));
    expect(await call("POST", `/service-accounts/${root}/transfer-ownership`, { new_owner: manager.userId }, manager.accessToken)).toMatchObject(no("transfer"));
    expect(await call("POST", `/service-accounts/${root}/act-as`, { userId: manager.userId }, manager.accessToken)).toMatchObject(no("add act-as to"));
    const trpc = createCoreClient(core.url, { headers: { authorization: `Bearer ${manager.accessToken}` } });
    await expect(trpc.serviceAccounts.createCredential.mutate({ id: root, name: "mine" })).rejects.toThrow("you cannot make a key for sa+esc-root@localhost");
    // Nothing was made, and the administrator may do all of it.
    expect((await call("GET", `/service-accounts/${root}`)).body).toMatchObject({ credentials: [], disabled: true, actAs: [] });
    expect((await call("POST", `/service-accounts/${root}/enable`)).status).toBe(200);
    expect((await call("POST", `/service-accounts/${root}/credentials`, { name: "admin-made" })).status).toBe(201);
  });

  it("names the first uncovered key of a narrower account, and allows a manager who covers it", async () => {
    const crm = await account("esc-crm", ["crm-managers"]);
    const refused = await call("POST", `/service-accounts/${crm}/credentials`, { name: "x" }, manager.accessToken);
    expect(refused).toMatchObject({ status: 403, body: { error: "you cannot make a key for sa+esc-crm@localhost: it holds app:crm:*, which your own permissions do not cover" } });
    expect((await call("POST", `/service-accounts/${crm}/credentials`, { name: "x" }, crmManager.accessToken)).status).toBe(201);
    // An account with no role is covered by anyone allowed to manage it.
    const empty = await account("esc-empty");
    expect((await call("POST", `/service-accounts/${empty}/credentials`, { name: "x" }, manager.accessToken)).status).toBe(201);
  });

  it("holds for a service account acting through its own key", async () => {
    const root = await account("esc-root-2", ["admin"]);
    const mgr = await account("esc-mgr", ["sa-managers"]);
    const mgrKey = await keyFor(mgr);
    const refused = await call("POST", `/service-accounts/${root}/credentials`, { name: "x" }, mgrKey);
    expect(refused).toMatchObject({ status: 403, body: { error: "you cannot make a key for sa+esc-root-2@localhost: it holds *, which your own permissions do not cover" } });
  });
});

describe("F2: act-as needs the person's consent", () => {
  it("lets the person delegate themself, or someone covering all their permissions; never a manager below them", async () => {
    const sa = await account("esc-actor", ["crm-reader"]);
    const refusal = (person: Session, key: string) => ({
      status: 403,
      body: { error: `only ${person.email} or someone whose permissions cover theirs may delegate them; they hold ${key}, which your own permissions do not cover` },
    });
    expect(await call("POST", `/service-accounts/${sa}/act-as`, { userId: admin.userId }, manager.accessToken)).toMatchObject(refusal(admin, "*"));
    expect(await call("POST", `/service-accounts/${sa}/act-as`, { userId: alice.userId }, manager.accessToken)).toMatchObject(refusal(alice, "app:crm:deals.read"));
    // Someone who covers her may; so may she (once allowed to manage accounts).
    expect((await call("POST", `/service-accounts/${sa}/act-as`, { userId: alice.userId }, crmManager.accessToken)).status).toBe(201);
    expect((await call("DELETE", `/service-accounts/${sa}/act-as`, { userId: alice.userId })).status).toBe(200);
    const aliceManages = await signUpAndIn(core, "esc-alice2@example.com");
    expect((await call("POST", "/roles/assign", { userId: aliceManages.userId, role: "crm-managers" })).status).toBe(200);
    expect((await call("POST", `/service-accounts/${sa}/act-as`, { userId: aliceManages.userId }, aliceManages.accessToken)).status).toBe(201);
    expect((await call("GET", `/service-accounts/${sa}`)).body.actAs.map((d: { userId: string }) => d.userId)).toEqual([aliceManages.userId]);
  });

  it("never lets the receiving account delegate a person to itself", async () => {
    const sa = await account("esc-self", ["admin"]);
    const key = await keyFor(sa);
    const res = await call("POST", `/service-accounts/${sa}/act-as`, { userId: alice.userId }, key);
    expect(res).toMatchObject({ status: 403, body: { error: "a service account cannot have a person delegated to itself; the person or an administrator must do it" } });
    expect((await call("GET", `/service-accounts/${sa}`)).body.actAs).toEqual([]);
  });

  it("lets the person withdraw without any permission; others need the manage permission", async () => {
    const sa = await account("esc-withdraw");
    expect((await call("POST", `/service-accounts/${sa}/act-as`, { userId: alice.userId })).status).toBe(201);
    const stranger = await signUpAndIn(core, "esc-stranger@example.com");
    expect(await call("DELETE", `/service-accounts/${sa}/act-as`, { userId: alice.userId }, stranger.accessToken)).toMatchObject({
      status: 403,
      body: { error: "permission required: admin:service_accounts.manage" },
    });
    const plainAlice = await signUpAndIn(core, "esc-plain@example.com");
    expect((await call("POST", `/service-accounts/${sa}/act-as`, { userId: plainAlice.userId })).status).toBe(201);
    expect(await call("DELETE", `/service-accounts/${sa}/act-as`, { userId: plainAlice.userId }, plainAlice.accessToken)).toMatchObject({
      status: 200,
      body: { message: "sa+esc-withdraw@localhost may no longer act as this user" },
    });
    // The manager removes Alice's.
    expect((await call("DELETE", `/service-accounts/${sa}/act-as`, { userId: alice.userId }, manager.accessToken)).status).toBe(200);
    expect((await call("GET", `/service-accounts/${sa}`)).body.actAs).toEqual([]);
  });
});

describe("F3: a service account cannot take over a person's credentials", () => {
  it("refuses password resets and sign-in links, even holding admin, and says why", async () => {
    const root = await account("esc-takeover", ["admin"]);
    const key = await keyFor(root);
    const victim = await signUpAndIn(core, "esc-victim@example.com");
    const reset = await call("POST", `/users/${victim.userId}/password`, { password: "Taken-Over-123" }, key);
    expect(reset).toMatchObject({ status: 403, body: { error: "a service account cannot set a person's password; a person must make this change" } });
    const keyed = createCoreClient(core.url, { headers: { authorization: `Bearer ${key}` } });
    await expect(keyed.users.resetPassword.mutate({ userId: victim.userId, password: "Taken-Over-123" })).rejects.toThrow("a service account cannot set a person's password");
    const link = await call("POST", "/auth/magic-link/generate", { email: victim.email }, key);
    expect(link).toMatchObject({ status: 403, body: { error: "a service account cannot make sign-in links; a person must make this change" } });
    const invite = await call("POST", "/auth/magic-link/generate", { email: "esc-new@example.com", roles: ["admin"] }, key);
    expect(invite).toMatchObject({ status: 403, body: { error: "a service account cannot make sign-in links; a person must make this change" } });
    const made = await call("POST", "/auth/register", { email: "esc-puppet@example.com", password: "Puppet-Pass-123" }, key);
    expect(made).toMatchObject({ status: 403, body: { error: "a service account cannot create a person's account with a password; a person must make this change" } });
    await expect(keyed.auth.register.mutate({ email: "esc-puppet@example.com", password: "Puppet-Pass-123" })).rejects.toThrow("a service account cannot create a person's account");
    // The victim's password is unchanged; a person administrator still may reset it.
    expect((await api(core, "POST", "/api/v1/auth/login", { email: victim.email, password: PASSWORD })).status).toBe(200);
    expect((await call("POST", `/users/${victim.userId}/password`, { password: "Reset-By-Admin-1" })).status).toBe(200);
  });
});

describe("F6: the answer carrying a key is never cached", () => {
  it("sends no-store and pragma no-cache on REST and tRPC", async () => {
    const id = await account("esc-nocache");
    const rest = await fetch(`${core.url}/api/v1/service-accounts/${id}/credentials`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "rest" }),
    });
    expect(rest.status).toBe(201);
    expect([rest.headers.get("cache-control"), rest.headers.get("pragma")]).toEqual(["no-store", "no-cache"]);
    const trpc = await fetch(`${core.url}/api/trpc/serviceAccounts.createCredential`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ id, name: "trpc" }),
    });
    expect(trpc.status, await trpc.clone().text()).toBe(200);
    expect([trpc.headers.get("cache-control"), trpc.headers.get("pragma")]).toEqual(["no-store", "no-cache"]);
  });
});

describe("F7: /auth/token answers as RFC 6749 says", () => {
  it("answers a long or malformed secret as an unknown one: 401 invalid_client", async () => {
    const id = await account("esc-long");
    for (const secret of ["x".repeat(300), "y".repeat(7_000), `rcs_${"z".repeat(500)}`]) {
      const res = await token(form, new URLSearchParams({ grant_type: "client_credentials", client_id: id, client_secret: secret }).toString());
      expect(res, `${secret.length}`).toMatchObject({ status: 401, body: { error: "invalid_client", error_description: "invalid API key" } });
    }
  });

  it("answers field errors as {error: invalid_request, error_description}", async () => {
    const id = await account("esc-fields");
    const missing = await token(form, `grant_type=client_credentials&client_id=${id}`);
    expect(missing).toMatchObject({ status: 400, body: { error: "invalid_request", error_description: "client_secret is required (in the body, or HTTP Basic)" } });
    const noGrant = await token(form, `client_id=${id}&client_secret=x`);
    expect(noGrant).toMatchObject({ status: 400, body: { error: "invalid_request", error_description: "grant_type: grant_type is required" } });
    const json = { "content-type": "application/json" };
    const wrongType = await token(json, JSON.stringify({ grant_type: "client_credentials", client_id: id, client_secret: 5 }));
    expect(wrongType).toMatchObject({ status: 400, body: { error: "invalid_request", error_description: "client_secret: client_secret must be a string" } });
    expect(await token(json, "[1]")).toMatchObject({ status: 400, body: { error: "invalid_request", error_description: "the body must be a form or a JSON object" } });
    expect(await token(json, "{")).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    const grant = await token(form, `grant_type=password&client_id=${id}&client_secret=x`);
    expect(grant).toMatchObject({ status: 400, body: { error: "unsupported_grant_type", error_description: "only grant_type=client_credentials is supported" } });
  });

  it("refuses a repeated field in a JSON body as in a form", async () => {
    const id = await account("esc-dup");
    const key = await keyFor(id);
    const formDup = await token(form, `grant_type=client_credentials&client_id=${id}&client_secret=${key}&client_secret=other`);
    const jsonDup = await token({ "content-type": "application/json" }, `{"grant_type":"client_credentials","client_id":"${id}","client_secret":"other","client_secret":"${key}"}`);
    for (const res of [formDup, jsonDup]) expect(res).toMatchObject({ status: 400, body: { error: "invalid_request", error_description: "client_secret is given more than once" } });
  });

  it("accepts HTTP Basic client authentication, and refuses Basic and body credentials together", async () => {
    const id = await account("esc-basic");
    const key = await keyFor(id);
    const ok = await token({ ...form, authorization: basic(id, key) }, "grant_type=client_credentials");
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect((await api(core, "GET", "/api/v1/auth/me", undefined, ok.body.access_token)).body).toMatchObject({ id });
    const wrong = await token({ ...form, authorization: basic(id, `rcs_${"A".repeat(43)}`) }, "grant_type=client_credentials");
    expect(wrong).toMatchObject({ status: 401, body: { error: "invalid_client", error_description: "invalid API key" } });
    expect(wrong.headers.get("www-authenticate")).toBe('Basic realm="rootcx", charset="UTF-8"');
    const both = await token({ ...form, authorization: basic(id, key) }, `grant_type=client_credentials&client_secret=${key}`);
    expect(both).toMatchObject({
      status: 400,
      body: { error: "invalid_request", error_description: "authenticate the client with HTTP Basic or with client_id and client_secret in the body, not both" },
    });
    const garbled = await token({ ...form, authorization: `Basic ${Buffer.from("no-colon").toString("base64")}` }, "grant_type=client_credentials");
    expect(garbled).toMatchObject({ status: 401, body: { error: "invalid_client", error_description: "the Basic credentials have no ':' between client id and secret" } });
  });
});

describe("F8: exchanges are rate-limited and their sessions can be seen and ended", () => {
  it("refuses a fourth token a minute for one account with 429 and Retry-After, other accounts unaffected", async () => {
    const id = await account("esc-rate");
    const key = await keyFor(id);
    const body = new URLSearchParams({ grant_type: "client_credentials", client_id: id, client_secret: key }).toString();
    for (let i = 0; i < 3; i++) expect((await token(form, body)).status).toBe(200);
    const refused = await token(form, body);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatch(/^too many attempts, retry in \d+ s$/);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // A wrong key does not spend an account's allowance: a stranger knowing the id cannot lock it out.
    const other = await account("esc-rate-other");
    const otherKey = await keyFor(other);
    for (let i = 0; i < 5; i++) expect((await token(form, `grant_type=client_credentials&client_id=${other}&client_secret=rcs_${"B".repeat(43)}`)).status).toBe(401);
    expect((await token(form, `grant_type=client_credentials&client_id=${other}&client_secret=${otherKey}`)).status).toBe(200);
  });

  it("limits exchanges per client address, counted in PostgreSQL", async () => {
    const limiter = new AuthRateLimiter(core.core.db.pool, { ...DEFAULT_AUTH_RATE_LIMITS, tokenExchangesPerIpPerMinute: 2 });
    await limiter.beforeTokenExchange("203.0.113.9");
    await limiter.beforeTokenExchange("203.0.113.9");
    await expect(limiter.beforeTokenExchange("203.0.113.9")).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS", headers: { "retry-after": expect.any(String) } });
    await limiter.beforeTokenExchange("203.0.113.10");
  });

  it("lets an administrator list and end a service account's sessions", async () => {
    const id = await account("esc-sessions");
    const key = await keyFor(id);
    const access = (await token(form, `grant_type=client_credentials&client_id=${id}&client_secret=${key}`)).body.access_token as string;
    const list = await call("GET", `/users/${id}/sessions`);
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body).toHaveLength(1);
    expect((await call("GET", `/users/${id}/sessions`, undefined, manager.accessToken)).body).toEqual({ error: "admin role required" });
    expect((await call("DELETE", `/users/${id}/sessions/${list.body[0].id}`)).status).toBe(200);
    expect(await api(core, "GET", "/api/v1/auth/me", undefined, access)).toMatchObject({ status: 401, body: { error: "session ended or user disabled" } });
    expect((await call("GET", `/users/${id}/sessions`)).body).toEqual([]);
  });
});

describe("F9: input checks with our own sentences", () => {
  it("says a slug must be a string, and needs a letter or digit in it", async () => {
    expect(await call("POST", "/service-accounts", { slug: 123 })).toMatchObject({ status: 400, body: { error: "slug: slug must be a string" } });
    expect(await call("POST", "/service-accounts", {})).toMatchObject({ status: 400, body: { error: "slug: slug is required" } });
    for (const slug of ["-", "_", "--__"]) {
      expect(await call("POST", "/service-accounts", { slug }), slug).toMatchObject({
        status: 400,
        body: { error: "slug: slug must be 1 to 48 of a-z, 0-9, _ and -, with at least one letter or digit" },
      });
    }
    expect((await call("POST", "/service-accounts", { slug: "-a_" })).status).toBe(201);
  });

  it("refuses control characters in key names and display names before the database", async () => {
    const id = await account("esc-names");
    for (const name of ["line\nbreak", "esc\u001b[31m", "nul\u0000byte", "zero\u200bwidth"]) {
      expect(await call("POST", `/service-accounts/${id}/credentials`, { name }), JSON.stringify(name)).toMatchObject({
        status: 400,
        body: { error: "name: name must not contain control or invisible characters" },
      });
    }
    expect(await call("POST", `/service-accounts/${id}/credentials`, { name: 7 })).toMatchObject({ status: 400, body: { error: "name: name must be a string" } });
    expect(await call("POST", "/service-accounts", { slug: "esc-dn", displayName: "a\u0000b" })).toMatchObject({
      status: 400,
      body: { error: "displayName: displayName must not contain control or invisible characters" },
    });
    expect((await call("GET", `/service-accounts/${id}`)).body.credentials).toEqual([]);
  });

  it("takes a null expiresInDays as the default 90 days", async () => {
    const id = await account("esc-null-days");
    const before = Date.now();
    const res = await call("POST", `/service-accounts/${id}/credentials`, { name: "k", expiresInDays: null });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(Math.abs(new Date(res.body.expiresAt).getTime() - before - 90 * 86_400_000)).toBeLessThan(60_000);
  });

  it("refuses new_owner and newOwner given together", async () => {
    const id = await account("esc-owner");
    const res = await call("POST", `/service-accounts/${id}/transfer-ownership`, { new_owner: admin.userId, newOwner: manager.userId });
    expect(res).toMatchObject({ status: 400, body: { error: "give new_owner or newOwner, not both" } });
    expect((await call("GET", `/service-accounts/${id}`)).body.owner.id).toBe(admin.userId);
  });
});
