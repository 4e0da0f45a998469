import { getMetricsFromIterator, type PromData, type PromHistogramData, type PromMetrics } from "prom2javascript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/server/config/load.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

// GET /metrics on a real Core: parsed with a Prometheus text-format parser, requests labelled by route template,
// and who may scrape (loopback only without a token; the token from anywhere). The remote caller is this machine's
// own non-loopback interface address, so the Core sees a genuine non-loopback socket peer.

const TOKEN = "metrics-token-0123456789abcdef";
let open: TestCore; // ROOTCX_BIND, no token
let guarded: TestCore; // ROOTCX_BIND with ROOTCX_METRICS_TOKEN
let off: TestCore; // ROOTCX_METRICS=off
let admin: Session;
let remoteHost: string;

/** An address of this machine that is not loopback: a call to it reaches the Core from a non-loopback peer. */
async function externalAddress(): Promise<string> {
  const os = await import("node:os");
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === "IPv4") return a.address;
  }
  throw new Error("this machine has no non-loopback IPv4 address to call the Core from");
}

const portOf = (core: TestCore) => new URL(core.url).port;

async function scrape(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; contentType: string | null }> {
  const res = await fetch(`${url}/metrics`, { headers });
  return { status: res.status, text: await res.text(), contentType: res.headers.get("content-type") };
}

/** The exposition text, parsed by a Prometheus text-format parser (it throws on a line it cannot read, NaN included). */
const parse = (text: string): Promise<PromMetrics> => getMetricsFromIterator(text.split("\n")[Symbol.iterator]());

async function families(core: TestCore): Promise<PromMetrics> {
  const { status, text } = await scrape(core.url);
  expect(status, text).toBe(200);
  return parse(text);
}

function samples(all: PromMetrics, name: string): PromData[] {
  const f = all[name];
  if (!f) throw new Error(`metric ${name} is missing (have: ${Object.keys(all).join(", ")})`);
  return f.data as PromData[];
}

function histogram(all: PromMetrics, name: string): PromHistogramData[] {
  const f = all[name];
  if (f?.type !== "histogram") throw new Error(`histogram ${name} is missing`);
  return f.data as PromHistogramData[];
}

/** The request count of one (route, method, status), 0 when that series does not exist. */
function requests(all: PromMetrics, route: string, method: string, status: string): number {
  const series = histogram(all, "rootcx_http_request_duration_seconds").find(
    (m) => m.labels.route === route && m.labels.method === method && m.labels.status === status,
  );
  return series?.count ?? 0;
}

beforeAll(async () => {
  remoteHost = await externalAddress();
  // One after the other: the first migration of each database creates cluster-wide roles.
  open = await startTestCore({ env: { ROOTCX_BIND: "1" } });
  guarded = await startTestCore({ env: { ROOTCX_BIND: "1", ROOTCX_METRICS_TOKEN: TOKEN } });
  off = await startTestCore({ env: { ROOTCX_METRICS: "off" } });
  admin = await signUpAndIn(open, "admin@metrics.test");
  const manifest = { appId: "crm", name: "crm", version: "0.1.0", dataContract: [{ entityName: "contact", fields: [{ name: "name", type: "text" }] }] };
  const installed = await api(open, "POST", "/api/v1/apps", manifest, admin.accessToken);
  expect(installed.status, JSON.stringify(installed.body)).toBe(200);
}, 120_000);

afterAll(async () => {
  await Promise.all([open?.dispose(), guarded?.dispose(), off?.dispose()]);
});

describe("what /metrics shows", () => {
  it("a governed GET by id appears under its route template and status, never with its raw id", async () => {
    const created = await api(open, "POST", "/api/v1/apps/crm/collections/contact", { name: "Ann" }, admin.accessToken);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    const template = "/api/v1/apps/:appId/collections/:entity/:id";
    const before = requests(await families(open), template, "GET", "200");
    expect((await api(open, "GET", `/api/v1/apps/crm/collections/contact/${id}`, undefined, admin.accessToken)).status).toBe(200);
    expect((await api(open, "GET", "/api/v1/apps/crm/collections/contact/00000000-0000-4000-8000-000000000000", undefined, admin.accessToken)).status).toBe(404);
    const { text } = await scrape(open.url);
    const after = await parse(text);
    expect(requests(after, template, "GET", "200")).toBe(before + 1);
    expect(requests(after, template, "GET", "404")).toBe(1);
    expect(text).not.toContain(id);
    expect(text).not.toContain("00000000-0000-4000-8000-000000000000");
    const tx = histogram(after, "rootcx_governed_transaction_duration_seconds").find((m) => m.labels.kind === "one" && m.labels.outcome === "commit");
    expect(tx?.count).toBeGreaterThanOrEqual(2);
  });

  it("/health (the synchronous fast path), tRPC procedures, unknown paths and the Studio collapse to fixed labels", async () => {
    const before = await families(open);
    await fetch(`${open.url}/health`);
    await fetch(`${open.url}/api/trpc/system.health`);
    await fetch(`${open.url}/api/trpc/no.such.procedure-7d1e`);
    await fetch(`${open.url}/api/v1/no-such-route-5f2a/12345`);
    await fetch(`${open.url}/some/studio/page-91c3`);
    const { text } = await scrape(open.url);
    const after = await parse(text);
    expect(requests(after, "/health", "GET", "200")).toBe(requests(before, "/health", "GET", "200") + 1);
    expect(requests(after, "/api/trpc/system.health", "GET", "200")).toBe(requests(before, "/api/trpc/system.health", "GET", "200") + 1);
    // No Studio runs in the tests: a Studio path answers 404 and counts as "unmatched" like the unknown API paths.
    expect(requests(after, "unmatched", "GET", "404")).toBe(requests(before, "unmatched", "GET", "404") + 3);
    for (const raw of ["no.such.procedure-7d1e", "no-such-route-5f2a", "12345", "page-91c3"]) expect(text).not.toContain(raw);
  });

  it("shows both pools, the workers, SSE subscribers, event-loop delay, memory and CPU", async () => {
    const all = await families(open);
    const max = samples(all, "rootcx_db_pool_max_connections");
    expect(max.map((m) => m.labels.pool).sort()).toEqual(["core", "governed"]);
    expect(max.find((m) => m.labels.pool === "governed")?.value).toBe(20);
    expect(samples(all, "rootcx_db_pool_waiting_clients").map((m) => m.labels.pool).sort()).toEqual(["core", "governed"]);
    const connections = samples(all, "rootcx_db_pool_connections");
    expect(connections.map((m) => `${m.labels.pool}/${m.labels.state}`).sort()).toEqual(["core/busy", "core/idle", "governed/busy", "governed/idle"]);
    // The governed pool has served the reads above: it holds at least one connection.
    expect(connections.filter((m) => m.labels.pool === "governed").reduce((n, m) => n + m.value, 0)).toBeGreaterThan(0);
    expect(samples(all, "rootcx_sse_subscribers")).toEqual([{ labels: { stream: "logs" }, value: 0 }]);
    expect(all.rootcx_worker_processes?.type).toBe("gauge");
    expect(all.rootcx_worker_restarts?.type).toBe("gauge");
    expect(samples(all, "process_resident_memory_bytes")[0]?.value).toBeGreaterThan(0);
    expect(samples(all, "process_cpu_seconds_total")[0]?.value).toBeGreaterThan(0);
    expect(samples(all, "rootcx_build_info")[0]?.labels.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  // Blocking the loop the Core shares with this test, on purpose.
  const block = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // spinning
    }
  };

  it("event-loop delay: a 200 ms block of the Core's event loop shows in the next scrape", async () => {
    await families(open); // starts a new interval
    block(200);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const blocked = await families(open);
    expect(samples(blocked, "nodejs_eventloop_lag_max_seconds")[0]?.value).toBeGreaterThan(0.1);
    for (const q of ["min", "mean", "p50", "p90", "p99"]) expect(samples(blocked, `nodejs_eventloop_lag_${q}_seconds`)[0]?.value).toBeGreaterThanOrEqual(0);
  });

  it("event-loop delay: a block starting in the very turn a scrape resets the interval, before any tick, still shows", async () => {
    // The scrape's reset runs in a microtask after its reads; this continuation follows it with no timer in between.
    await open.core.metrics.render();
    block(200);
    const blocked = await families(open); // no wait: the scrape may well run before the sampling timer's next tick
    expect(samples(blocked, "nodejs_eventloop_lag_max_seconds")[0]?.value).toBeGreaterThan(0.1);
  });

  it("answers in the text exposition format", async () => {
    const res = await scrape(open.url);
    expect(res.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

describe("who may scrape", () => {
  it("without a token, a caller from another address is refused with the reason, and loopback is served", async () => {
    const remote = await scrape(`http://${remoteHost}:${portOf(open)}`);
    expect(remote.status).toBe(403);
    expect(JSON.parse(remote.text).error).toBe("metrics are served to loopback callers only; set ROOTCX_METRICS_TOKEN to scrape from another host");
    expect((await scrape(open.url)).status).toBe(200);
  });

  it("without a token, a loopback request that came through a proxy is refused (the forwarded address is never believed)", async () => {
    const proxied = await scrape(open.url, { "x-forwarded-for": "127.0.0.1" });
    expect(proxied.status).toBe(403);
    expect(JSON.parse(proxied.text).error).toBe("metrics are not served through a proxy without a token; set ROOTCX_METRICS_TOKEN to scrape through one");
  });

  it("with a token set, it is required from everyone, loopback included, and works from another address", async () => {
    const reason = "metrics require the bearer token set in ROOTCX_METRICS_TOKEN (Authorization: Bearer <token>)";
    const remoteUrl = `http://${remoteHost}:${portOf(guarded)}`;
    for (const [url, headers] of [
      [remoteUrl, {}],
      [remoteUrl, { authorization: `Bearer ${TOKEN}x` }],
      [remoteUrl, { authorization: `Basic ${TOKEN}` }],
      [guarded.url, {}],
    ] as const) {
      const res = await scrape(url, headers);
      expect(res.status, `${url} ${JSON.stringify(headers)}`).toBe(401);
      expect(JSON.parse(res.text).error).toBe(reason);
    }
    const ok = await scrape(remoteUrl, { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect((await parse(ok.text)).rootcx_http_request_duration_seconds?.type).toBe("histogram");
  });

  it("only GET and HEAD", async () => {
    const res = await fetch(`${open.url}/metrics`, { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });

  it("ROOTCX_METRICS=off: nothing is recorded and /metrics says so", async () => {
    await fetch(`${off.url}/health`);
    const res = await scrape(off.url);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text).error).toBe("metrics are off (ROOTCX_METRICS=off)");
    expect(off.core.metrics.enabled).toBe(false);
  });
});

describe("configuration", () => {
  const dataDir = () => ({ ROOTCX_DATA_DIR: open.dataDir });

  it("ROOTCX_METRICS is on or off, ROOTCX_METRICS_TOKEN 16 to 256 printable characters, the OTLP endpoint a URL", () => {
    expect(() => loadConfig({ ...dataDir(), ROOTCX_METRICS: "maybe" })).toThrow("ROOTCX_METRICS: must be on or off");
    expect(() => loadConfig({ ...dataDir(), ROOTCX_METRICS_TOKEN: "short" })).toThrow("ROOTCX_METRICS_TOKEN: must be 16 to 256 printable characters without spaces");
    expect(() => loadConfig({ ...dataDir(), ROOTCX_METRICS_TOKEN: "has a space in it!!" })).toThrow("ROOTCX_METRICS_TOKEN: must be 16 to 256 printable characters without spaces");
    expect(() => loadConfig({ ...dataDir(), OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })).toThrow("OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:// or https:// URL such as http://collector:4318");
    const defaults = loadConfig(dataDir());
    expect(defaults).toMatchObject({ metricsEnabled: true, metricsToken: undefined, otel: undefined });
    expect(loadConfig({ ...dataDir(), ROOTCX_METRICS: "off", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toMatchObject({
      metricsEnabled: false,
      otel: { endpoint: "http://collector:4318", serviceName: "rootcx-core" },
    });
  });
});
