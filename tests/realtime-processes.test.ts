import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CoreProcesses, waitHealthy } from "./core-process.ts";
import { api, createTestDatabase, signUpAndIn, type Session, type TestDatabase } from "./harness.ts";
import { openSse, type SseClient } from "./sse-client.ts";

const procs = new CoreProcesses();
let database: TestDatabase;
const urls: string[] = [];
let admin: Session;
const BASE = "/api/v1/apps/rtproc/collections/item";

beforeAll(async () => {
  database = await createTestDatabase();
  // Two Core processes on one database, with the same keys (a token from one is good on the other).
  const keys = { ROOTCX_MASTER_KEY: randomBytes(32).toString("hex"), ROOTCX_JWT_SECRET: randomBytes(32).toString("hex") };
  for (let i = 0; i < 2; i++) {
    const { dataDir, port, url } = await procs.fresh("rootcx-rt-proc-");
    const p = procs.start("core", { ...keys, DATABASE_URL: database.url, ROOTCX_DATA_DIR: dataDir, PORT: String(port) });
    await waitHealthy(url, p);
    urls.push(url);
  }
  admin = await signUpAndIn({ url: urls[0]! }, "admin@rtproc.test");
  const manifest = { appId: "rtproc", name: "Procs", version: "0.1.0", dataContract: [{ entityName: "item", fields: [{ name: "n", type: "number" }] }] };
  expect((await api({ url: urls[0]! }, "POST", "/api/v1/apps", manifest, admin.accessToken)).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await procs.stopAll("SIGTERM");
  await procs.removeDirs();
  await database.drop();
});

const numbers = (s: SseClient) => s.frames().filter((f) => f.event === "message").map((f) => (f.data as { record: { n: number } }).record.n);

it("two Core processes, a subscriber on each, a writer on one: both receive each change exactly once, in order", async () => {
  const a = await openSse(urls[0]!, `${BASE}/changes`, admin.accessToken);
  const b = await openSse(urls[1]!, `${BASE}/changes`, admin.accessToken);
  expect([a.status, b.status]).toEqual([200, 200]);
  const N = 30;
  // Concurrent writers on the first Core: the commit order decides the event order, the same on both.
  await Promise.all(Array.from({ length: N }, (_, n) => api({ url: urls[0]! }, "POST", BASE, { n }, admin.accessToken).then((r) => expect(r.status).toBe(201))));
  for (let i = 0; i < 100 && (numbers(a).length < N || numbers(b).length < N); i++) await sleep(50);
  await sleep(500);
  expect(numbers(a)).toHaveLength(N);
  expect(new Set(numbers(a)).size).toBe(N);
  expect(numbers(b)).toEqual(numbers(a));
  expect(b.frames().map((f) => f.id)).toEqual(a.frames().map((f) => f.id));
  a.close();
  b.close();
}, 60_000);
