import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import type { ChangeMessage } from "../src/server/realtime/router.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { waitFor } from "./workers-helpers.ts";

let core: TestCore;
let admin: Session;
const BASE = "/api/v1/apps/subapp/collections/note";

beforeAll(async () => {
  core = await startTestCore({ realtimeLimits: { keepAliveMs: 200, accessRecheckMs: 200, pollMs: 200 } });
  admin = await signUpAndIn(core, "admin@sub.test");
  const manifest = { appId: "subapp", name: "Sub", version: "0.1.0", dataContract: [{ entityName: "note", fields: [{ name: "title", type: "text", required: true }] }] };
  const res = await api(core, "POST", "/api/v1/apps", manifest, admin.accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
});
afterAll(() => core.dispose());

describe("the TypeScript client's subscriptions", () => {
  it("receives the changes it may see through realtime.changes, with the headers asked for per connection", async () => {
    let asked = 0;
    const client = createCoreClient(core.url, {
      headers: () => {
        asked++;
        return { authorization: `Bearer ${admin.accessToken}` };
      },
    });
    // A change arrives tracked, as { id: its sequence number, data }; a resync or end notice untracked.
    const seen: { id: string; data: ChangeMessage }[] = [];
    const errors: unknown[] = [];
    let started = false;
    const sub = client.realtime.changes.subscribe(
      { appId: "subapp", entity: "note", where: { title: "wanted" } },
      { onStarted: () => (started = true), onData: (e) => seen.push(e as unknown as { id: string; data: ChangeMessage }), onError: (err) => errors.push(err) },
    );
    try {
      await waitFor("the stream to open", () => (started ? true : undefined));
      await sleep(300);
      expect((await api(core, "POST", BASE, { title: "skipped" }, admin.accessToken)).status).toBe(201);
      const created = await api(core, "POST", BASE, { title: "wanted" }, admin.accessToken);
      expect(created.status).toBe(201);
      const change = await waitFor("the change", () => seen[0]);
      expect(change).toMatchObject({ id: expect.stringMatching(/^\d+$/), data: { op: "insert", record: { id: created.body.id, title: "wanted" } } });
      await sleep(300);
      expect(seen).toHaveLength(1);
      expect(errors).toEqual([]);
      expect(asked).toBeGreaterThanOrEqual(1);
    } finally {
      sub.unsubscribe();
    }
    // Unsubscribing closes the stream on the Core.
    await waitFor("the Core to drop the subscriber", () => (core.core.realtime.stats().subscribers === 0 ? true : undefined));
  });

  it("a client without a token is refused with UNAUTHORIZED, not left retrying silently", async () => {
    const client = createCoreClient(core.url);
    const errors: { data?: { code?: string } | null; message: string }[] = [];
    let data = 0;
    const sub = client.realtime.changes.subscribe({ appId: "subapp", entity: "note" }, { onData: () => data++, onError: (err) => errors.push(err) });
    try {
      const err = await waitFor("the refusal", () => errors[0]);
      expect(err.data?.code).toBe("UNAUTHORIZED");
      expect(data).toBe(0);
    } finally {
      sub.unsubscribe();
    }
  });
});
