import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { assertMayActAs } from "../src/server/identities/act-as.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

// Act-as (issue 14 §2, spec §7.4): a service account may run work as a person only with a standing delegation
// from that person AND holding every permission the person holds (no escalation).

let core: TestCore;
let admin: Session;
let alice: Session;

const call = (method: string, path: string, body?: unknown, token = admin.accessToken) => api(core, method, `/api/v1${path}`, body, token);

async function account(slug: string): Promise<string> {
  const res = await call("POST", "/service-accounts", { slug });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function role(name: string, permissions: string[]): Promise<void> {
  expect((await call("POST", "/roles", { name, permissions })).status).toBe(200);
}

const assign = async (userId: string, r: string) => expect((await call("POST", "/roles/assign", { userId, role: r })).status).toBe(200);

/** The refusal's message, or "allowed". */
async function verdict(caller: string, target: string): Promise<string> {
  try {
    await assertMayActAs(core.core, caller, target, "job");
    return "allowed";
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
}

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "actas-admin@example.com");
  alice = await signUpAndIn(core, "alice@example.com");
  await role("crm-reader", ["app:crm:deals.read"]);
  await role("crm-editor", ["app:crm:deals.read", "app:crm:deals.update"]);
  await role("crm-all", ["app:crm:*"]);
  await assign(alice.userId, "crm-editor");
}, 60_000);

afterAll(async () => {
  await core?.dispose();
});

describe("act-as delegations", () => {
  it("refuses without a standing delegation, and allows with one when nothing would widen", async () => {
    const sa = await account("runner");
    await assign(sa, "crm-all");
    expect(await verdict(sa, alice.userId)).toBe(`FORBIDDEN: job may not run as user ${alice.userId}: no standing act-as delegation from that user to ${sa}`);
    const added = await call("POST", `/service-accounts/${sa}/act-as`, { userId: alice.userId });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ id: expect.any(String), userId: alice.userId, email: "alice@example.com", createdAt: expect.any(String) });
    // Idempotent: the same delegation again is answered as it is.
    const again = await call("POST", `/service-accounts/${sa}/act-as`, { userId: alice.userId });
    expect(again).toMatchObject({ status: 200, body: { id: added.body.id } });
    expect(await verdict(sa, alice.userId)).toBe("allowed");
    expect((await call("GET", `/service-accounts/${sa}`)).body.actAs).toEqual([added.body]);
    // Running as oneself needs nothing.
    expect(await verdict(sa, sa)).toBe("allowed");
  });

  it("refuses when the target holds a key the caller lacks (no escalation), naming the keys", async () => {
    const sa = await account("narrow");
    await assign(sa, "crm-reader");
    expect((await call("POST", `/service-accounts/${sa}/act-as`, { userId: alice.userId })).status).toBe(201);
    expect(await verdict(sa, alice.userId)).toBe(`FORBIDDEN: job may not run as user ${alice.userId}: it would widen the caller's authority; the caller lacks app:crm:deals.update`);
    // Granting the caller the missing key lifts the refusal at once (the permission cache drops on role changes).
    await assign(sa, "crm-editor");
    expect(await verdict(sa, alice.userId)).toBe("allowed");
    // A target who gains a key the caller lacks is refused again.
    await role("billing", ["app:billing:invoices.read"]);
    await assign(alice.userId, "billing");
    expect(await verdict(sa, alice.userId)).toBe(`FORBIDDEN: job may not run as user ${alice.userId}: it would widen the caller's authority; the caller lacks app:billing:invoices.read`);
    expect((await call("POST", "/roles/revoke", { userId: alice.userId, role: "billing" })).status).toBe(200);
    expect(await verdict(sa, alice.userId)).toBe("allowed");
  });

  it("refuses acting as an administrator unless the caller is one", async () => {
    const sa = await account("wannabe");
    await assign(sa, "crm-all");
    expect((await call("POST", `/service-accounts/${sa}/act-as`, { userId: admin.userId })).status).toBe(201);
    expect(await verdict(sa, admin.userId)).toBe(`FORBIDDEN: job may not run as user ${admin.userId}: it would widen the caller's authority; the caller lacks *`);
  });

  it("stops at once when the delegation is removed, the target disabled, or the caller disabled", async () => {
    const sa = await account("revocable");
    await assign(sa, "crm-editor");
    expect((await call("POST", `/service-accounts/${sa}/act-as`, { userId: alice.userId })).status).toBe(201);
    expect(await verdict(sa, alice.userId)).toBe("allowed");

    expect((await call("POST", `/service-accounts/${sa}/disable`)).status).toBe(200);
    expect(await verdict(sa, alice.userId)).toBe(`FORBIDDEN: job may not run as user ${alice.userId}: the principal asking is disabled or no longer exists`);
    expect((await call("POST", `/service-accounts/${sa}/enable`)).status).toBe(200);

    expect((await call("POST", `/users/${alice.userId}/disable`)).status).toBe(200);
    expect(await verdict(sa, alice.userId)).toBe(`FORBIDDEN: job may not run as user ${alice.userId}: that user is disabled`);
    expect((await call("POST", `/users/${alice.userId}/enable`)).status).toBe(200);

    const removed = await call("DELETE", `/service-accounts/${sa}/act-as`, { userId: alice.userId });
    expect(removed).toMatchObject({ status: 200, body: { message: "sa+revocable@localhost may no longer act as this user" } });
    expect(await verdict(sa, alice.userId)).toBe(`FORBIDDEN: job may not run as user ${alice.userId}: no standing act-as delegation from that user to ${sa}`);
    const twice = await call("DELETE", `/service-accounts/${sa}/act-as`, { userId: alice.userId });
    expect(twice).toMatchObject({ status: 404, body: { error: "sa+revocable@localhost has no act-as delegation from this user" } });
    expect((await call("GET", `/service-accounts/${sa}`)).body.actAs).toEqual([]);
  });

  it("names people only: a service account or system principal cannot be acted as, nor delegate", async () => {
    const sa = await account("delegatee");
    const other = await account("not-a-person");
    const refusal = "act-as names a person's account; this id is no person's (service accounts and system principals cannot be acted as)";
    expect(await call("POST", `/service-accounts/${sa}/act-as`, { userId: other })).toMatchObject({ status: 400, body: { error: refusal } });
    expect(await call("POST", `/service-accounts/${sa}/act-as`, { userId: "00000000-0000-0000-0000-000000000001" })).toMatchObject({ status: 400, body: { error: refusal } });
    expect(await call("POST", `/service-accounts/${sa}/act-as`, { userId: "nope" })).toMatchObject({ status: 400, body: { error: "userId: invalid id" } });
    expect(await verdict(sa, other)).toBe(`FORBIDDEN: job may not run as user ${other}: only a person can be acted as`);
    // A delegation written around the service (a person as delegatee) still does not let a person act as another.
    await core.core.db.pool.query("INSERT INTO rootcx_system.delegations (delegator_uid, delegatee_uid, trigger_type) VALUES ($1, $2, 'act_as')", [alice.userId, admin.userId]);
    expect(await verdict(admin.userId, alice.userId)).toBe(`FORBIDDEN: job may not run as user ${alice.userId}: a person may not act as another person`);
    expect((await call("POST", `/service-accounts/${admin.userId}/act-as`, { userId: alice.userId })).body).toEqual({ error: "service account not found" });
    const aliceNow = await signUpAndIn(core, alice.email); // disabling her earlier ended her sessions
    expect(await call("POST", `/service-accounts/${sa}/act-as`, { userId: alice.userId }, aliceNow.accessToken)).toMatchObject({
      status: 403,
      body: { error: "permission required: admin:service_accounts.manage" },
    });
  });

  it("offers addActAs and removeActAs through tRPC", async () => {
    const sa = await account("trpc-actor");
    const trpc = createCoreClient(core.url, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    const added = await trpc.serviceAccounts.addActAs.mutate({ id: sa, userId: alice.userId });
    expect(added).toMatchObject({ created: true, delegation: { userId: alice.userId, email: "alice@example.com" } });
    expect((await trpc.serviceAccounts.get.query({ id: sa })).actAs.map((d) => d.userId)).toEqual([alice.userId]);
    expect(await trpc.serviceAccounts.removeActAs.mutate({ id: sa, userId: alice.userId })).toEqual({ message: "sa+trpc-actor@localhost may no longer act as this user" });
    await expect(trpc.serviceAccounts.removeActAs.mutate({ id: sa, userId: alice.userId })).rejects.toThrow("sa+trpc-actor@localhost has no act-as delegation from this user");
  });
});
