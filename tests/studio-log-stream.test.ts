import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendBounded, filterLines, LOG_LEVELS, toLogLine, type LogLine } from "../src/app/workers/log-lines.ts";
import { RECONNECTED_NOTE, runLogStream, type StreamStatus } from "../src/app/workers/log-stream.ts";
import { SseParser, sseEvents, type SseEvent } from "../src/app/workers/sse-parser.ts";
import { DEPLOY, logsReadKey } from "../src/app/workers/worker-permissions.ts";
import { DEPLOY_PERMISSION } from "../src/server/workers/deploy.ts";
import { droppedNotice } from "../src/server/workers/log-subscriber.ts";
import { logsReadKey as serverLogsReadKey } from "../src/server/workers/logs-rest.ts";
import { SseWriter } from "../src/server/workers/sse.ts";

function parseInPieces(text: string, cuts: number[]): SseEvent[] {
  const p = new SseParser();
  const out: SseEvent[] = [];
  let at = 0;
  for (const c of [...cuts, text.length]) {
    out.push(...p.push(text.slice(at, c)));
    at = c;
  }
  return out;
}

describe("the logs panel's SSE parser", () => {
  const stream = ': keep-alive\r\n\r\ndata: {"level":"info","message":"a"}\r\n\r\nevent: note\r\ndata: line one\r\ndata: line two\nid: 7\n\n: comment\n\ndata:no-space\rdata\r\r';
  const expected: SseEvent[] = [
    { event: "message", data: '{"level":"info","message":"a"}' },
    { event: "note", data: "line one\nline two", id: "7" },
    { event: "message", data: "no-space\n", id: "7" },
  ];

  it("reads frames whole, comments skipped, CR, LF and CRLF line ends, one leading space dropped", () => {
    expect(parseInPieces(stream, [])).toEqual(expected);
  });

  it("gives the same events however the text is cut into chunks (inside a field, between CR and LF)", () => {
    for (let i = 1; i < stream.length; i++) expect(parseInPieces(stream, [i]), `cut at ${i}`).toEqual(expected);
    const everyChar = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
    expect(parseInPieces(stream, everyChar)).toEqual(expected);
  });

  it("dispatches nothing for a frame that is not finished yet, or that has no data", () => {
    const p = new SseParser();
    expect(p.push("data: half")).toEqual([]);
    expect(p.push("\nevent: x\n")).toEqual([]);
    expect(p.push("\n")).toEqual([{ event: "x", data: "half" }]);
    expect(p.push("event: only\n\n")).toEqual([]);
  });
});

describe("the parser against the Core's own SSE writer", () => {
  let server: Server;
  let url: string;
  const entries = [
    { level: "info", message: "first" },
    { level: "warn", message: "two\nlines\r\nand CR" },
    { level: "event", message: "ünïcödé ✓ 日本語 😀" },
    droppedNotice(12),
  ];

  beforeAll(async () => {
    server = createServer((_req, res) => {
      const sse = new SseWriter(res, { keepAliveMs: 5, onDrain: () => undefined, onClose: () => undefined });
      // Keep-alive comments interleave with the events.
      let i = 0;
      const t = setInterval(() => {
        if (i < entries.length) sse.send(entries[i++]);
        else {
          clearInterval(t);
          sse.close();
        }
      }, 12);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("reads every entry back exactly, byte by byte through a streaming decoder", async () => {
    const res = await fetch(url);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const bytes = new Uint8Array(await res.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    expect(text).toContain(": keep-alive");
    const decoder = new TextDecoder();
    const parser = new SseParser();
    const lines: LogLine[] = [];
    for (const b of bytes) for (const ev of parser.push(decoder.decode(Uint8Array.of(b), { stream: true }))) lines.push(toLogLine(ev.data, lines.length));
    expect(lines.map((l) => ({ level: l.level, message: l.message }))).toEqual(entries);
    expect(lines.map((l) => l.dropped)).toEqual([false, false, false, true]);
  });
});

describe("sseEvents: a response body as events", () => {
  it("yields each event once its blank line arrives, across chunks cut inside a multi-byte character, and ends with the body", async () => {
    const bytes = new TextEncoder().encode('id: 1\ndata: {"a":"é"}\n\n: keep-alive\n\nevent: resync\ndata: x\n\ndata: tail-without-blank-line');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, cut));
        c.enqueue(bytes.slice(cut));
        c.close();
      },
    });
    const events: SseEvent[] = [];
    for await (const ev of sseEvents(body)) events.push(ev);
    expect(events).toEqual([
      { event: "message", data: '{"a":"é"}', id: "1" },
      { event: "resync", data: "x", id: "1" },
    ]);
    // The reader's lock is released once the generator ends, so the body can be cancelled by its owner.
    expect(body.locked).toBe(false);
  });
});

describe("the logs panel's stream loop against a real SSE server", () => {
  let server: Server;
  let origin: string;
  const seen: { url: string; authorization: string | undefined }[] = [];
  /** What each successive connection gets: events then the end of the stream, or a refusal. */
  const script: ({ events: object[] } | { status: number; error: string })[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? "", authorization: req.headers.authorization });
      const step = script.shift() ?? { status: 404, error: "app gone not found" };
      if ("status" in step) {
        res.writeHead(step.status, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: step.error }));
        return;
      }
      const sse = new SseWriter(res, { keepAliveMs: 1000, onDrain: () => undefined, onClose: () => undefined });
      for (const e of step.events) sse.send(e);
      setTimeout(() => sse.close(), 20);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("reconnects when the stream ends (no replay the second time, a note for the gap), retries a 401 and a 5xx with backoff, and stops on a 403 with the Core's sentence", async () => {
    script.push(
      { events: [{ level: "info", message: "a" }, { level: "warn", message: "b" }] },
      { events: [{ level: "info", message: "c" }] },
      { status: 401, error: "token expired" },
      { status: 503, error: "the Core is shutting down" },
      { events: [droppedNotice(5)] },
      { status: 403, error: "permission required: app:crm:logs.read (or admin:apps.deploy)" },
    );
    const lines: string[] = [];
    const statuses: StreamStatus[] = [];
    const delays: number[] = [];
    let token = 0;
    await runLogStream({
      origin,
      appId: "crm",
      headers: () => ({ authorization: `Bearer t${++token}` }),
      line: (l) => lines.push(`${l.level}${l.dropped ? "!" : ""}${l.local ? "*" : ""} ${l.message}`),
      status: (st) => statuses.push(st),
      signal: new AbortController().signal,
      backoff: (n) => {
        delays.push(n);
        return 5;
      },
    });
    expect(lines).toEqual(["info a", "warn b", `system* ${RECONNECTED_NOTE}`, "info c", `system* ${RECONNECTED_NOTE}`, "system! ... 5 messages dropped ..."]);
    expect(seen.map((s) => s.url)).toEqual(["/api/v1/apps/crm/logs", ...Array(5).fill("/api/v1/apps/crm/logs?replay=0")]);
    // Each attempt asks for the headers again (a renewed token is used).
    expect(seen.map((s) => s.authorization)).toEqual(["Bearer t1", "Bearer t2", "Bearer t3", "Bearer t4", "Bearer t5", "Bearer t6"]);
    // A connection that delivered lines resets the backoff; the refused ones grow it.
    expect(delays).toEqual([0, 0, 1, 2, 0]);
    const waiting = statuses.filter((st): st is Extract<StreamStatus, { kind: "waiting" }> => st.kind === "waiting").map((st) => st.reason);
    expect(waiting).toEqual(["The log stream ended.", "The log stream ended.", "Token expired.", "The Core is shutting down.", "The log stream ended."]);
    expect(statuses.at(-1)).toEqual({ kind: "failed", reason: "Permission required: app:crm:logs.read (or admin:apps.deploy)." });
  });

  it("stops at once, without a status change, when the page aborts", async () => {
    script.push({ events: [{ level: "info", message: "x" }] });
    const ctrl = new AbortController();
    const statuses: string[] = [];
    const done = runLogStream({ origin, appId: "crm", headers: () => ({}), line: () => ctrl.abort(), status: (st) => statuses.push(st.kind), signal: ctrl.signal, backoff: () => 60_000 });
    await done;
    expect(statuses).toEqual(["connecting", "live"]);
  });
});

describe("the logs panel's lines", () => {
  const line = (seq: number, level: LogLine["level"], message: string): LogLine => ({ seq, level, message, dropped: false });

  it("shows a frame that is not {level, message} rather than losing it", () => {
    expect(toLogLine("not json", 1)).toEqual({ seq: 1, level: "stdout", message: "not json", dropped: false });
    expect(toLogLine('{"level":"loud","message":"x"}', 2)).toMatchObject({ level: "info", message: "x" });
    expect(toLogLine('{"level":"info","message":{"a":1}}', 3)).toMatchObject({ message: '{"a":1}' });
    expect(toLogLine(JSON.stringify({ level: "info", message: "... 3 messages dropped ..." }), 4).dropped).toBe(false);
  });

  it("keeps only the newest lines past the cap", () => {
    const many = Array.from({ length: 7 }, (_, i) => line(i, "info", `m${i}`));
    expect(appendBounded(many.slice(0, 4), many.slice(4), 5).map((l) => l.seq)).toEqual([2, 3, 4, 5, 6]);
  });

  it("filters by level and text, but always shows drop notices", () => {
    const lines = [line(1, "info", "Hello world"), line(2, "error", "boom"), line(3, "info", "bye"), { ...toLogLine(JSON.stringify(droppedNotice(4)), 4) }];
    const onlyInfo = new Set<LogLine["level"]>(["info"]);
    expect(filterLines(lines, onlyInfo, "").map((l) => l.seq)).toEqual([1, 3, 4]);
    expect(filterLines(lines, new Set(LOG_LEVELS), "WORLD").map((l) => l.seq)).toEqual([1, 4]);
  });
});

describe("the Studio's copies of the Core's keys", () => {
  it("match the keys the deploy and logs routes check", () => {
    expect(DEPLOY).toBe(DEPLOY_PERMISSION);
    expect(logsReadKey("crm")).toBe(serverLogsReadKey("crm"));
  });
});
