import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { RestRoute } from "../src/server/http/types.ts";
import { restRoutes } from "../src/server/http/rest-routes.ts";
import { fullHealth } from "../src/server/system/schema.ts";
import { signUpAndIn, startTestCore, type TestCore } from "./harness.ts";

// A route that only exists in this test: it echoes a validated body, so body handling can be exercised.
const echoRoutes: RestRoute[] = [
  ...restRoutes,
  {
    method: "POST",
    path: "/test/echo",
    handler: ({ body }) => ({ status: 201, body: z.object({ name: z.string().min(1) }).parse(body) }),
  },
  { method: "POST", path: "/test/upload", bodyLimit: 4 * 1024 * 1024, handler: () => ({ status: 204 }) },
  { method: "GET", path: "/test/boom", handler: () => { throw new Error("secret internal detail"); } },
  { method: "GET", path: "/test/slow", handler: async () => { await sleep(400); return { body: { done: true } }; } },
];

let core: TestCore;
beforeAll(async () => {
  core = await startTestCore({ routes: echoRoutes });
});
afterAll(async () => {
  await core?.dispose();
});

async function call(path: string, init?: RequestInit) {
  const res = await fetch(core.url + path, init);
  const text = await res.text();
  return { res, status: res.status, text, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe("GET /health", () => {
  it("answers {status: ok}", async () => {
    const r = await call("/health");
    expect(r.status).toBe(200);
    expect(r.res.headers.get("content-type")).toMatch(/application\/json/);
    expect(r.json).toEqual({ status: "ok" });
  });

  it.each(["?full=true", "?full", "?full=1"])("adds memory, cpu, disk and database with %s", async (q) => {
    const r = await call(`/health${q}`);
    expect(r.status).toBe(200);
    const body = fullHealth.strict().parse(r.json);
    expect(body.database.reachable).toBe(true);
    expect(body.memory.current_bytes).toBeGreaterThan(0);
    expect(body.disk.total_bytes).toBeGreaterThan(body.disk.available_bytes);
  });

  it("stays short with full=false", async () => {
    expect((await call("/health?full=false")).json).toEqual({ status: "ok" });
  });

  it("refuses other methods with 405 JSON", async () => {
    const r = await call("/health", { method: "POST" });
    expect(r.status).toBe(405);
    expect(r.json).toEqual({ error: "method not allowed" });
  });
});

describe("REST dispatcher", () => {
  it("answers an unknown route with 404 JSON, never HTML", async () => {
    const r = await call("/api/v1/nope", { method: "POST", body: "{" });
    expect(r.status).toBe(404);
    expect(r.res.headers.get("content-type")).toMatch(/application\/json/);
    expect(r.json).toEqual({ error: "no route for POST /api/v1/nope" });
  });

  it("repeats at most 200 characters of an unknown path", async () => {
    const r = await call(`/api/v1/nope/${"A".repeat(5000)}`, { method: "POST" });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ error: `no route for POST ${`/api/v1/nope/${"A".repeat(5000)}`.slice(0, 200)}…` });
  });

  it("answers a known path with the wrong method with 405 and Allow", async () => {
    const r = await call("/api/v1/status", { method: "DELETE" });
    expect(r.status).toBe(405);
    expect(r.res.headers.get("allow")).toBe("GET");
  });

  it("rejects malformed JSON with 400 JSON", async () => {
    const r = await call("/api/v1/test/echo", { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect(r.status).toBe(400);
    expect((r.json as { error: string }).error).toMatch(/^malformed JSON body/);
  });

  it("rejects a body of the wrong shape with 400 naming the field", async () => {
    const r = await call("/api/v1/test/echo", { method: "POST", body: JSON.stringify({ name: 42 }) });
    expect(r.status).toBe(400);
    expect((r.json as { error: string }).error).toMatch(/^name: /);
  });

  it("passes a valid body to the route", async () => {
    const r = await call("/api/v1/test/echo", { method: "POST", body: JSON.stringify({ name: "ok" }) });
    expect(r.status).toBe(201);
    expect(r.json).toEqual({ name: "ok" });
  });

  it("refuses a body over 1 MiB with 413 JSON", async () => {
    const big = JSON.stringify({ name: "x".repeat(1024 * 1024 + 10) });
    const r = await call("/api/v1/test/echo", { method: "POST", body: big });
    expect(r.status).toBe(413);
    expect((r.json as { error: string }).error).toMatch(/exceeds the limit of 1048576 bytes/);
  });

  it("lets a route raise its own limit", async () => {
    const r = await call("/api/v1/test/upload", { method: "POST", body: JSON.stringify({ data: "x".repeat(2 * 1024 * 1024) }) });
    expect(r.status).toBe(204);
  });

  it("turns an unexpected failure into a 500 that reveals nothing, and logs it", async () => {
    const r = await call("/api/v1/test/boom");
    expect(r.status).toBe(500);
    expect(r.json).toEqual({ error: "internal error" });
    expect(core.logs.some((l) => l.includes("secret internal detail"))).toBe(true);
  });

  it("serves /api/v1/status in the original's shape, to signed-in users only", async () => {
    expect((await call("/api/v1/status")).status).toBe(401);
    const { accessToken } = await signUpAndIn(core, "status@test.local");
    const r = await call("/api/v1/status", { headers: { authorization: `Bearer ${accessToken}` } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      runtime: { version: core.core.version, state: "online" },
      postgres: { state: "online", port: core.core.db.info.port, data_dir: null },
      forge: { state: "offline", port: null },
    });
  });
});

describe("request ids", () => {
  it("gives every response a distinct one, including errors", async () => {
    const ids = new Set<string>();
    for (const path of ["/health", "/health", "/api/v1/nope", "/api/trpc/system.health"]) {
      const r = await call(path);
      const id = r.res.headers.get("x-request-id")!;
      expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(4);
  });

  it("keeps a well-formed incoming id and replaces a hostile one", async () => {
    const kept = await call("/health", { headers: { "x-request-id": "trace-123.abc" } });
    expect(kept.res.headers.get("x-request-id")).toBe("trace-123.abc");
    const replaced = await call("/health", { headers: { "x-request-id": "bad id\twith <script>" } });
    expect(replaced.res.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it("logs each request with its id and without the query string", async () => {
    const r = await call("/api/v1/status?token=supersecretvalue", { headers: { authorization: "Bearer supersecretvalue" } });
    const id = r.res.headers.get("x-request-id")!;
    await sleep(20);
    const line = core.logs.find((l) => l.includes(id));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ method: "GET", path: "/api/v1/status", status: 401 });
    expect(core.logs.join("\n")).not.toContain("supersecretvalue");
  });
});

describe("CORS", () => {
  it.each([
    "http://localhost:3000",
    "http://127.0.0.1:5173",
    "tauri://localhost",
    "http://tauri.localhost",
    "https://app.rootcx.com",
    "https://rootcx.com",
  ])("allows %s", async (origin) => {
    const r = await call("/api/v1/status", { headers: { origin } });
    expect(r.res.headers.get("access-control-allow-origin")).toBe(origin);
  });

  it.each(["https://evil.example.com", "https://rootcx.com.evil.io", "http://localhost.evil.io", "null"])(
    "does not allow %s",
    async (origin) => {
      const r = await call("/api/v1/status", { headers: { origin } });
      expect(r.res.headers.get("access-control-allow-origin")).toBeNull();
    },
  );

  it("answers a preflight with any method and the requested headers", async () => {
    const r = await call("/api/v1/status", {
      method: "OPTIONS",
      headers: { origin: "http://localhost:1420", "access-control-request-method": "PATCH", "access-control-request-headers": "authorization, x-custom" },
    });
    expect(r.status).toBe(204);
    expect(r.res.headers.get("access-control-allow-methods")).toContain("PATCH");
    expect(r.res.headers.get("access-control-allow-headers")).toBe("authorization, x-custom");
  });
});

describe("without the Studio", () => {
  it("answers other paths with 404 JSON", async () => {
    const r = await call("/some/page");
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ error: "not found" });
  });
});

describe("shutdown", () => {
  it("drains an in-flight request before closing", async () => {
    const other = await startTestCore({ routes: echoRoutes });
    const inflight = fetch(`${other.url}/api/v1/test/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await sleep(100);
    const stopped = other.dispose();
    expect(await inflight).toEqual({ status: 200, body: { done: true } });
    await stopped;
    await expect(fetch(`${other.url}/health`)).rejects.toThrow();
    expect(other.core.state).toBe("offline");
  });
});
