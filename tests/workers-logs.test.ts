import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { helpdesk } from "./fixtures/manifests.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { openSse, openStalledSse, parseEvents } from "./sse-client.ts";
import { manifest, placeFixture } from "./workers-helpers.ts";

const LOGS = "/api/v1/apps/helpdesk/logs";
const TRUNCATED = /… \[\d+ bytes truncated\]$/;

let a: TestCore;
let b: TestCore;
let admin: Session;

beforeAll(async () => {
  a = await startTestCore({ logLimits: { accessRecheckMs: 100 } });
  // A second Core process on the same database, with the first one's keys (tokens of one are valid on the other).
  b = await startTestCore({ database: a.database, env: { ROOTCX_MASTER_KEY: a.core.config.masterKey.toString("hex"), ROOTCX_JWT_SECRET: a.core.config.jwtSecret } });
  admin = await signUpAndIn(a, "admin@logs.test");
  expect((await api(a, "POST", "/api/v1/apps", helpdesk(), admin.accessToken)).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await b?.dispose(); // before a, which drops the database
  await a?.dispose();
});

describe("GET /apps/:appId/logs", () => {
  it("streams published lines in order with the exact SSE framing and headers", async () => {
    const s = await openSse(a.url, `${LOGS}?replay=0`, admin.accessToken);
    expect(s.status).toBe(200);
    expect(s.headers["content-type"]).toBe("text/event-stream");
    expect(s.headers["cache-control"]).toBe("no-cache, no-transform");
    expect(s.headers["x-accel-buffering"]).toBe("no");
    for (let i = 0; i < 50; i++) a.core.logs.publish("helpdesk", { level: i % 2 ? "stdout" : "info", message: `line ${i} "quoted"\nsecond` });
    await s.waitForEvents(50);
    const expected = Array.from({ length: 50 }, (_, i) => `data: ${JSON.stringify({ level: i % 2 ? "stdout" : "info", message: `line ${i} "quoted"\nsecond` })}\n\n`).join("");
    expect(s.text()).toBe(expected);
    s.close();
  });

  it("replays the app's last 500 lines to a new subscriber, and nothing with replay=0", async () => {
    for (let i = 0; i < 600; i++) a.core.logs.publish("helpdesk", { level: "info", message: `old ${i}` });
    const replayed = await openSse(a.url, LOGS, admin.accessToken);
    const evs = (await replayed.waitForEvents(500)) as { message: string }[];
    expect(evs.map((e) => e.message)).toEqual(Array.from({ length: 500 }, (_, i) => `old ${i + 100}`));

    const live = await openSse(a.url, `${LOGS}?replay=0`, admin.accessToken);
    a.core.logs.publish("helpdesk", { level: "warn", message: "new" });
    expect(await live.waitForEvents(1)).toEqual([{ level: "warn", message: "new" }]);
    expect((await replayed.waitForEvents(501))[500]).toEqual({ level: "warn", message: "new" });
    replayed.close();
    live.close();
  });

  it("an uninstalled app's lines are not replayed to the app installed again under its id", async () => {
    expect((await api(a, "POST", "/api/v1/apps", { ...helpdesk(), appId: "relogs" }, admin.accessToken)).status).toBe(200);
    a.core.logs.publish("relogs", { level: "info", message: "from the first install" });
    expect((await api(a, "DELETE", "/api/v1/apps/relogs", undefined, admin.accessToken)).status).toBe(200);
    expect((await api(a, "POST", "/api/v1/apps", { ...helpdesk(), appId: "relogs" }, admin.accessToken)).status).toBe(200);
    a.core.logs.publish("relogs", { level: "info", message: "from the second install" });
    const s = await openSse(a.url, "/api/v1/apps/relogs/logs", admin.accessToken);
    expect(await s.waitForEvents(1)).toEqual([{ level: "info", message: "from the second install" }]);
    s.close();
  });

  it("filters by level, and refuses an unknown level with its reason", async () => {
    const s = await openSse(a.url, `${LOGS}?replay=0&level=error,system`, admin.accessToken);
    for (const level of ["info", "error", "debug", "system", "stderr"] as const) a.core.logs.publish("helpdesk", { level, message: level });
    expect(await s.waitForEvents(2)).toEqual([{ level: "error", message: "error" }, { level: "system", message: "system" }]);
    s.close();
    const bad = await api(a, "GET", `${LOGS}?level=info,loud`, undefined, admin.accessToken);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('level "loud" is not a log level: use one or more of info, warn, error, debug, system, stdout, stderr, event, separated by commas');
    const bogus = await api(a, "GET", `${LOGS}?level=bogus`, undefined, admin.accessToken);
    expect(bogus.body.error).toMatch(/^level "bogus" is not a log level: use one or more of /);
    expect((await api(a, "GET", `${LOGS}?level=,`, undefined, admin.accessToken)).body.error).toMatch(/^level names no level: use one or more of /);
    const badReplay = await api(a, "GET", `${LOGS}?replay=maybe`, undefined, admin.accessToken);
    expect(badReplay.status).toBe(400);
    expect(badReplay.body.error).toMatch(/replay must be/);
  });

  it("unsubscribes when the client goes away", async () => {
    const before = a.core.logs.stats().subscribers;
    const s = await openSse(a.url, `${LOGS}?replay=0`, admin.accessToken);
    expect(a.core.logs.stats().subscribers).toBe(before + 1);
    s.close();
    await expect.poll(() => a.core.logs.stats().subscribers, { timeout: 2_000, interval: 10 }).toBe(before);
  });

  it("caps a big message, and a subscriber on another Core gets it truncated, not dropped", async () => {
    const onB = await openSse(b.url, `${LOGS}?replay=0`, admin.accessToken);
    const onA = await openSse(a.url, `${LOGS}?replay=0`, admin.accessToken);
    expect([onA.status, onB.status]).toEqual([200, 200]);
    a.core.logs.publish("helpdesk", { level: "stderr", message: "é".repeat(20_000) });
    a.core.logs.publish("helpdesk", { level: "stderr", message: "\u0001".repeat(7_000) }); // JSON escaping makes it 42 000 bytes
    const [localBig] = (await onA.waitForEvents(2)) as { message: string }[];
    const [remoteBig, remoteEscaped] = (await onB.waitForEvents(2)) as { message: string }[];
    expect(Buffer.byteLength(localBig!.message)).toBeLessThanOrEqual(8 * 1024);
    for (const m of [localBig!.message, remoteBig!.message, remoteEscaped!.message]) {
      expect(m).toMatch(TRUNCATED);
      expect(m).not.toContain("\uFFFD");
    }
    expect(remoteBig!.message).toMatch(/^é{1000,}…/);
    expect(remoteEscaped!.message).toMatch(/^\u0001{500,}…/);
    onA.close();
    onB.close();
  });
});

describe("several Core processes", () => {
  it("a line published on Core A reaches a subscriber on Core B once and in order, and A ignores its own echo", async () => {
    const onB = await openSse(b.url, `${LOGS}?replay=0`, admin.accessToken);
    const onA = await openSse(a.url, `${LOGS}?replay=0`, admin.accessToken);
    expect([onA.status, onB.status]).toEqual([200, 200]);
    const sent = Array.from({ length: 300 }, (_, i) => ({ level: "info" as const, message: `cross ${i}` }));
    for (const e of sent) a.core.logs.publish("helpdesk", e);
    expect(await onB.waitForEvents(300)).toEqual(sent);
    expect(await onA.waitForEvents(300)).toEqual(sent);
    // Echoes and duplicates would arrive within a few flushes.
    await new Promise((r) => setTimeout(r, 300));
    expect(onB.events()).toHaveLength(300);
    expect(onA.events()).toHaveLength(300);
    // B's replay holds what it received from A.
    const replayOnB = await openSse(b.url, `${LOGS}?level=info`, admin.accessToken);
    expect(((await replayOnB.waitForEvents(300)) as { message: string }[]).slice(-3).map((e) => e.message)).toEqual(["cross 297", "cross 298", "cross 299"]);
    for (const s of [onA, onB, replayOnB]) s.close();
  });
});

describe("forged lines", () => {
  it("a NOTIFY on the log channel from any other session (a deploy migration, say) reaches no subscriber", async () => {
    const onB = await openSse(b.url, `${LOGS}?replay=0`, admin.accessToken);
    const forged = JSON.stringify({ c: "x", s: 1, a: "helpdesk", e: [["system", "forged unsigned"]] });
    const db = new pg.Client({ connectionString: a.database.url });
    await db.connect();
    try {
      await db.query("SELECT pg_notify('rootcx_worker_logs', $1)", [forged]);
      await db.query("SELECT pg_notify('rootcx_worker_logs', $1)", [`${"0".repeat(64)}.${forged.replace("unsigned", "badly signed")}`]);
    } finally {
      await db.end();
    }
    a.core.logs.publish("helpdesk", { level: "info", message: "genuine" });
    // NOTIFYs are delivered in commit order: the forged ones were ahead of the genuine line.
    expect(await onB.waitForEvents(1)).toEqual([{ level: "info", message: "genuine" }]);
    await new Promise((r) => setTimeout(r, 200));
    expect(onB.events()).toEqual([{ level: "info", message: "genuine" }]);
    onB.close();
  });
});

describe("several Core processes under a burst", () => {
  it("the send queue to the other Cores stays bounded; they learn how many lines were dropped, and the rest arrive in order", async () => {
    const onB = await openSse(b.url, `${LOGS}?replay=0`, admin.accessToken);
    expect(onB.status).toBe(200);
    const total = 5_000;
    const pad = "p".repeat(1_000);
    for (let i = 0; i < total; i++) a.core.logs.publish("helpdesk", { level: "debug", message: `b${i} ${pad}` });
    // 1 MiB of pending lines of ~1 KiB each.
    expect(a.core.logs.stats().pendingNotify).toBeLessThanOrEqual(1_050);
    await expect.poll(() => (onB.events() as { message: string }[]).some((e) => e.message.startsWith(`b${total - 1} `)), { timeout: 10_000 }).toBe(true);
    const events = onB.events() as { level: string; message: string }[];
    const notices = events.filter((e) => e.level === "system").map((e) => Number(/^\.\.\. (\d+) messages dropped \.\.\.$/.exec(e.message)?.[1]));
    const numbers = events.filter((e) => e.level === "debug").map((e) => Number(/^b(\d+) /.exec(e.message)![1]));
    expect(notices.length).toBeGreaterThan(0);
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
    expect(numbers.length + notices.reduce((x, y) => x + y, 0)).toBe(total);
    onB.close();
  });
});

describe("a real worker", () => {
  it("asking for logs starts the lifecycle worker; what it logs reaches subscribers on both Cores, in order", async () => {
    expect((await api(a, "POST", "/api/v1/apps", manifest("logkit"), admin.accessToken)).status).toBe(200);
    placeFixture(a, "kit", "logkit");
    const path = "/api/v1/apps/logkit/logs?replay=0";
    const onA = await openSse(a.url, path, admin.accessToken);
    const started = (await onA.waitForEvents(2, 15_000)) as { level: string; message: string }[];
    expect(started[0]).toMatchObject({ level: "system", message: expect.stringMatching(/^worker started \(system/) });
    await expect.poll(() => onA.events(), { timeout: 15_000 }).toContainEqual({ level: "info", message: "onStart ran" });
    // B has no files for this app: its own wake-up finds nothing to start, and it shows what A's worker logs.
    const onB = await openSse(b.url, `${path}&level=warn`, admin.accessToken);
    const before = onA.events().length;
    const rpc = await api(a, "POST", "/api/v1/apps/logkit/rpc", { method: "logMany", params: { n: 200, level: "warn" } }, admin.accessToken);
    expect(rpc.status, JSON.stringify(rpc.body)).toBe(200);
    // The RPC runs on the caller's own worker (not the lifecycle one): its lines are labelled with the identity, then
    // with the request they were logged for.
    const requestId = rpc.headers.get("x-request-id");
    const lines = Array.from({ length: 200 }, (_, i) => ({ level: "warn", message: `[user:admin@logs.test] [request_id=${requestId}] line ${i}` }));
    await onA.waitForEvents(before + 200, 10_000);
    await expect.poll(() => onA.events().filter((e) => (e as { level: string }).level === "warn"), { timeout: 10_000 }).toEqual(lines);
    expect(await onB.waitForEvents(200, 10_000)).toEqual(lines);
    onA.close();
    onB.close();

    // Stopped by an admin, it stays stopped for the next reader, whose stream still carries what it logs once an
    // admin starts it; no "could not start" on B, which has no backend.
    expect((await api(a, "POST", "/api/v1/apps/logkit/worker/stop", undefined, admin.accessToken)).status).toBe(200);
    expect(a.core.workers.appState("logkit")).toBe("stopped");
    const again = await openSse(a.url, path, admin.accessToken);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(a.core.workers.appState("logkit")).toBe("stopped");
    expect(again.events()).toEqual([]);
    expect((await api(a, "POST", "/api/v1/apps/logkit/worker/start", undefined, admin.accessToken)).status).toBe(200);
    await expect.poll(() => again.events(), { timeout: 15_000 }).toContainEqual({ level: "info", message: "onStart ran" });
    again.close();
    expect(b.logs.join("\n")).not.toContain("could not start the app's worker");
  }, 60_000);
});

describe("permissions", () => {
  it("401 without a token, 403 naming the key without it, 200 for an admin and for a holder of app:{id}:logs.read, 404 for an unknown app", async () => {
    const none = await api(a, "GET", LOGS);
    expect(none.status).toBe(401);

    const plain = await signUpAndIn(a, "plain@logs.test");
    const refused = await api(a, "GET", LOGS, undefined, plain.accessToken);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe("permission required: app:helpdesk:logs.read (or admin:apps.deploy)");

    const reader = await signUpAndIn(a, "reader@logs.test");
    expect((await api(a, "POST", "/api/v1/roles", { name: "log_reader", permissions: ["app:helpdesk:logs.read"] }, admin.accessToken)).status).toBe(200);
    expect((await api(a, "POST", "/api/v1/roles/assign", { userId: reader.userId, role: "log_reader" }, admin.accessToken)).status).toBe(200);
    const allowed = await openSse(a.url, `${LOGS}?replay=0`, reader.accessToken);
    expect(allowed.status).toBe(200);
    a.core.logs.publish("helpdesk", { level: "event", message: "for the reader" });
    expect(await allowed.waitForEvents(1)).toEqual([{ level: "event", message: "for the reader" }]);
    allowed.close();
    // The key is per app: it does not open another app's logs.
    const other = await api(a, "GET", "/api/v1/apps/crm/logs", undefined, reader.accessToken);
    expect(other.status).toBe(403);
    expect(other.body.error).toMatch(/app:crm:logs\.read/);

    const adminStream = await openSse(a.url, `${LOGS}?replay=0`, admin.accessToken);
    expect(adminStream.status).toBe(200);
    adminStream.close();

    const unknown = await api(a, "GET", "/api/v1/apps/nosuchapp/logs", undefined, admin.accessToken);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe("app nosuchapp not found");
  });

  it("an open stream ends, saying why, when its reader loses the key or signs out", async () => {
    const reader = await signUpAndIn(a, "revoked@logs.test");
    expect((await api(a, "POST", "/api/v1/roles/assign", { userId: reader.userId, role: "log_reader" }, admin.accessToken)).status).toBe(200);
    const stream = await openSse(a.url, `${LOGS}?replay=0`, reader.accessToken);
    expect(stream.status).toBe(200);
    const ended = new Promise<void>((r) => stream.onEnd(r));
    a.core.logs.publish("helpdesk", { level: "info", message: "still allowed" });
    await stream.waitForEvents(1);
    expect((await api(a, "POST", "/api/v1/roles/revoke", { userId: reader.userId, role: "log_reader" }, admin.accessToken)).status).toBe(200);
    await ended;
    expect(stream.events()).toEqual([
      { level: "info", message: "still allowed" },
      { level: "system", message: "log stream ended: permission required: app:helpdesk:logs.read (or admin:apps.deploy)" },
    ]);

    const session = await signUpAndIn(a, "admin@logs.test");
    const adminStream = await openSse(a.url, `${LOGS}?replay=0`, session.accessToken);
    const adminEnded = new Promise<void>((r) => adminStream.onEnd(r));
    expect((await api(a, "POST", "/api/v1/auth/logout", { refreshToken: session.refreshToken })).status).toBe(200);
    await adminEnded;
    expect(adminStream.events()).toEqual([{ level: "system", message: "log stream ended: session ended or user disabled" }]);
  });

  it("an install registers app:{id}:logs.read with a description", async () => {
    const db = new pg.Client({ connectionString: a.database.url });
    await db.connect();
    try {
      const { rows } = await db.query("SELECT description FROM rootcx_system.rbac_permissions WHERE key = 'app:helpdesk:logs.read' AND source_app = 'helpdesk'");
      expect(rows).toEqual([{ description: "Watch Helpdesk's backend logs (they show what its code prints)" }]);
    } finally {
      await db.end();
    }
  });
});

describe("slow subscribers and keep-alive", () => {
  let s: TestCore;
  let token: string;
  beforeAll(async () => {
    s = await startTestCore({ logLimits: { subscriberQueue: 8, keepAliveMs: 100, replayBytes: 64 * 1024 } });
    token = (await signUpAndIn(s, "admin@slow.test")).accessToken;
    expect((await api(s, "POST", "/api/v1/apps", helpdesk(), token)).status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await s?.dispose();
  });

  it("keeps the replay ring within its memory bound: the newest lines that fit", async () => {
    const pad = "r".repeat(4_000);
    for (let i = 0; i < 100; i++) s.core.logs.publish("helpdesk", { level: "info", message: `r${i} ${pad}` });
    const c = await openSse(s.url, LOGS, token);
    await new Promise((r) => setTimeout(r, 200));
    const numbers = (c.events() as { message: string }[]).map((e) => Number(/^r(\d+) /.exec(e.message)![1]));
    // 8 076 bytes each (UTF-16 and the entry) in a 64 KiB ring: the last 8, though 500 lines would be allowed.
    expect(numbers).toEqual(Array.from({ length: 8 }, (_, i) => 92 + i));
    c.close();
    await expect.poll(() => s.core.logs.stats().subscribers, { timeout: 2_000, interval: 10 }).toBe(0);
  });

  it("sends a keep-alive comment at the configured interval", async () => {
    const c = await openSse(s.url, `${LOGS}?replay=0`, token);
    await new Promise((r) => setTimeout(r, 650));
    expect(c.text()).toMatch(/^(: keep-alive\n\n){3,}$/);
    c.close();
    await expect.poll(() => s.core.logs.stats().subscribers, { timeout: 2_000, interval: 10 }).toBe(0);
  });

  it("a subscriber that stops reading loses the oldest lines, gets one dropped notice, and the Core holds at most its queue", async () => {
    const slow = openStalledSse(s.url, `${LOGS}?replay=0`, token);
    await expect.poll(() => s.core.logs.stats().subscribers, { timeout: 2_000, interval: 10 }).toBe(1);
    const total = 20_000;
    const pad = "x".repeat(1_000);
    // One synchronous burst (as a worker flooding its stdout): the socket cannot drain in between.
    let maxQueued = 0;
    for (let i = 0; i < total; i++) {
      s.core.logs.publish("helpdesk", { level: "info", message: `n${i} ${pad}` });
      if (i % 500 === 0) maxQueued = Math.max(maxQueued, s.core.logs.stats().queued);
    }
    expect(s.core.logs.stats().queued).toBe(8);
    expect(maxQueued).toBeLessThanOrEqual(8);

    const body = await slow.read(`n${total - 1} ${pad}"}\n\n`);
    const events = parseEvents(body) as { level: string; message: string }[];
    const notices = events.filter((e) => e.level === "system");
    expect(notices).toHaveLength(1);
    const dropped = Number(/^\.\.\. (\d+) messages dropped \.\.\.$/.exec(notices[0]!.message)?.[1]);
    const numbers = events.filter((e) => e.level === "info").map((e) => Number(/^n(\d+) /.exec(e.message)![1]));
    // In order, nothing twice, and every line either delivered or counted as dropped.
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(dropped).toBeGreaterThan(0);
    expect(numbers.length + dropped).toBe(total);
    // The notice comes where the lines went missing: right before the 8 lines the queue kept.
    const at = events.indexOf(notices[0]!);
    expect(events.slice(at + 1).map((e) => e.message.split(" ")[0])).toEqual(Array.from({ length: 8 }, (_, i) => `n${total - 8 + i}`));
    slow.close();
    await expect.poll(() => s.core.logs.stats().subscribers, { timeout: 2_000, interval: 10 }).toBe(0);
  });
});

describe("open streams", () => {
  it("are bounded per Core: one more is refused with 429 and its reason", async () => {
    const c = await startTestCore({ logLimits: { maxSubscribers: 2 } });
    try {
      const t = (await signUpAndIn(c, "admin@many.test")).accessToken;
      expect((await api(c, "POST", "/api/v1/apps", helpdesk(), t)).status).toBe(200);
      const open = [await openSse(c.url, LOGS, t), await openSse(c.url, LOGS, t)];
      expect(open.map((o) => o.status)).toEqual([200, 200]);
      const third = await api(c, "GET", LOGS, undefined, t);
      expect(third.status).toBe(429);
      expect(third.body.error).toBe("too many open log streams on this Core (2); close one and retry");
      open[0]!.close();
      await expect.poll(() => c.core.logs.stats().subscribers, { timeout: 2_000, interval: 10 }).toBe(1);
      const again = await openSse(c.url, LOGS, t);
      expect(again.status).toBe(200);
      for (const o of [open[1]!, again]) o.close();
    } finally {
      await c.dispose();
    }
  }, 60_000);
});

describe("shutdown", () => {
  it("a Core stopping ends its open log streams instead of waiting for them", async () => {
    const c = await startTestCore();
    const t = (await signUpAndIn(c, "admin@stop.test")).accessToken;
    expect((await api(c, "POST", "/api/v1/apps", helpdesk(), t)).status).toBe(200);
    const stream = await openSse(c.url, `${LOGS}?replay=0`, t);
    expect(stream.status).toBe(200);
    const ended = new Promise<void>((r) => stream.onEnd(r));
    const started = performance.now();
    await c.dispose();
    // The HTTP server's grace for in-flight requests is 10 s: a stream left open would hold the stop that long.
    expect(performance.now() - started).toBeLessThan(5_000);
    await ended;
  }, 60_000);
});
