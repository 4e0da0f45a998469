import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineRoute } from "../src/server/http/define-route.ts";
import { restRoutes } from "../src/server/http/rest-routes.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { collectLogs, manifest, placeFixture, waitFor } from "./workers-helpers.ts";

// One request followed through the logs: its id on every line it causes (also lines written after awaits on the
// database, in the governed executor's pool and after timers), W3C traceparent in and out, the id carried to a
// worker's log lines, and spans exported over OTLP when an endpoint is configured.

interface LogLine {
  msg: string;
  requestId?: string;
  traceId?: string;
  probe?: number;
  path?: string;
}

/** A route that logs at several depths: in the handler, after a pool query, after a governed statement, after a timer. */
const probeRoute = defineRoute({
  method: "GET",
  path: "/test/probe/:n",
  docs: { summary: "test probe", auth: "none" },
  handler: async ({ core, params }) => {
    const n = Number(params.n);
    core.log.info({ probe: n }, "probe: handler");
    await core.db.pool.query("SELECT pg_sleep(0.01)");
    await (async function deepInAService() {
      core.log.info({ probe: n }, "probe: after a pool query");
      await core.governed.runOne(null, { readOnly: true }, "SELECT 1");
      core.log.warn({ probe: n }, "probe: after a governed statement");
    })();
    await new Promise((resolve) => setTimeout(resolve, 5));
    core.log.debug({ probe: n }, "probe: after a timer");
    return { body: { n } };
  },
});
/** Server-Sent Events that go on until the client leaves (`?end=1`: one event, then the stream ends). */
const streamRoute = defineRoute({
  method: "GET",
  path: "/test/stream",
  docs: { summary: "test stream", auth: "none" },
  handler: async ({ raw }) => ({
    stream: (res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: first\n\n");
      if (raw.url?.includes("end=1")) res.end();
      else res.once("close", () => res.end());
    },
  }),
});
/** Answers after 300 ms: long enough for a client to give up first. */
const slowRoute = defineRoute({
  method: "GET",
  path: "/test/slow",
  docs: { summary: "test slow answer", auth: "none" },
  handler: async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { body: { done: true } };
  },
});
const PROBE_LINES = ["probe: handler", "probe: after a pool query", "probe: after a governed statement", "probe: after a timer"];

let core: TestCore;
let admin: Session;

const lines = (): LogLine[] => core.logs.map((l) => JSON.parse(l) as LogLine);

beforeAll(async () => {
  core = await startTestCore({ routes: [...restRoutes, probeRoute, streamRoute, slowRoute] });
  admin = await signUpAndIn(core, "admin@tracing.test");
}, 60_000);
afterAll(async () => {
  await core?.dispose();
});

describe("the request id on every log line", () => {
  it("each of 20 concurrent requests has its own id on every line it caused, the request line included", async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `probe-${i}-${Date.now()}`);
    const answers = await Promise.all(ids.map((id, n) => fetch(`${core.url}/api/v1/test/probe/${n}`, { headers: { "x-request-id": id } })));
    for (const [n, res] of answers.entries()) {
      expect(res.status).toBe(200);
      expect(res.headers.get("x-request-id")).toBe(ids[n]);
    }
    await waitFor("the request lines", () => lines().filter((l) => l.msg === "request" && l.path?.startsWith("/api/v1/test/probe/")).length >= 20);
    const all = lines();
    for (const [n, id] of ids.entries()) {
      const caused = all.filter((l) => l.probe === n);
      expect(caused.map((l) => l.msg).sort()).toEqual([...PROBE_LINES].sort());
      for (const line of caused) expect(line, line.msg).toMatchObject({ requestId: id });
      const traceIds = new Set(caused.map((l) => l.traceId));
      expect(traceIds.size).toBe(1);
      const request = all.filter((l) => l.msg === "request" && l.path === `/api/v1/test/probe/${n}`);
      expect(request).toHaveLength(1);
      expect(request[0]).toMatchObject({ requestId: id, traceId: [...traceIds][0] });
    }
  });

  it("lines written outside any request carry no request id", async () => {
    const before = core.logs.length;
    core.core.log.info("outside any request");
    const line = JSON.parse(core.logs[before]!) as LogLine;
    expect(line.msg).toBe("outside any request");
    expect(line.requestId).toBeUndefined();
    expect(line.traceId).toBeUndefined();
  });
});

describe("W3C traceparent", () => {
  const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  const PARENT = "00f067aa0ba902b7";

  async function probe(headers: Record<string, string>, n: number): Promise<{ traceparent: string; lines: LogLine[] }> {
    const res = await fetch(`${core.url}/api/v1/test/probe/${n}`, { headers });
    expect(res.status).toBe(200);
    const caused = await waitFor("the probe's lines", () => {
      const found = lines().filter((l) => l.probe === n);
      return found.length === PROBE_LINES.length ? found : undefined;
    });
    return { traceparent: res.headers.get("traceparent") ?? "", lines: caused };
  }

  it("a valid one makes the request a child span of the caller's trace: answered, and on every log line", async () => {
    const { traceparent, lines: caused } = await probe({ traceparent: `00-${TRACE}-${PARENT}-01` }, 100);
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(traceparent);
    expect(m, traceparent).not.toBeNull();
    expect(m![1]).toBe(TRACE);
    expect(m![2]).not.toBe(PARENT);
    expect(m![2]).not.toBe("0000000000000000");
    for (const line of caused) expect(line.traceId).toBe(TRACE);
  });

  it("a later version's header is read by its first four fields", async () => {
    const { traceparent } = await probe({ traceparent: `cc-${TRACE}-${PARENT}-01-future-field` }, 101);
    expect(traceparent.startsWith(`00-${TRACE}-`)).toBe(true);
  });

  it("malformed ones are ignored: the request succeeds in a new trace of its own", async () => {
    const malformed = [
      `00-${TRACE.toUpperCase()}-${PARENT}-01`,
      `00-${"0".repeat(32)}-${PARENT}-01`,
      `00-${TRACE}-${"0".repeat(16)}-01`,
      `ff-${TRACE}-${PARENT}-01`,
      `00-${TRACE}-${PARENT}-01-extra`,
      `00-${TRACE.slice(1)}-${PARENT}-01`,
      `00-${TRACE}-${PARENT}`,
      "garbage",
    ];
    for (const [i, header] of malformed.entries()) {
      const { traceparent, lines: caused } = await probe({ traceparent: header }, 200 + i);
      const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-00$/.exec(traceparent);
      expect(m, `${header} → ${traceparent}`).not.toBeNull();
      expect(m![1]).not.toBe(TRACE);
      expect(m![1]).not.toBe("0".repeat(32));
      for (const line of caused) expect(line.traceId).toBe(m![1]);
    }
  });

  it("without one, each request starts its own trace", async () => {
    const a = (await fetch(`${core.url}/health?full=false`)).headers.get("traceparent");
    const b = (await fetch(`${core.url}/api/v1/auth/mode`)).headers.get("traceparent");
    expect(a).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(b).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(a!.slice(3, 35)).not.toBe(b!.slice(3, 35));
  });
});

describe("generated ids are random", () => {
  /** How many positions two equally long ids differ in. */
  const differing = (a: string, b: string) => [...a].filter((c, i) => c !== b[i]).length;

  it("two consecutive requests share no counter structure in their request, trace or span ids", async () => {
    // The fast /health path and the full path mint ids in different places; both are checked.
    const [a, b] = [await fetch(`${core.url}/health`), await fetch(`${core.url}/health`)];
    const [ra, rb] = [a.headers.get("x-request-id")!, b.headers.get("x-request-id")!];
    expect(ra).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(differing(ra, rb), `${ra} / ${rb}`).toBeGreaterThanOrEqual(ra.length / 2);
    const [c, d] = [await fetch(`${core.url}/health?full=false`), await fetch(`${core.url}/health?full=false`)];
    expect(differing(c.headers.get("x-request-id")!, d.headers.get("x-request-id")!)).toBeGreaterThanOrEqual(8);
    const [tc, td] = [c.headers.get("traceparent")!, d.headers.get("traceparent")!];
    const [traceC, traceD] = [tc.slice(3, 35), td.slice(3, 35)];
    const [spanC, spanD] = [tc.slice(36, 52), td.slice(36, 52)];
    expect(differing(traceC, traceD), `${tc} / ${td}`).toBeGreaterThanOrEqual(16);
    expect(differing(spanC, spanD), `${tc} / ${td}`).toBeGreaterThanOrEqual(8);
  });
});

describe("bearer secrets stay out of the access log", () => {
  it("storage nonces, share tokens and signed URLs' signatures are cut to their first characters", async () => {
    const secret = (tag: string) => `${tag}${"x".repeat(6)}${Date.now().toString(36)}SECRETTAIL${tag}`;
    const [download, head, upload, share, signature] = ["dl", "hd", "up", "sh", "sg"].map(secret) as [string, string, string, string, string];
    const answers = [
      await fetch(`${core.url}/api/v1/storage/download/${download}`),
      await fetch(`${core.url}/api/v1/storage/download/${head}`, { method: "HEAD" }),
      await fetch(`${core.url}/api/v1/storage/upload/${upload}`, { method: "POST", body: "bytes" }),
      await fetch(`${core.url}/share/rcsh_${share}`),
      await fetch(`${core.url}/api/v1/apps/kit/storage/00000000-0000-4000-8000-000000000000/signed?expires=1&signature=${signature}`),
    ];
    const ids = answers.map((a) => a.headers.get("x-request-id"));
    const requestLines = await waitFor("the five request lines", () => {
      const found = lines().filter((l) => l.msg === "request" && ids.includes(l.requestId ?? null));
      return found.length === 5 ? found : undefined;
    });
    expect(requestLines.map((l) => l.path).sort()).toEqual(
      [
        `/api/v1/storage/download/${download.slice(0, 6)}…`,
        `/api/v1/storage/download/${head.slice(0, 6)}…`,
        `/api/v1/storage/upload/${upload.slice(0, 6)}…`,
        `/share/rcsh_${share.slice(0, 6)}…`,
        "/api/v1/apps/kit/storage/00000000-0000-4000-8000-000000000000/signed",
      ].sort(),
    );
    const log = core.logs.join("\n");
    for (const s of [download, head, upload, share, signature]) expect(log).not.toContain(s.slice(6));
  });
});

describe("requests the client abandons are recorded once", () => {
  interface RequestLine extends LogLine {
    status: number;
    aborted?: boolean;
    statusSent?: number | null;
  }
  const requestLinesOf = (requestId: string) => lines().filter((l): l is RequestLine => l.msg === "request" && l.requestId === requestId);

  /** Opens the SSE stream, reads its first event, then hangs up. */
  function readFirstEventAndLeave(requestId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.get(`${core.url}/api/v1/test/stream`, { headers: { "x-request-id": requestId } }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
    });
  }

  async function metricCount(route: string, status: string): Promise<number> {
    const text = await (await fetch(`${core.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith("rootcx_http_request_duration_seconds_count{") && l.includes(`route="${route}"`) && l.includes(`status="${status}"`));
    return line ? Number(line.split(" ").pop()) : 0;
  }

  it("an SSE stream the client closes: one line, aborted, status 499 (200 was being sent), and a 499 sample", async () => {
    const before = await metricCount("/api/v1/test/stream", "499");
    const requestId = `sse-left-${Date.now()}`;
    await readFirstEventAndLeave(requestId);
    const [line] = await waitFor("the stream's request line", () => (requestLinesOf(requestId).length > 0 ? requestLinesOf(requestId) : undefined));
    expect(line).toMatchObject({ status: 499, aborted: true, statusSent: 200 });
    expect(await metricCount("/api/v1/test/stream", "499")).toBe(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(requestLinesOf(requestId)).toHaveLength(1);
  });

  it("a stream that ends normally: one line with its own status, not aborted", async () => {
    const requestId = `sse-ended-${Date.now()}`;
    const res = await fetch(`${core.url}/api/v1/test/stream?end=1`, { headers: { "x-request-id": requestId } });
    expect(await res.text()).toBe("data: first\n\n");
    const [line] = await waitFor("the stream's request line", () => (requestLinesOf(requestId).length > 0 ? requestLinesOf(requestId) : undefined));
    expect(line!.status).toBe(200);
    expect(line!.aborted).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(requestLinesOf(requestId)).toHaveLength(1);
  });

  it("an answer the client stopped waiting for is 499, not the 200 written into the closed connection", async () => {
    const requestId = `slow-left-${Date.now()}`;
    const gaveUp = await fetch(`${core.url}/api/v1/test/slow`, { headers: { "x-request-id": requestId }, signal: AbortSignal.timeout(100) }).catch((err: unknown) => err);
    expect(gaveUp).toBeInstanceOf(Error);
    const [line] = await waitFor("the slow request's line", () => (requestLinesOf(requestId).length > 0 ? requestLinesOf(requestId) : undefined));
    expect(line).toMatchObject({ status: 499, aborted: true, statusSent: null });
    expect(requestLinesOf(requestId)).toHaveLength(1);
  });
});

describe("worker RPC calls carry the request", () => {
  beforeAll(async () => {
    expect((await api(core, "POST", "/api/v1/apps", manifest("kit"), admin.accessToken)).status).toBe(200);
    placeFixture(core, "kit", "kit");
  }, 60_000);

  it("the worker's log lines name the request, and ctx.trace holds its id and span", async () => {
    const logs = collectLogs(core, "kit");
    try {
      const requestId = `rpc-trace-${Date.now()}`;
      const trace = "0af7651916cd43dd8448eb211c80319c";
      const res = await fetch(`${core.url}/api/v1/apps/kit/rpc`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin.accessToken}`, "x-request-id": requestId, traceparent: `00-${trace}-b7ad6b7169203331-01` },
        body: JSON.stringify({ method: "trace", params: { message: "hello from the handler" } }),
      });
      const body = (await res.json()) as { requestId: string; traceparent: string };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.requestId).toBe(requestId);
      // The worker sees the Core's span for the call: the caller's trace, the Core's own span id.
      expect(body.traceparent).toBe(res.headers.get("traceparent"));
      expect(body.traceparent.startsWith(`00-${trace}-`)).toBe(true);
      const ours = await waitFor("the worker's lines", () => {
        const found = logs.entries.filter((e) => e.message.includes("hello from the handler") || e.message.includes("from console"));
        return found.length === 2 ? found : undefined;
      });
      // ctx.log and console.* alike; the user worker's label comes first, as on all its lines.
      expect(ours.map((e) => e.message).sort()).toEqual([`[user:admin@tracing.test] [request_id=${requestId}] from console`, `[user:admin@tracing.test] [request_id=${requestId}] hello from the handler`]);
    } finally {
      logs.stop();
    }
  });

  it("a call made outside a traced request (ctx.trace null, no prefix)", async () => {
    const logs = collectLogs(core, "kit");
    try {
      const result = await core.core.workers.rpc("kit", { kind: "system" }, "trace", { message: "untraced line" }, null);
      expect(result).toBeNull();
      const line = await waitFor("the untraced line", () => logs.entries.find((e) => e.message.includes("untraced line")));
      expect(line.message).toBe("untraced line");
    } finally {
      logs.stop();
    }
  });
});

/** The parts of an OTLP/JSON trace export the test reads. */
interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: OtlpAttribute[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

describe("OpenTelemetry export", () => {
  it("with OTEL_EXPORTER_OTLP_ENDPOINT, HTTP spans reach the collector as children of the caller's span", async () => {
    const received: { path: string | undefined; body: OtlpExport }[] = [];
    const collector = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ path: req.url, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpExport });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const traced = await startTestCore({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: "core-under-test" } });
    try {
      const trace = "5b8efff798038103d269b633813fc60c";
      const res = await fetch(`${traced.url}/api/v1/auth/mode`, { headers: { traceparent: `00-${trace}-eee19b7ec3c1b174-01` } });
      expect(res.status).toBe(200);
      const answered = res.headers.get("traceparent")!;
      await traced.dispose(); // flushes the batch
      expect(received.map((r) => r.path)).toContain("/v1/traces");
      const spans = received.flatMap(({ body }) =>
        body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ ...s, service: rs.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue })))),
      );
      const span = spans.find((s) => s.traceId === trace);
      expect(span, JSON.stringify(spans).slice(0, 2000)).toBeDefined();
      expect(span!.name).toBe("GET /api/v1/auth/mode");
      expect(span!.parentSpanId).toBe("eee19b7ec3c1b174");
      expect(answered).toBe(`00-${trace}-${span!.spanId}-01`);
      expect(span!.service).toBe("core-under-test");
      const attr = (k: string) => span!.attributes.find((a) => a.key === k)?.value;
      expect(attr("http.route")?.stringValue).toBe("/api/v1/auth/mode");
      expect(Number(attr("http.response.status_code")?.intValue)).toBe(200);
    } finally {
      await traced.dispose().catch(() => undefined);
      collector.close();
    }
  }, 60_000);

  it("a failed export is logged as a warning, at most once a minute", async () => {
    let posts = 0;
    // 400 is not retried by the exporter: each batch fails at once.
    const collector = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        posts++;
        res.writeHead(400, { "content-type": "application/json" }).end('{"message":"refused by the test collector"}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const traced = await startTestCore({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } });
    const warnings = () => traced.logs.filter((l) => (JSON.parse(l) as LogLine).msg.startsWith("OpenTelemetry span export failed"));
    try {
      expect((await fetch(`${traced.url}/api/v1/auth/mode`)).status).toBe(200);
      // The batch processor sends every 5 s.
      await waitFor("the first failed export's warning", () => warnings().length > 0, 15_000);
      expect(JSON.parse(warnings()[0]!)).toMatchObject({ level: 40, spans: 1, failedExports: 1 });
      expect((await fetch(`${traced.url}/api/v1/auth/mode`)).status).toBe(200);
      await traced.dispose(); // flushes the second batch, which fails too
      expect(posts).toBe(2);
      expect(warnings()).toHaveLength(1);
    } finally {
      await traced.dispose().catch(() => undefined);
      collector.close();
    }
  }, 60_000);

  it("without it, nothing is exported and the answers still carry a traceparent", async () => {
    expect(core.core.spans).toBeUndefined();
    expect((await fetch(`${core.url}/api/v1/auth/mode`)).headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });
});
