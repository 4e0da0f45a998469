import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prune } from "../src/server/realtime/sql.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { openSse, openStalledSse, parseFrames, type SseClient, type SseFrame } from "./sse-client.ts";

let core: TestCore;
let admin: Session;
const BASE = "/api/v1/apps/rtapp/collections/task";
const CHANGES = `${BASE}/changes`;
const BUFFER_BOUND = 64 * 1024;
/** Unread bytes past which a stream is cut off at once (a reader may exceed BUFFER_BOUND for DRAIN_MS). */
const BURST_BOUND = 4 * BUFFER_BOUND;

const manifest = {
  appId: "rtapp",
  name: "Realtime",
  version: "0.1.0",
  dataContract: [{ entityName: "task", fields: [{ name: "title", type: "text", required: true }, { name: "status", type: "text" }, { name: "body", type: "text" }] }],
};

async function grant(user: Session, role: string, permissions: string[]) {
  expect((await api(core, "POST", "/api/v1/roles", { name: role, permissions }, admin.accessToken)).status).toBe(200);
  expect((await api(core, "POST", "/api/v1/roles/assign", { userId: user.userId, role }, admin.accessToken)).status).toBe(200);
}

async function create(record: Record<string, unknown>): Promise<string> {
  const res = await api(core, "POST", BASE, record, admin.accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

const changes = (s: SseClient) => s.frames().filter((f) => f.event === "message");
const ops = (frames: SseFrame[]) => frames.map((f) => `${(f.data as { op: string }).op}:${(f.data as { record?: { title?: string } }).record?.title ?? (f.data as { id: string }).id}`);

/** Waits until `stream` holds `count` change events (and no more arrive for a moment: nothing extra slips in). */
async function settled(stream: SseClient, count: number): Promise<SseFrame[]> {
  for (let i = 0; i < 100 && changes(stream).length < count; i++) await sleep(50);
  await sleep(300);
  return changes(stream);
}

beforeAll(async () => {
  core = await startTestCore({ realtimeLimits: { keepAliveMs: 200, accessRecheckMs: 200, maxBufferedBytes: BUFFER_BOUND, maxBurstBytes: BURST_BOUND, drainMs: 500, pollMs: 200 } });
  admin = await signUpAndIn(core, "admin@rt.test");
  const res = await api(core, "POST", "/api/v1/apps", manifest, admin.accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
});
afterAll(() => core.dispose());

describe("who receives what", () => {
  it("a subscriber without the read key receives nothing; once granted it, it receives", async () => {
    const reader = await signUpAndIn(core, "reader@rt.test");
    const nokey = await signUpAndIn(core, "nokey@rt.test");
    await grant(reader, "task_reader", ["app:rtapp:task.read"]);
    const r = await openSse(core.url, CHANGES, reader.accessToken);
    const n = await openSse(core.url, CHANGES, nokey.accessToken);
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("text/event-stream");
    expect(n.status).toBe(200);
    const id = await create({ title: "first" });
    const got = await settled(r, 1);
    expect(got).toHaveLength(1);
    expect(got[0]!.data).toMatchObject({ op: "insert", id, record: { id, title: "first" } });
    expect(got[0]!.id).toMatch(/^\d+$/);
    expect(changes(n)).toEqual([]);

    await grant(nokey, "task_reader2", ["app:rtapp:task.read"]);
    await create({ title: "second" });
    expect(ops(await settled(n, 1))).toEqual(["insert:second"]);
    expect(ops(await settled(r, 2))).toEqual(["insert:first", "insert:second"]);
    r.close();
    n.close();
  });

  it("an update that takes a row out of the subscriber's where arrives as a delete (and back in as an insert)", async () => {
    const where = encodeURIComponent(JSON.stringify({ status: "open" }));
    const s = await openSse(core.url, `${CHANGES}?where=${where}`, admin.accessToken);
    const id = await create({ title: "w", status: "open" });
    await create({ title: "never matched", status: "closed" });
    expect((await api(core, "PATCH", `${BASE}/${id}`, { status: "closed" }, admin.accessToken)).status).toBe(200);
    expect((await api(core, "PATCH", `${BASE}/${id}`, { status: "open" }, admin.accessToken)).status).toBe(200);
    expect((await api(core, "PATCH", `${BASE}/${id}`, { title: "w2" }, admin.accessToken)).status).toBe(200);
    expect((await api(core, "DELETE", `${BASE}/${id}`, undefined, admin.accessToken)).status).toBe(200);
    const got = (await settled(s, 5)).map((f) => f.data as { op: string; id: string; record?: unknown; old?: { status?: string; title?: string } });
    expect(got.map((e) => e.op)).toEqual(["insert", "delete", "insert", "update", "delete"]);
    expect(got.every((e) => e.id === id)).toBe(true);
    // The delete for "left the view" carries the row as it was, which the subscriber could read.
    expect(got[1]!.old).toMatchObject({ status: "open" });
    expect(got[1]!.record).toBeUndefined();
    expect(got[3]!.old).toMatchObject({ title: "w" });
    s.close();
  });

  it("changes committed together are each judged as they committed, not by the row's final state", async () => {
    const where = encodeURIComponent(JSON.stringify({ status: "open" }));
    const s = await openSse(core.url, `${CHANGES}?where=${where}`, admin.accessToken);
    const client = await core.core.db.pool.connect();
    let id: string;
    try {
      await client.query("BEGIN");
      id = (await client.query<{ id: string }>("INSERT INTO rtapp.task (title, status) VALUES ('together', 'open') RETURNING id")).rows[0]!.id;
      await client.query("UPDATE rtapp.task SET status = 'closed' WHERE id = $1", [id]);
      await client.query("UPDATE rtapp.task SET status = 'open', title = 'together again' WHERE id = $1", [id]);
      await client.query("UPDATE rtapp.task SET status = 'closed' WHERE id = $1", [id]);
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    const got = (await settled(s, 4)).map((f) => f.data as { op: string; record?: { title: string; status: string } });
    expect(got.map((e) => `${e.op}:${e.record?.status ?? "-"}`)).toEqual(["insert:open", "delete:-", "insert:open", "delete:-"]);
    expect(got[2]!.record!.title).toBe("together again");
    s.close();
  });

  it("a rolled-back write sends nothing", async () => {
    const s = await openSse(core.url, CHANGES, admin.accessToken);
    const client = await core.core.db.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("INSERT INTO rtapp.task (title) VALUES ('rolled back')");
      await client.query("UPDATE rtapp.task SET title = 'rolled back too'");
      await client.query("ROLLBACK");
      // A savepoint rolled back inside a committed transaction: its change goes too.
      await client.query("BEGIN");
      await client.query("SAVEPOINT a");
      await client.query("INSERT INTO rtapp.task (title) VALUES ('savepoint rolled back')");
      await client.query("ROLLBACK TO SAVEPOINT a");
      await client.query("INSERT INTO rtapp.task (title) VALUES ('kept')");
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    await create({ title: "marker" });
    expect(ops(await settled(s, 2))).toEqual(["insert:kept", "insert:marker"]);
    s.close();
  });
});

describe("resuming", () => {
  it("a reconnect with Last-Event-ID receives exactly what it missed, then live changes", async () => {
    const first = await openSse(core.url, CHANGES, admin.accessToken);
    await create({ title: "seen" });
    const [seen] = await settled(first, 1);
    first.close();
    await sleep(100);
    for (const title of ["missed1", "missed2", "missed3"]) await create({ title });
    const again = await openSse(core.url, CHANGES, admin.accessToken, { "last-event-id": seen!.id! });
    expect(ops(await settled(again, 3))).toEqual(["insert:missed1", "insert:missed2", "insert:missed3"]);
    await create({ title: "live" });
    const all = await settled(again, 4);
    expect(ops(all)).toEqual(["insert:missed1", "insert:missed2", "insert:missed3", "insert:live"]);
    const ids = all.map((f) => Number(f.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(ids[0]).toBeGreaterThan(Number(seen!.id));
    again.close();
  });

  it("a Last-Event-ID older than the kept window gets a resync event", async () => {
    const s = await openSse(core.url, CHANGES, admin.accessToken);
    await create({ title: "old" });
    const [old] = await settled(s, 1);
    s.close();
    await create({ title: "after" });
    await prune(core.core.db.pool, 0);
    const again = await openSse(core.url, CHANGES, admin.accessToken, { "last-event-id": old!.id! });
    const ended = new Promise<void>((r) => again.onEnd(r));
    await ended;
    expect(again.frames()).toEqual([{ event: "resync", data: { reason: `changes after event ${old!.id} are no longer kept (300 s window)` } }]);
  });
});

describe("back-pressure and access", () => {
  it("a subscriber that stops reading is told to resync and dropped; the Core holds at most the bound for it", async () => {
    const resyncsBefore = core.core.realtime.resyncs;
    const stalled = openStalledSse(core.url, CHANGES, admin.accessToken);
    for (let i = 0; i < 50 && core.core.realtime.stats().subscribers === 0; i++) await sleep(20);
    expect(core.core.realtime.stats().subscribers).toBe(1);
    const body = "x".repeat(4000);
    // Bulk creates of 20 rows (~80 KB), each its own batch, until the stream is cut off: the kernel's socket
    // buffers take a megabyte or more first, then the Core's unread bytes stay above the bound for drainMs.
    let peak = 0;
    for (let i = 0; i < 100 && core.core.realtime.stats().subscribers > 0; i++) {
      const rows = Array.from({ length: 20 }, (_, j) => ({ title: `bulk${i}-${j}`, body }));
      expect((await api(core, "POST", `${BASE}/bulk`, rows, admin.accessToken)).status).toBe(201);
      for (let k = 0; k < 5; k++, await sleep(10)) peak = Math.max(peak, core.core.realtime.maxUnreadBytes());
    }
    // What the Core itself held for it: at most the burst bound plus the one batch (20 rows) whose write crossed it.
    expect(peak).toBeGreaterThan(BUFFER_BOUND);
    expect(peak).toBeLessThan(BURST_BOUND + 20 * (body.length + 400));
    for (let i = 0; i < 100 && core.core.realtime.stats().subscribers > 0; i++) await sleep(50);
    expect(core.core.realtime.stats().subscribers).toBe(0);
    expect(core.core.realtime.resyncs).toBe(resyncsBefore + 1);
    // Nothing is written to it after the resync: what reaches the client ends with it.
    const text = await stalled.read("event: resync");
    await sleep(200);
    const frames = parseFrames(text.endsWith("\n\n") ? text : `${text}\n\n`);
    expect(frames.at(-1)).toEqual({ event: "resync", data: { reason: "this stream fell too far behind (its client does not read fast enough)" } });
    const written = Buffer.byteLength(text);
    expect(written).toBeGreaterThan(BUFFER_BOUND);
    stalled.close();
    const metrics = await fetch(`${core.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^rootcx_realtime_resyncs_total \d+/m);
    expect(metrics).toMatch(/^rootcx_realtime_events_total \d+/m);
    expect(metrics).toMatch(/^rootcx_realtime_subscribers 0/m);
  });

  it("a stream ends, saying why, when its principal signs out", async () => {
    const session = await signUpAndIn(core, "admin@rt.test");
    const s = await openSse(core.url, CHANGES, session.accessToken);
    const ended = new Promise<void>((r) => s.onEnd(r));
    await create({ title: "before sign-out" });
    await settled(s, 1);
    expect((await api(core, "POST", "/api/v1/auth/logout", { refreshToken: session.refreshToken })).status).toBe(200);
    await ended;
    expect(s.frames().at(-1)).toEqual({ event: "end", data: { reason: "change stream ended: session ended or user disabled" } });
    expect(ops(changes(s))).toEqual(["insert:before sign-out"]);
  });

  it("refuses hostile or unknown input with 4xx and the reason", async () => {
    const t = admin.accessToken;
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(core.url + path, { headers: { authorization: `Bearer ${t}`, ...headers } }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: string } }));
    const q = (w: string) => `${CHANGES}?where=${encodeURIComponent(w)}`;
    expect(await get(q("not json"))).toEqual({ status: 400, body: { error: expect.stringContaining("where must be JSON text") } });
    expect(await get(q("[1]"))).toEqual({ status: 400, body: { error: expect.stringContaining("where must be a JSON object") } });
    expect(await get(q('{"nope":1}'))).toEqual({ status: 400, body: { error: 'unknown column "nope" for entity task' } });
    expect(await get(q('{"title":{"$regex":"x"}}'))).toEqual({ status: 400, body: { error: 'unknown operator "$regex"' } });
    expect(await get(q('{"title; DROP TABLE x":1}'))).toEqual({ status: 400, body: { error: 'unknown column "title; DROP TABLE x" for entity task' } });
    expect(await get("/api/v1/apps/rtapp/collections/Bad-Name/changes")).toEqual({ status: 400, body: { error: "invalid entity name" } });
    expect(await get("/api/v1/apps/rtapp/collections/nosuch/changes")).toEqual({ status: 404, body: { error: "entity nosuch not found in app rtapp" } });
    expect(await get("/api/v1/apps/rootcx_system/collections/users/changes")).toEqual({ status: 403, body: { error: "rootcx_system is not an app" } });
    expect(await get(CHANGES, { "last-event-id": "1; drop" })).toEqual({ status: 400, body: { error: "Last-Event-ID must be the id of an event this stream sent (digits)" } });
    const anon = await fetch(core.url + CHANGES);
    expect(anon.status).toBe(401);
    expect(core.core.realtime.stats().subscribers).toBe(0);
  });
});

describe("tRPC subscription", () => {
  it("streams the same events over tRPC's SSE, tracked by seq", async () => {
    const input = encodeURIComponent(JSON.stringify({ appId: "rtapp", entity: "task", where: { title: "over trpc" } }));
    const ctrl = new AbortController();
    const res = await fetch(`${core.url}/api/trpc/realtime.changes?input=${input}`, { headers: { authorization: `Bearer ${admin.accessToken}`, accept: "text/event-stream" }, signal: ctrl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = "";
    await sleep(300);
    await create({ title: "not this one" });
    await create({ title: "over trpc" });
    const decoder = new TextDecoder();
    while (!text.includes("over trpc")) text += decoder.decode((await reader.read()).value, { stream: true });
    ctrl.abort();
    expect(text).not.toContain("not this one");
    expect(text).toMatch(/id: \d+\n/);
  });
});
