import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { signUpAndIn, startTestCore, type TestCore } from "./harness.ts";

let core: TestCore;
beforeAll(async () => {
  core = await startTestCore();
});
afterAll(async () => {
  await core?.dispose();
});

describe("typed tRPC client against the running server", () => {
  it("reads the system procedures", async () => {
    const version = await core.client.system.version.query();
    expect(version).toEqual({ version: core.core.version, node: process.version, postgres: core.core.db.info.serverVersion });
    expect(version.postgres).toMatch(/^\d+/);

    const overview = await core.client.system.overview.query();
    expect(overview).toMatchObject({ version: core.core.version, state: "online", database: { reachable: true, embedded: false } });
    expect(new Date(overview.startedAt).getTime()).toBeLessThanOrEqual(Date.now());

    expect(await core.client.system.health.query()).toEqual({ status: "ok" });
    expect((await core.client.system.fullHealth.query()).database.reachable).toBe(true);
  });

  it("gives the same answers as REST, because both call the same service", async () => {
    const { accessToken } = await signUpAndIn(core, "client@test.local");
    const rest = await (await fetch(`${core.url}/api/v1/status`, { headers: { authorization: `Bearer ${accessToken}` } })).json();
    const authed = createCoreClient(core.url, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(await authed.system.status.query()).toEqual(rest);
    const denied = await core.client.system.status.query().catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(TRPCClientError);
    expect((denied as TRPCClientError<never>).data).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401 });
  });

  it("batches several calls into one request", async () => {
    // Counted twice: the fetches the client makes, and the requests the server logs under this client's id.
    let fetches = 0;
    const requestId = `batch-probe-${Date.now()}`;
    const client = createCoreClient(core.url, { headers: { "x-request-id": requestId }, fetch: (input, init) => (fetches++, fetch(input, init)) });
    const [a, b, c] = await Promise.all([client.system.health.query(), client.system.version.query(), client.system.overview.query()]);
    expect(a.status).toBe("ok");
    expect(b.version).toBe(core.core.version);
    expect(c.state).toBe("online");
    expect(fetches).toBe(1);
    const served = core.logs.map((l) => JSON.parse(l) as { requestId?: string }).filter((l) => l.requestId === requestId);
    expect(served).toEqual([expect.objectContaining({ method: "GET", path: "/api/trpc/system.health,system.version,system.overview", status: 200 })]);
  });

  it("surfaces an unknown procedure as NOT_FOUND", async () => {
    const res = await fetch(`${core.url}/api/trpc/system.nope`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { data: { code: string } } };
    expect(body.error.data.code).toBe("NOT_FOUND");
  });

  it("fails cleanly against a URL where no Core listens", async () => {
    const client = createCoreClient("http://127.0.0.1:1");
    const err = await client.system.health.query().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<never>).message).toBe("fetch failed");
  });
});
