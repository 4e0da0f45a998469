/**
 * `npm run bench -- realtime`: change-to-delivery latency of the realtime change streams (p50/p99) with 1, 100
 * and 1000 subscribers (half of them without the read key) at 100 changes/s, and the Core's CPU per delivered
 * event; against a plain LISTEN/NOTIFY fan-out with no permission check (bench/realtime-plain-server.ts), with
 * the same subscribers and the same write rate, in the same run. Writes go straight to PostgreSQL (the Core
 * does only delivery work); the load generator and both servers share the machine.
 */
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { freePort, startEmbeddedDatabase } from "../src/server/db/embedded.ts";
import { createLogger } from "../src/server/log.ts";
import { cpuSeconds, removeOnFailure, requestJson, startProcess, type Row, type ServerProcess } from "./lib.ts";

const RATE = 100;
const SECONDS = Number(process.env.BENCH_REALTIME_SECONDS ?? 10);
const COUNTS = [1, 100, 1000];
/** Subscribers whose events are parsed for latency; the rest are counted. */
const SAMPLED = 20;
/** peers.md, "Realtime (SSE)": fan-out p95 ≤ 50 ms; held here to the stricter p99. */
const TARGET_P99_MS = 50;

interface Subscriber {
  req: http.ClientRequest;
  received: number;
}

interface Phase {
  latencies: number[];
  /** Events that reached subscribers without the read key (must stay 0). */
  leaked: number;
  delivered: number;
  cpuPerEventUs: number;
}

async function signIn(base: string, email: string): Promise<{ token: string; id: string }> {
  const credentials = { email, password: "Bench-Password-2026" };
  await requestJson(base, "POST", "/api/v1/auth/register", credentials);
  const r = (await requestJson(base, "POST", "/api/v1/auth/login", credentials)) as { accessToken: string; user: { id: string } };
  return { token: r.accessToken, id: r.user.id };
}

/**
 * One SSE connection. A sampled subscriber reads each event's `"n":<ms>` (the write's send time on this process's
 * clock) as a latency; the others only count events (the blank lines that end them) in the raw bytes, since the
 * load generator shares two cores with the servers it measures and must not be what is measured.
 */
function subscribe(url: string, token: string | undefined, onLatency: ((ms: number) => void) | undefined): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const sub: Subscriber = { req: undefined as unknown as http.ClientRequest, received: 0 };
    sub.req = http.get(url, { agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`subscribe: ${res.statusCode}`));
      res.on("error", () => undefined);
      if (!onLatency) {
        // Events end with "\n\n"; a keep-alive comment ends so too, and is not an event: its block starts with ":".
        let prev = 0x0a;
        let last = 0x0a;
        let comment = false;
        res.on("data", (chunk: Buffer) => {
          for (const byte of chunk) {
            if (prev === 0x0a && last === 0x0a) comment = byte === 0x3a;
            else if (byte === 0x0a && last === 0x0a && !comment) sub.received++;
            prev = last;
            last = byte;
          }
        });
        return resolve(sub);
      }
      res.setEncoding("utf8");
      let rest = "";
      res.on("data", (chunk: string) => {
        const now = performance.now();
        rest += chunk;
        let at: number;
        while ((at = rest.indexOf("\n\n")) !== -1) {
          const event = rest.slice(0, at);
          rest = rest.slice(at + 2);
          const n = /"n":([0-9.]+)/.exec(event);
          if (!n) continue;
          sub.received++;
          onLatency(now - Number(n[1]));
        }
      });
      resolve(sub);
    });
    sub.req.on("error", reject);
  });
}

/**
 * `count` subscribers (half with the read key; for the baseline, half whose latencies are sampled), RATE writes a
 * second for SECONDS; the server's CPU over the writes, per event it delivered.
 */
async function phase(server: ServerProcess, url: (withKey: boolean) => string, tokens: { withKey?: string; without?: string }, count: number, write: (n: number) => Promise<void>, seconds = SECONDS): Promise<Phase> {
  const latencies: number[] = [];
  const subs: { withKey: boolean; sub: Subscriber }[] = [];
  for (let i = 0; i < count; i++) {
    const withKey = count === 1 || i % 2 === 0;
    // Latencies are sampled from up to SAMPLED receivers, spread over the connections' opening order.
    const sampled = withKey && i % Math.max(2, Math.floor(count / SAMPLED)) === 0;
    subs.push({ withKey, sub: await subscribe(url(withKey), withKey ? tokens.withKey : tokens.without, sampled ? (ms) => latencies.push(ms) : undefined) });
  }
  await sleep(1000);
  const cpu0 = cpuSeconds(server.child.pid!);
  const start = performance.now();
  const writes: Promise<void>[] = [];
  for (let i = 0; i < RATE * seconds; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    writes.push(write(performance.now()));
  }
  await Promise.all(writes);
  // Let the last events arrive.
  const expected = subs.filter((s) => s.withKey).length * RATE * seconds;
  const received = () => subs.filter((s) => s.withKey).reduce((n, s) => n + s.sub.received, 0);
  for (let i = 0; i < 100 && received() < expected; i++) await sleep(100);
  const cpu = cpuSeconds(server.child.pid!) - cpu0;
  for (const { sub } of subs) sub.req.destroy();
  await sleep(500);
  const delivered = subs.reduce((n, s) => n + s.sub.received, 0);
  return {
    latencies,
    leaked: subs.filter((s) => !s.withKey).reduce((n, s) => n + s.sub.received, 0),
    delivered,
    cpuPerEventUs: delivered ? (cpu / delivered) * 1e6 : 0,
  };
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

export async function realtimeBench(): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-bench-realtime-"));
  const db = await removeOnFailure(dataDir, startEmbeddedDatabase(dataDir, createLogger("warn")));
  let core: ServerProcess | undefined;
  let plain: ServerProcess | undefined;
  const writer = new pg.Pool({ connectionString: db.url, max: 8 });
  const rows: Row[] = [];
  try {
    core = await startProcess(["--import", "tsx", "bench/auth-server.ts"], { ROOTCX_DATA_DIR: dataDir, DATABASE_URL: db.url }, await freePort());
    const admin = await signIn(core.url, "admin@rt.bench");
    await requestJson(core.url, "POST", "/api/v1/apps", { appId: "rtbench", name: "rtbench", version: "1.0.0", dataContract: [{ entityName: "item", fields: [{ name: "n", type: "number" }] }] }, admin.token);
    const reader = await signIn(core.url, "reader@rt.bench");
    const stranger = await signIn(core.url, "stranger@rt.bench");
    await requestJson(core.url, "POST", "/api/v1/roles", { name: "rt_reader", permissions: ["app:rtbench:item.read"] }, admin.token);
    await requestJson(core.url, "POST", "/api/v1/roles/assign", { userId: reader.id, role: "rt_reader" }, admin.token);
    // The baseline's table: no trigger, no RLS; its writes announce the row themselves.
    await writer.query("CREATE SCHEMA bench_plain; CREATE TABLE bench_plain.item (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), n double precision, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now())");
    plain = await startProcess(["--import", "tsx", "bench/realtime-plain-server.ts"], { DATABASE_URL: db.url }, await freePort());

    const coreWrite = async (n: number) => void (await writer.query("INSERT INTO rtbench.item (n) VALUES ($1)", [n]));
    const plainWrite = async (n: number) =>
      void (await writer.query("WITH r AS (INSERT INTO bench_plain.item (n) VALUES ($1) RETURNING *) SELECT pg_notify('bench_plain', json_build_object('op', 'insert', 'id', r.id, 'record', row_to_json(r))::text) FROM r", [n]));

    // A short unmeasured round first: module loading, JIT and the pools' first connections are not a change's cost.
    const warm = core;
    await phase(warm, () => `${warm.url}/api/v1/apps/rtbench/collections/item/changes`, { withKey: reader.token }, 1, coreWrite, 2);
    const warmPlain = plain;
    await phase(warmPlain, () => `${warmPlain.url}/`, {}, 1, plainWrite, 2);
    for (const count of COUNTS) {
      const c = core;
      console.error(`  realtime: ${count} subscriber(s)…`);
      const rt = await phase(c, () => `${c.url}/api/v1/apps/rtbench/collections/item/changes`, { withKey: reader.token, without: stranger.token }, count, coreWrite);
      const p = plain;
      const base = await phase(p, () => `${p.url}/`, {}, count, plainWrite);
      if (rt.leaked !== 0) throw new Error(`${rt.leaked} events reached subscribers without the read key`);
      const receivers = count === 1 ? 1 : count / 2;
      const label = count === 1 ? "1 subscriber" : `${count} subscribers (${receivers} with the key)`;
      const p50 = pct(rt.latencies, 50);
      const p99 = pct(rt.latencies, 99);
      rows.push(
        { metric: `realtime p50 ms, ${label}, ${RATE}/s`, value: p50.toFixed(1), baseline: pct(base.latencies, 50).toFixed(1), ratio: (p50 / pct(base.latencies, 50)).toFixed(2), target: "-", pass: true },
        { metric: `realtime p99 ms, ${label}, ${RATE}/s`, value: p99.toFixed(1), baseline: pct(base.latencies, 99).toFixed(1), ratio: (p99 / pct(base.latencies, 99)).toFixed(2), target: `≤ ${TARGET_P99_MS}`, pass: p99 <= TARGET_P99_MS },
        {
          metric: `realtime CPU µs/event, ${label}`,
          value: rt.cpuPerEventUs.toFixed(1),
          baseline: base.cpuPerEventUs.toFixed(1),
          ratio: (rt.cpuPerEventUs / base.cpuPerEventUs).toFixed(2),
          target: "-",
          pass: true,
        },
        // RootCX: events to the key holders (the others must get none); the baseline sends every event to everyone.
        { metric: `realtime events delivered / expected, ${label}`, value: `${rt.delivered}/${receivers * RATE * SECONDS}`, baseline: `${base.delivered}/${count * RATE * SECONDS}`, ratio: "-", target: "all", pass: rt.delivered === receivers * RATE * SECONDS },
      );
    }
  } finally {
    await writer.end();
    await plain?.stop();
    await core?.stop();
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}
