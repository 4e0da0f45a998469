import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { isRunning, startWorker, stopAllWorkers, timeUntilGone, type WireMessage, type WorkerDriver } from "./worker-host-driver.ts";

// The worker host (src/worker-host) in real Bun processes on the fixture apps, with this file playing the Core's
// side of the IPC protocol of spec §4: what the worker says, message for message, and how it answers.

afterEach(stopAllWorkers);

async function kit(discover: Record<string, unknown> = {}): Promise<WorkerDriver> {
  const w = startWorker("kit");
  await w.discover(discover);
  return w;
}

const request = (w: WorkerDriver, type: string) => w.waitFor((m) => m.type === type, 10_000, `a ${type} request`);
const answerOf = (w: WorkerDriver, id: string) => w.waitFor((m) => m.type === "rpc_response" && m.id === id, 10_000, `the answer to ${id}`);

/** A stand-in for the Core's upload endpoint: records what it receives, answers `status` with `body`. */
async function uploadServer(status: number, body: unknown) {
  const received: Array<{ url: string; contentType: string | undefined; bytes: Buffer }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ url: req.url ?? "", contentType: req.headers["content-type"], bytes: Buffer.concat(chunks) });
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("handshake", () => {
  it("answers discover with protocol 2 and its methods, and says nothing before it", async () => {
    const w = startWorker("kit");
    await sleep(300);
    expect(w.messages()).toEqual([]);
    const reply = await w.discover();
    expect(reply).toMatchObject({ type: "discover", protocol: 2 });
    expect(reply.methods).toEqual(expect.arrayContaining(["echo", "sql", "tx", "collection", "upload", "pid"]));
  });

  it("runs onStart once, only when run_onstart is true", async () => {
    const w = await kit({ run_onstart: true });
    await w.waitFor((m) => m.type === "log" && m.message === "onStart ran");
    w.send({ type: "discover", app_id: "kit", runtime_url: "http://127.0.0.1:9", run_onstart: true });
    await w.waitFor((m) => m.type === "discover");
    expect((await w.rpc("onStartCount")).result).toBe(1);
    expect(w.logs().filter((l) => l.message === "onStart ran")).toHaveLength(1);

    const lifecycleLess = await kit({ run_onstart: false });
    expect((await lifecycleLess.rpc("onStartCount")).result).toBe(0);
    const unset = await kit();
    expect((await unset.rpc("onStartCount")).result).toBe(0);
    expect(unset.logs().some((l) => l.message === "onStart ran")).toBe(false);
  });

  it("builds ctx from discover: app id, runtime url, credentials and manifest", async () => {
    const w = await kit({ app_id: "kit_app", runtime_url: "http://127.0.0.1:4321", credentials: { STRIPE_KEY: "sk_1" }, manifest: { appId: "kit_app" } });
    expect((await w.rpc("credentials")).result).toEqual({ STRIPE_KEY: "sk_1" });
    expect((await w.rpc("context")).result).toEqual({ appId: "kit_app", runtimeUrl: "http://127.0.0.1:4321", manifest: { appId: "kit_app" } });
    const bare = await kit();
    expect((await bare.rpc("credentials")).result).toEqual({});
  });

  it("does not lose discover while the app's top-level work runs before serve()", async () => {
    const w = startWorker("slow-start");
    const sent = Date.now();
    const reply = await w.discover();
    expect(Date.now() - sent).toBeGreaterThanOrEqual(1400);
    expect(reply).toMatchObject({ protocol: 2, methods: ["ready"] });
    expect((await w.rpc("ready")).result).toEqual({ waitedMs: 1500 });
  });
});

describe("rpc", () => {
  it("passes params and the camelCase caller through, null when anonymous", async () => {
    const w = await kit();
    const caller = { userId: "u-1", email: "ada@example.com", effectivePerms: ["app:kit:invoke"], connectionId: "c-1" };
    expect((await w.rpc("echo", { a: [1, "two"] }, caller)).result).toEqual({ params: { a: [1, "two"] }, caller });
    expect((await w.rpc("echo", { b: 1 })).result).toEqual({ params: { b: 1 }, caller: null });
  });

  it("answers errors as their message, and unknown or inherited method names as unknown", async () => {
    const w = await kit();
    expect(await w.rpc("fail", { message: "sync boom" })).toMatchObject({ error: "sync boom" });
    expect(await w.rpc("failAsync", { message: "async boom" })).toMatchObject({ error: "async boom" });
    expect(await w.rpc("throwValue", { value: "a plain string" })).toMatchObject({ error: "a plain string" });
    expect(await w.rpc("throwValue", { value: 42 })).toMatchObject({ error: "42" });
    expect(await w.rpc("throwValue", { value: { message: "error-like" } })).toMatchObject({ error: "error-like" });
    expect(await w.rpc("nope")).toMatchObject({ error: "unknown method: nope" });
    expect(await w.rpc("toString")).toMatchObject({ error: "unknown method: toString" });
    expect((await w.rpc("echo", 1)).result).toEqual({ params: 1, caller: null });
  });

  it("answers concurrent calls by id, in the order they finish", async () => {
    const w = await kit();
    const slow = w.startRpc("sleep", { ms: 300 });
    const fast = w.startRpc("echo", { fast: true });
    const first = await w.waitFor((m) => m.type === "rpc_response");
    expect(first.id).toBe(fast);
    expect((await answerOf(w, slow)).result).toBe("slept");
  });

  it("turns results JSON cannot carry into answers, never into a crash", async () => {
    const w = await kit();
    const undef = await w.rpc("awkward", { kind: "undefined" });
    expect("result" in undef && undef.result === null).toBe(true);
    expect((await w.rpc("awkward", { kind: "bigint" })).result).toEqual({ n: "1180591620717411303424" });
    expect((await w.rpc("awkward", { kind: "function" })).result).toBeNull();
    const cycle = await w.rpc("awkward", { kind: "cycle" });
    expect(cycle.error).toMatch(/^result is not serialisable: /);
    expect(cycle).not.toHaveProperty("result");
    expect((await w.rpc("echo", "still alive")).result).toEqual({ params: "still alive", caller: null });
  });

  it("refuses a result larger than a line as an error answer, and goes on", async () => {
    const w = await kit();
    const big = await w.rpc("awkward", { kind: "large", bytes: 2 * 1024 * 1024 });
    expect(big.error).toMatch(/^result too large \(\d+ bytes, 1 MiB at most\)$/);
    const justUnder = await w.rpc("awkward", { kind: "large", bytes: 1024 * 1024 - 100 });
    expect(justUnder.result).toHaveLength(1024 * 1024 - 100);
    expect((await w.rpc("pid")).result).toBe(w.child.pid);
  });

  it("runs the flat legacy form as rpc, with the global log", async () => {
    const w = startWorker("legacy");
    const reply = await w.discover({ run_onstart: true });
    expect(reply).toMatchObject({ protocol: 2, methods: ["ping", "greet"] });
    expect(w.logs()).toContainEqual({ level: "warn", message: expect.stringMatching(/flat form \(deprecated\)/) });
    expect((await w.rpc("ping")).result).toBe("pong");
    expect((await w.rpc("greet", { name: "bob" })).result).toBe("hello bob");
    expect(w.logs()).toEqual(expect.arrayContaining([{ level: "info", message: "greeting bob" }, { level: "warn", message: "greeted" }]));
  });
});

describe("the forms of serve()", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  /** A one-file backend in a temporary app directory. */
  function app(source: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), "worker-host-app-"));
    dirs.push(dir);
    writeFileSync(path.join(dir, "index.ts"), source);
    return dir;
  }

  it("says onstart_complete once onStart resolved, threw or was absent, and only to a run_onstart discover", async () => {
    const slow = startWorker(app(`serve({ rpc: {}, onStart: async () => { await new Promise((r) => setTimeout(r, 300)); log.info("onStart done"); } });`));
    await slow.discover({ run_onstart: true });
    await slow.waitFor((m) => m.type === "onstart_complete");
    const order = slow.messages().map((m) => (m.type === "log" ? m.message : m.type));
    expect(order.indexOf("onStart done")).toBeGreaterThanOrEqual(0);
    expect(order.indexOf("onstart_complete")).toBeGreaterThan(order.indexOf("onStart done"));

    const failing = startWorker(app(`serve({ rpc: {}, onStart: () => { throw new Error("no seed"); } });`));
    await failing.discover({ run_onstart: true });
    await failing.waitFor((m) => m.type === "onstart_complete");
    expect(failing.logs()).toContainEqual({ level: "error", message: "onStart failed: no seed" });

    const none = startWorker(app(`serve({ rpc: {} });`));
    await none.discover({ run_onstart: true });
    await none.waitFor((m) => m.type === "onstart_complete");

    const userWorker = startWorker(app(`serve({ rpc: { hi: () => "hi" }, onStart: () => undefined });`));
    await userWorker.discover();
    expect((await userWorker.rpc("hi")).result).toBe("hi");
    expect(userWorker.messages().some((m) => m.type === "onstart_complete")).toBe(false);
  });

  it("accepts seed 003's serve(rpc, {onStart}) and a bare serve()", async () => {
    const w = startWorker(app(`serve({ hi: () => "hi" }, { onStart: (config) => log.info("secret " + config.credentials.K) });`));
    expect(await w.discover({ run_onstart: true, credentials: { K: "v" } })).toMatchObject({ methods: ["hi"] });
    await w.waitFor((m) => m.type === "log" && m.message === "secret v");
    expect(w.logs().some((l) => /deprecated/.test(l.message))).toBe(false);
    expect((await w.rpc("hi")).result).toBe("hi");

    const bare = startWorker(app(`serve();`));
    expect(await bare.discover()).toEqual({ type: "discover", protocol: 2, methods: [] });
    expect(await bare.rpc("anything")).toMatchObject({ error: "unknown method: anything" });
  });

  it("refuses a second serve() and malformed handlers at the call, with the reason", async () => {
    const twice = startWorker(app(`serve({ rpc: {} });\ntry { serve({ rpc: {} }); } catch (e) { console.error("second: " + e.message); }`));
    await twice.discover();
    await twice.waitFor((m) => m.type === "log" && m.level === "error");
    expect(twice.logs()).toContainEqual({ level: "error", message: "second: serve() called twice" });

    const notFunction = startWorker(app(`serve({ rpc: { version: "1.0" } });`));
    expect((await notFunction.exited).code).not.toBe(0);
    expect(notFunction.stderr()).toContain('serve(): rpc method "version" is not a function');
    const badHook = startWorker(app(`serve({ rpc: {}, onStart: "later" });`));
    expect((await badHook.exited).code).not.toBe(0);
    expect(badHook.stderr()).toContain("serve(): onStart must be a function");
  });
});

describe("jobs", () => {
  it("runs onJob with payload and caller, answering job_result with or without an error", async () => {
    const w = await kit();
    w.send({ type: "job", id: "17", payload: { n: 1 }, caller: { userId: "u", email: "job@example.com" } });
    expect(await w.waitFor((m) => m.type === "job_result" && m.id === "17")).toEqual({ type: "job_result", id: "17" });
    expect(w.logs()).toContainEqual({ level: "info", message: "job ran for job@example.com" });
    w.send({ type: "job", id: "18", payload: { fail: "bad input" } });
    expect(await w.waitFor((m) => m.type === "job_result" && m.id === "18")).toEqual({ type: "job_result", id: "18", error: "job failed: bad input" });
  });

  it("answers ok at once without an onJob handler", async () => {
    const w = startWorker("legacy");
    await w.discover();
    w.send({ type: "job", id: "1", payload: {} });
    expect(await w.waitFor((m) => m.type === "job_result")).toEqual({ type: "job_result", id: "1" });
  });
});

describe("data requests to the Core", () => {
  it("ctx.sql sends sql_query and maps the answer to {columns, rows, rowCount}", async () => {
    const w = await kit();
    const id = w.startRpc("sql", { text: "SELECT $1::int AS n", params: [7] });
    const query = await request(w, "sql_query");
    expect(query).toEqual({ type: "sql_query", id: query.id, sql: "SELECT $1::int AS n", params: [7] });
    w.send({ type: "sql_query_result", id: query.id, columns: ["n"], rows: [[7]], row_count: 1 });
    expect((await answerOf(w, id)).result).toEqual({ columns: ["n"], rows: [[7]], rowCount: 1 });

    const noParams = w.startRpc("sql", { text: "SELECT 1" });
    const bare = await request(w, "sql_query");
    expect(bare.params).toEqual([]);
    w.send({ type: "sql_query_result", id: bare.id, error: "permission denied for table tasks" });
    expect(await answerOf(w, noParams)).toMatchObject({ error: "permission denied for table tasks" });
  });

  it("matches replies by id, each request with an id of its own", async () => {
    const w = await kit();
    const first = w.startRpc("sql", { text: "SELECT 'first'" });
    const second = w.startRpc("sql", { text: "SELECT 'second'" });
    const q1 = await request(w, "sql_query");
    const q2 = await request(w, "sql_query");
    expect(q1.id).not.toBe(q2.id);
    w.send({ type: "sql_query_result", id: q2.id, columns: ["v"], rows: [["second"]], row_count: 1 });
    w.send({ type: "sql_query_result", id: q1.id, columns: ["v"], rows: [["first"]], row_count: 1 });
    expect((await answerOf(w, first)).result).toMatchObject({ rows: [["first"]] });
    expect((await answerOf(w, second)).result).toMatchObject({ rows: [["second"]] });
  });

  it("fails a request the Core never answers, with a clear error", async () => {
    const w = startWorker("kit", { env: { ROOTCX_IPC_TIMEOUT_MS: "300" } });
    await w.discover();
    const started = Date.now();
    const answer = await w.rpc("sql", { text: "SELECT 1" });
    expect(answer.error).toBe("sql_query: no answer from the Core within 0.3 s");
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("ctx.collection sends collection_op for insert, update, find and findOne", async () => {
    const w = await kit();
    const cases: Array<{ params: Record<string, unknown>; op: string; data: unknown; result: unknown }> = [
      { params: { op: "insert", data: { title: "a" } }, op: "insert", data: { title: "a" }, result: { id: "r1", title: "a" } },
      { params: { op: "update", data: { id: "r1", title: "b" } }, op: "update", data: { id: "r1", title: "b" }, result: { id: "r1", title: "b" } },
      { params: { op: "update", id: "r1", data: { title: "c" } }, op: "update", data: { id: "r1", title: "c" }, result: { id: "r1", title: "c" } },
      { params: { op: "find", data: { title: "c" } }, op: "find", data: { title: "c" }, result: [{ id: "r1" }] },
      { params: { op: "find" }, op: "find", data: {}, result: [] },
      { params: { op: "findOne", data: { id: "zz" } }, op: "findOne", data: { id: "zz" }, result: null },
    ];
    for (const c of cases) {
      const id = w.startRpc("collection", { entity: "tasks", ...c.params });
      const op = await request(w, "collection_op");
      expect(op).toEqual({ type: "collection_op", id: op.id, op: c.op, entity: "tasks", data: c.data });
      w.send({ type: "collection_op_result", id: op.id, result: c.result });
      expect((await answerOf(w, id)).result).toEqual(c.result);
    }
    const failing = w.startRpc("collection", { entity: "tasks", op: "insert", data: { title: 1 } });
    const op = await request(w, "collection_op");
    w.send({ type: "collection_op_result", id: op.id, error: "invalid input syntax" });
    expect(await answerOf(w, failing)).toMatchObject({ error: "invalid input syntax" });
  });

  it("refuses an update without the record's id locally, sending nothing", async () => {
    const w = await kit();
    expect(await w.rpc("collection", { entity: "tasks", op: "update", data: { title: "no id" } })).toMatchObject({
      error: 'collection("tasks").update: needs the record\'s id (data.id)',
    });
    expect(w.messages().some((m) => m.type === "collection_op")).toBe(false);
  });

  it("ctx.transaction commits when the work resolves", async () => {
    const w = await kit();
    const id = w.startRpc("tx", { statements: ["INSERT INTO t VALUES (1)", { text: "SELECT $1", params: [2] }] });
    const begin = await request(w, "sql_begin");
    expect(begin).toEqual({ type: "sql_begin", id: begin.id });
    w.send({ type: "sql_begin_result", id: begin.id, tx_id: "tx-9" });
    const first = await request(w, "sql_exec");
    expect(first).toEqual({ type: "sql_exec", id: first.id, tx_id: "tx-9", sql: "INSERT INTO t VALUES (1)", params: [] });
    w.send({ type: "sql_exec_result", id: first.id, columns: [], rows: [], row_count: 1 });
    const second = await request(w, "sql_exec");
    expect(second).toMatchObject({ tx_id: "tx-9", sql: "SELECT $1", params: [2] });
    w.send({ type: "sql_exec_result", id: second.id, columns: ["?column?"], rows: [[2]], row_count: 1 });
    const commit = await request(w, "sql_commit");
    expect(commit).toEqual({ type: "sql_commit", id: commit.id, tx_id: "tx-9" });
    w.send({ type: "sql_end_result", id: commit.id });
    expect((await answerOf(w, id)).result).toEqual([
      { columns: [], rows: [], rowCount: 1 },
      { columns: ["?column?"], rows: [[2]], rowCount: 1 },
    ]);
    expect(w.messages().some((m) => m.type === "sql_rollback")).toBe(false);
  });

  it("ctx.transaction rolls back and rethrows when the work throws or a statement fails", async () => {
    const w = await kit();
    const id = w.startRpc("tx", { statements: ["DELETE FROM t"], fail: true });
    const begin = await request(w, "sql_begin");
    w.send({ type: "sql_begin_result", id: begin.id, tx_id: 5 });
    const exec = await request(w, "sql_exec");
    w.send({ type: "sql_exec_result", id: exec.id, columns: [], rows: [], row_count: 3 });
    const rollback = await request(w, "sql_rollback");
    expect(rollback).toEqual({ type: "sql_rollback", id: rollback.id, tx_id: 5 });
    w.send({ type: "sql_end_result", id: rollback.id });
    expect(await answerOf(w, id)).toMatchObject({ error: "rolled back on purpose" });

    const refused = w.startRpc("tx", { statements: ["DROP TABLE t", "SELECT 1"] });
    const begin2 = await request(w, "sql_begin");
    w.send({ type: "sql_begin_result", id: begin2.id, tx_id: 6 });
    const exec2 = await request(w, "sql_exec");
    w.send({ type: "sql_exec_result", id: exec2.id, error: "DROP is not allowed from a worker" });
    const rollback2 = await request(w, "sql_rollback");
    w.send({ type: "sql_end_result", id: rollback2.id });
    expect(await answerOf(w, refused)).toMatchObject({ error: "DROP is not allowed from a worker" });
    expect(w.messages().filter((m) => m.type === "sql_exec")).toHaveLength(2);
    expect(w.messages().some((m) => m.type === "sql_commit")).toBe(false);
  });

  it("ctx.transaction fails without statements when the Core refuses to begin, and reports a failed commit", async () => {
    const w = await kit();
    const id = w.startRpc("tx", { statements: ["SELECT 1"] });
    const begin = await request(w, "sql_begin");
    w.send({ type: "sql_begin_result", id: begin.id, error: "a transaction is already open" });
    expect(await answerOf(w, id)).toMatchObject({ error: "a transaction is already open" });
    expect(w.messages().some((m) => m.type === "sql_exec")).toBe(false);

    const committing = w.startRpc("tx", { statements: [] });
    const begin2 = await request(w, "sql_begin");
    w.send({ type: "sql_begin_result", id: begin2.id, tx_id: "t2" });
    const commit = await request(w, "sql_commit");
    w.send({ type: "sql_end_result", id: commit.id, error: "could not serialize access" });
    expect(await answerOf(w, committing)).toMatchObject({ error: "could not serialize access" });
  });

  it("ctx.action is self_action triggerAction; ctx.selfAction passes any action", async () => {
    const w = await kit();
    const id = w.startRpc("action", { name: "close_stale", input: { days: 30 } });
    const call = await request(w, "self_action");
    expect(call).toEqual({ type: "self_action", id: call.id, action: "triggerAction", params: { actionName: "close_stale", input: { days: 30 } } });
    w.send({ type: "self_action_result", id: call.id, result: { closed: 4 } });
    expect((await answerOf(w, id)).result).toEqual({ closed: 4 });

    const refused = w.startRpc("selfAction", { action: "syncConnectedUsers", params: { actionName: "sync" } });
    const call2 = await request(w, "self_action");
    expect(call2).toMatchObject({ action: "syncConnectedUsers", params: { actionName: "sync" } });
    w.send({ type: "self_action_result", id: call2.id, error: "permission denied: app:kit:action:sync" });
    expect(await answerOf(w, refused)).toMatchObject({ error: "permission denied: app:kit:action:sync" });
  });
});

describe("uploadFile", () => {
  it("asks for an upload URL with storage_upload, posts the bytes there and resolves with the file id", async () => {
    const server = await uploadServer(201, { file_id: "file-123", name: "hello.txt", size: 9 });
    try {
      const w = await kit({ runtime_url: server.base });
      const id = w.startRpc("upload", { content: "héllo 🌍", filename: "hello.txt", contentType: "text/plain" });
      const ask = await request(w, "storage_upload");
      expect(ask).toEqual({ type: "storage_upload", id: ask.id, name: "hello.txt", content_type: "text/plain", size: Buffer.byteLength("héllo 🌍") });
      // A path alone is resolved against the runtime URL.
      w.send({ type: "storage_upload_url", id: ask.id, url: "/api/v1/storage/upload/nonce-1" });
      expect((await answerOf(w, id)).result).toBe("file-123");
      expect(server.received).toEqual([{ url: "/api/v1/storage/upload/nonce-1", contentType: "text/plain", bytes: Buffer.from("héllo 🌍") }]);
    } finally {
      await server.close();
    }
  });

  it("rejects when the Core refuses the upload or the upload endpoint does", async () => {
    const server = await uploadServer(413, { error: "file too large" });
    try {
      const w = await kit({ runtime_url: server.base });
      const refusedByCore = w.startRpc("upload", { content: "x" });
      const ask = await request(w, "storage_upload");
      expect(ask).toMatchObject({ name: "upload", content_type: "application/octet-stream", size: 1 });
      w.send({ type: "storage_upload_url", id: ask.id, error: "storage is not available" });
      expect(await answerOf(w, refusedByCore)).toMatchObject({ error: "storage is not available" });

      const refusedByEndpoint = w.startRpc("upload", { content: "y" });
      const ask2 = await request(w, "storage_upload");
      w.send({ type: "storage_upload_url", id: ask2.id, url: `${server.base}/api/v1/storage/upload/n2` });
      const answer = await answerOf(w, refusedByEndpoint);
      expect(answer.error).toMatch(/^uploadFile: the upload was refused \(HTTP 413\): .*file too large/);

      const unreachable = w.startRpc("upload", { content: "z" });
      const ask3 = await request(w, "storage_upload");
      w.send({ type: "storage_upload_url", id: ask3.id, url: "http://127.0.0.1:9/api/v1/storage/upload/n3" });
      expect((await answerOf(w, unreachable)).error).toMatch(/^uploadFile: the upload failed: /);
    } finally {
      await server.close();
    }
  });
});

describe("log stream", () => {
  it("sends console.* as log messages at their level, formatted like Node", async () => {
    const w = await kit();
    await w.rpc("consoleLevels");
    const logs = w.logs();
    expect(logs.slice(0, 5)).toEqual([
      { level: "info", message: "log formatted 42" },
      { level: "info", message: "info { a: 1 }" },
      { level: "warn", message: "warn" },
      { level: "error", message: "error boom" },
      { level: "debug", message: "debug" },
    ]);
    expect(logs[5]).toMatchObject({ level: "info", message: expect.stringContaining("(index)") });
    expect(w.stdoutLines()).toEqual([]);
  });

  it("supports log(message, level), log.level(...) and truncates messages to 8192 bytes of UTF-8", async () => {
    const w = await kit();
    await w.rpc("log", { message: "as warning", level: "warn" });
    await w.rpc("logMany", { n: 3, level: "debug" });
    expect(w.logs()).toEqual([
      { level: "warn", message: "as warning" },
      { level: "debug", message: "line 0" },
      { level: "debug", message: "line 1" },
      { level: "debug", message: "line 2" },
    ]);
    await w.rpc("log", { message: "é".repeat(10_000) });
    const long = w.logs().at(-1)!.message;
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(8192);
    expect(Buffer.byteLength(long)).toBeGreaterThan(8180);
    expect(long).toMatch(/^é+…$/);
  });

  it("sends emit(name, data) as an event and refuses data the wire cannot carry", async () => {
    const w = await kit();
    await w.rpc("emit", { name: "task.done", data: { id: 1 } });
    expect(await w.waitFor((m) => m.type === "event")).toEqual({ type: "event", name: "task.done", data: { id: 1 } });
    const tooBig = await w.rpc("emit", { name: "huge", bytes: 1024 * 1024 + 10 });
    expect(tooBig.error).toMatch(/^emit\("huge"\): message too large \(\d+ bytes, 1 MiB at most\)$/);
  });
});

describe("stdout framing", () => {
  it("keeps protocol messages on lines of their own around the app's stray writes", async () => {
    const w = await kit();
    expect((await w.rpc("partialWrite", { text: "no newline here" })).result).toBe("ok");
    expect((await w.rpc("echo", "after")).result).toEqual({ params: "after", caller: null });
    expect(w.stdoutLines()).toEqual(["no newline here"]);
  });

  it("passes a 2 MiB stray line through and keeps answering", async () => {
    const w = await kit();
    expect((await w.rpc("bigLine", { bytes: 2 * 1024 * 1024 })).result).toBe("ok");
    expect(w.stdoutLines().map((l) => l.length)).toEqual([2 * 1024 * 1024]);
    expect((await w.rpc("pid")).result).toBe(w.child.pid);
  });

  it("drops a line from the Core longer than 1 MiB, and ignores a line that is not JSON", async () => {
    const w = await kit();
    w.input.write(`{"type":"rpc","id":"huge","method":"echo","params":"${"a".repeat(1024 * 1024 + 10)}"}\n`);
    w.input.write("not json at all\n");
    expect((await w.rpc("echo", "next")).result).toEqual({ params: "next", caller: null });
    expect(w.logs()).toEqual([
      { level: "error", message: expect.stringMatching(/^dropped a line from the Core longer than 1 MiB/) },
      { level: "warn", message: "ignored a line from the Core that is not JSON" },
    ]);
    expect(w.messages().some((m) => m.id === "huge")).toBe(false);
  });
});

describe("shutdown and orphans", () => {
  it("runs onShutdown on shutdown, then exits 0", async () => {
    const w = await kit();
    w.send({ type: "shutdown" });
    expect(await w.exited).toEqual({ code: 0, signal: null });
    expect(w.logs()).toContainEqual({ level: "info", message: "shutting down" });
  });

  it("gives onShutdown 5 s at most", async () => {
    const w = await kit();
    await w.rpc("shutdownNeverEnds");
    const sent = Date.now();
    w.send({ type: "shutdown" });
    expect(await w.exited).toEqual({ code: 0, signal: null });
    const took = Date.now() - sent;
    expect(took).toBeGreaterThanOrEqual(4900);
    expect(took).toBeLessThan(7000);
    expect(w.logs()).toContainEqual({ level: "warn", message: "onShutdown did not finish within 5 s; exiting" });
  }, 15_000);

  it("exits within 2 s when its stdin closes, even with work in flight", async () => {
    const w = await kit();
    // A pending timer would keep a process alive for 20 s by itself.
    w.startRpc("sleep", { ms: 20_000 });
    await sleep(100);
    const closed = Date.now();
    w.input.end();
    expect(await w.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - closed).toBeLessThan(2000);
  });

  it("exits within 2 s when its parent is killed with SIGKILL", async () => {
    const w = startWorker("kit", { viaIntermediate: true });
    await w.discover();
    const pid = await w.pid();
    expect((await w.rpc("pid")).result).toBe(pid);
    w.child.kill("SIGKILL");
    // The worker's stdin stays open (this test holds it): only the parent poll can notice.
    expect(await timeUntilGone(pid, 3000)).toBeLessThan(2000);
  });

  it("exits within 2 s when its parent dies before serve(), stdin still paused", async () => {
    const w = startWorker("slow-start", { viaIntermediate: true, env: { ROOTCX_FIXTURE_DELAY_MS: "30000" } });
    const pid = await w.pid();
    await sleep(500);
    expect(isRunning(pid)).toBe(true);
    w.child.kill("SIGKILL");
    expect(await timeUntilGone(pid, 3000)).toBeLessThan(2000);
  });
});

describe("v1 (legacy) workers", () => {
  it("stays silent on discover, rpc, job and shutdown, leaving stdin to the app, and lives while its parent does", async () => {
    const w = startWorker("v1", { viaIntermediate: true });
    const pid = await w.pid();
    const sent: WireMessage[] = [
      { type: "discover", app_id: "v1", runtime_url: "http://127.0.0.1:9", run_onstart: true },
      { type: "rpc", id: "1", method: "anything", params: {}, caller: null },
      { type: "job", id: "2", payload: {} },
      { type: "shutdown" },
    ];
    for (const m of sent) w.send(m);
    await sleep(2500);
    expect(w.stderr()).toContain("v1 saw discover\nv1 saw rpc\nv1 saw job\nv1 saw shutdown\n");
    expect(w.messages()).toEqual([]);
    expect(isRunning(pid)).toBe(true);
    w.child.kill("SIGKILL");
    expect(await timeUntilGone(pid, 3000)).toBeLessThan(2000);
  });
});

describe("v1 (legacy) workers, continued", () => {
  it("can still use the legacy global uploadFile: the runtime reads the replies alongside the app", async () => {
    const server = await uploadServer(201, { file_id: "file-v1" });
    try {
      // No discover: the runtime URL comes from the supervisor's environment.
      const w = startWorker("v1", { env: { ROOTCX_RUNTIME_URL: server.base } });
      w.send({ type: "test_upload" });
      const ask = await request(w, "storage_upload");
      w.send({ type: "storage_upload_url", id: ask.id, url: "/api/v1/storage/upload/v1-nonce" });
      const deadline = Date.now() + 5000;
      while (!w.stderr().includes("v1 upload") && Date.now() < deadline) await sleep(20);
      expect(w.stderr()).toContain("v1 upload: file-v1\n");
      expect(server.received).toMatchObject([{ url: "/api/v1/storage/upload/v1-nonce", bytes: Buffer.from("v1 bytes") }]);
    } finally {
      await server.close();
    }
  });

  it("rejects the legacy uploadFile with the Core's error", async () => {
    const w = startWorker("v1");
    w.send({ type: "discover", app_id: "v1", runtime_url: "http://127.0.0.1:9" });
    w.send({ type: "test_upload" });
    const ask = await request(w, "storage_upload");
    expect(ask).toMatchObject({ name: "v1.txt", content_type: "text/plain", size: 8 });
    w.send({ type: "storage_upload_url", id: ask.id, error: "storage is not available" });
    const deadline = Date.now() + 5000;
    while (!w.stderr().includes("v1 upload") && Date.now() < deadline) await sleep(20);
    expect(w.stderr()).toContain("v1 upload failed: storage is not available\n");
    expect(w.messages().filter((m) => m.type !== "storage_upload")).toEqual([]);
  });
});

describe("boot failures", () => {
  it("a backend that throws at import exits non-zero with its error on stderr", async () => {
    const w = startWorker("boot-crash");
    const exit = await w.exited;
    expect(exit.code).not.toBe(0);
    expect(w.stderr()).toContain("failing at import time on purpose");
    expect(w.messages()).toEqual([]);
  });
});

describe("a backend in the original's style", () => {
  it("runs unchanged: onStart seeds through ctx.collection, RPCs use find/findOne/insert/update and ctx.log", async () => {
    const w = startWorker("original");
    const reply = await w.discover({ app_id: "task_tracker", run_onstart: true });
    expect(reply.methods).toEqual(["ping", "whoami", "create_task", "list_tasks", "get_task", "complete_task", "board_summary"]);
    const seekWelcome = await request(w, "collection_op");
    expect(seekWelcome).toMatchObject({ op: "findOne", entity: "tasks", data: { title: "Welcome" } });
    w.send({ type: "collection_op_result", id: seekWelcome.id, result: null });
    const seed = await request(w, "collection_op");
    expect(seed).toMatchObject({ op: "insert", entity: "tasks", data: { title: "Welcome", status: "todo", priority: "low" } });
    w.send({ type: "collection_op_result", id: seed.id, result: { id: "t-0", title: "Welcome" } });

    const caller = { userId: "u-1", email: "ada@example.com" };
    const create = w.startRpc("create_task", { title: "Write docs" }, caller);
    const insert = await request(w, "collection_op");
    expect(insert).toMatchObject({ op: "insert", entity: "tasks", data: { title: "Write docs", status: "todo", created_by: "ada@example.com" } });
    w.send({ type: "collection_op_result", id: insert.id, result: { id: "t-1", title: "Write docs", status: "todo" } });
    expect((await answerOf(w, create)).result).toEqual({ id: "t-1", title: "Write docs", status: "todo" });
    expect(w.logs()).toContainEqual({ level: "info", message: "task created: Write docs" });

    const complete = w.startRpc("complete_task", { id: "t-1" }, caller);
    const update = await request(w, "collection_op");
    expect(update).toMatchObject({ op: "update", data: { id: "t-1", status: "done" } });
    w.send({ type: "collection_op_result", id: update.id, result: { id: "t-1", status: "done" } });
    expect((await answerOf(w, complete)).result).toEqual({ id: "t-1", status: "done" });

    const missing = w.startRpc("get_task", { id: "nope" }, caller);
    const findOne = await request(w, "collection_op");
    w.send({ type: "collection_op_result", id: findOne.id, result: null });
    expect(await answerOf(w, missing)).toMatchObject({ error: "task not found" });

    const summary = w.startRpc("board_summary", {});
    const find = await request(w, "collection_op");
    expect(find).toMatchObject({ op: "find", entity: "tasks", data: {} });
    w.send({ type: "collection_op_result", id: find.id, result: [] });
    expect((await answerOf(w, summary)).result).toEqual({ app: "task_tracker", counts: { todo: 0, doing: 0, done: 0 } });
  });
});
