import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Validator } from "@seriousme/openapi-schema-validator";
import openapiTS, { astToString } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { createSchema } from "zod-openapi";
import { restRoutes } from "../src/server/http/rest-routes.ts";
import type { RestRoute } from "../src/server/http/types.ts";
import { CONVERSION_OPTIONS, type OpenApiDocument } from "../src/server/openapi/document.ts";
import { openApiPath } from "../src/server/openapi/operation.ts";
import { api, PASSWORD, startTestCore, type TestCore } from "./harness.ts";

const run = promisify(execFile);
const WRITE = new Set(["POST", "PUT", "PATCH"]);

interface Operation {
  parameters?: { name: string; in: string; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  security?: unknown[];
}

/** The schema the document should hold for `schema`: a fresh conversion with the generator's own options. */
const fresh = (schema: z.ZodType) => createSchema(schema, { io: "input", opts: CONVERSION_OPTIONS }).schema;

/** Every way the document and the route table disagree, one sentence each (an empty list: in step). */
function problems(routes: readonly RestRoute[], doc: OpenApiDocument): string[] {
  const out: string[] = [];
  for (const route of routes) {
    const name = `${route.method} ${route.path}`;
    if (!route.docs) out.push(`${name}: no docs (declare it with defineRoute and docs)`);
    if (WRITE.has(route.method) && route.body !== "raw" && !route.schemas?.body && route.docs?.requestBody !== "none") {
      out.push(`${name}: takes a JSON body without schemas.body (or docs.requestBody: "none")`);
    }
    const op = (doc.paths?.[openApiPath(route.path)] as Record<string, Operation> | undefined)?.[route.method.toLowerCase()];
    if (!op) {
      out.push(`${name}: missing from the document`);
      continue;
    }
    const body = route.schemas?.body;
    if (body && JSON.stringify(op.requestBody?.content["application/json"]?.schema) !== JSON.stringify(fresh(body))) {
      out.push(`${name}: the documented request body differs from schemas.body`);
    }
    for (const where of ["params", "query"] as const) {
      const shape = (route.schemas?.[where] as z.ZodObject | undefined)?.shape ?? {};
      const location = where === "params" ? "path" : "query";
      for (const [key, schema] of Object.entries(shape)) {
        const param = op.parameters?.find((p) => p.name === key && p.in === location);
        if (!param) out.push(`${name}: ${location} parameter ${key} is not documented`);
        else if (JSON.stringify(param.schema) !== JSON.stringify(fresh(schema))) out.push(`${name}: ${location} parameter ${key} differs from schemas.${where}`);
      }
    }
    const auth = route.docs?.auth ?? "bearer";
    if ((auth === "none") !== (op.security?.length === 0)) out.push(`${name}: security does not say auth "${auth}"`);
  }
  return out;
}

let core: TestCore;
let doc: OpenApiDocument;

beforeAll(async () => {
  core = await startTestCore();
  doc = (await api(core, "GET", "/api/v1/openapi.json")).body as OpenApiDocument;
});
afterAll(async () => {
  await core?.dispose();
});

describe("the OpenAPI document", () => {
  it("is served to anyone, as JSON, the same each time", async () => {
    const first = await api(core, "GET", "/api/v1/openapi.json");
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toMatch(/^application\/json/);
    expect(first.body).toEqual(doc);
    expect(doc).toMatchObject({ openapi: "3.1.0", info: { title: "RootCX Core" }, servers: [{ url: "/api/v1" }] });
    expect((await api(core, "GET", "/api/v1/openapi.json")).body).toEqual(doc);
  });

  it("describes every registered route with the schemas it validates with", () => {
    expect(restRoutes.length).toBeGreaterThan(60);
    expect(problems(restRoutes, doc)).toEqual([]);
  });

  it("would notice a route missing, undocumented, or documented with another schema than it validates with", () => {
    const login = restRoutes.find((r) => r.method === "POST" && r.path === "/auth/login")!;
    const register = restRoutes.find((r) => r.method === "POST" && r.path === "/auth/register")!;
    const drifted: RestRoute = { ...login, schemas: { body: register.schemas!.body! } };
    const undocumented: RestRoute = { method: "POST", path: "/nowhere", handler: () => ({}) };
    expect(problems([drifted, undocumented], doc)).toEqual([
      "POST /auth/login: the documented request body differs from schemas.body",
      "POST /nowhere: no docs (declare it with defineRoute and docs)",
      'POST /nowhere: takes a JSON body without schemas.body (or docs.requestBody: "none")',
      "POST /nowhere: missing from the document",
    ]);
  });

  it("documents the one error shape, the security schemes, uploads and streams", () => {
    expect(doc.components?.schemas?.Error).toMatchObject({ type: "object", required: ["error"] });
    expect(Object.keys(doc.components?.securitySchemes ?? {}).sort()).toEqual(["apiKey", "bearerAuth", "shareToken"]);
    const me = doc.paths?.["/auth/me"]?.get;
    expect(me?.security).toEqual([{ bearerAuth: [] }, { apiKey: [] }]);
    expect(me?.responses?.["401"]).toMatchObject({ content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
    expect(doc.paths?.["/auth/login"]?.post?.security).toEqual([]);
    const deploy = doc.paths?.["/apps/{appId}/deploy"]?.post?.requestBody as { content: Record<string, unknown> };
    expect(deploy.content["multipart/form-data"]).toMatchObject({ schema: { properties: { archive: { type: "string" } }, required: ["archive"] } });
    expect(Object.keys(doc.paths?.["/apps/{appId}/logs"]?.get?.responses?.["200"] as object)).toContain("content");
    expect((doc.paths?.["/apps/{appId}/logs"]?.get?.responses?.["200"] as { content: object }).content).toHaveProperty("text/event-stream");
  });

  it("documents the refusals and the ways in that the server really has", async () => {
    type Responses = Record<string, { content?: Record<string, { schema?: unknown }> }>;
    const responses = (path: string, method: "get" | "post") => ((doc.paths?.[path] as Record<string, { responses?: Responses }> | undefined)?.[method]?.responses ?? {}) as Responses;
    const security = (path: string, method: "get" | "post") => (doc.paths?.[path] as Record<string, { security?: unknown[] }> | undefined)?.[method]?.security;
    const refusals: [string, "get" | "post", string[]][] = [
      ["/auth/login", "post", ["401"]],
      ["/auth/refresh", "post", ["401"]],
      ["/auth/token", "post", ["401"]],
      ["/db/query", "post", ["404"]],
      ["/apps", "post", ["409"]],
      ["/apps/{appId}/deploy", "post", ["415", "502"]],
      ["/apps/{appId}/rpc", "post", ["401", "502", "504"]],
      ["/storage/objects/{bucket}", "get", ["401"]],
      ["/storage/objects/{bucket}/{id}", "get", ["401"]],
    ];
    for (const [path, method, statuses] of refusals) {
      for (const status of statuses) {
        // Each in the one error envelope, like every other refusal.
        expect(responses(path, method)[status]?.content?.["application/json"]?.schema, `${method} ${path} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
      }
    }
    // A user's token or API key is the main way into an app's RPC; a share token or nothing serve public methods.
    expect(security("/apps/{appId}/rpc", "post")).toEqual([{ bearerAuth: [] }, { apiKey: [] }, { shareToken: [] }, {}]);
    // Public buckets answer anyone, private ones need a token.
    for (const path of ["/storage/objects/{bucket}", "/storage/objects/{bucket}/{id}", "/storage/objects/{bucket}/{id}/ancestors"]) {
      expect(security(path, "get"), path).toEqual([{ bearerAuth: [] }, { apiKey: [] }, {}]);
    }
    // The documented 401 on login is the server's answer to a wrong password.
    const wrong = await api(core, "POST", "/api/v1/auth/login", { email: "nobody@openapi.test", password: PASSWORD });
    expect(wrong).toMatchObject({ status: 401, body: { error: expect.any(String) } });
  });

  it("validates against the OpenAPI 3.1 schema", async () => {
    const result = await new Validator().validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });
});

describe("a client generated from the document", () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "rootcx-openapi-client-"));
    // The generated client resolves openapi-fetch, tsx and TypeScript from the project's own dependencies.
    symlinkSync(path.resolve("node_modules"), path.join(dir, "node_modules"));
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(path.join(dir, "schema.ts"), astToString(await openapiTS(structuredClone(doc) as Parameters<typeof openapiTS>[0])));
    writeFileSync(path.join(dir, "client.ts"), CLIENT);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("type-checks three real calls (and refuses a call the document forbids)", async () => {
    const tsc = path.resolve("node_modules/.bin/tsc");
    const args = ["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--skipLibCheck", "client.ts"];
    const checked = await run(tsc, args, { cwd: dir }).then(
      () => "",
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    expect(checked).toBe("");
  }, 120_000);

  it("makes those calls against a running Core and reads their answers", async () => {
    const email = `openapi-${Date.now()}@example.com`;
    const { stdout } = await run(process.execPath, ["--import", "tsx", "client.ts"], {
      cwd: dir,
      env: { ...process.env, BASE_URL: `${core.url}/api/v1`, EMAIL: email, PASSWORD },
    });
    const answers = JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>;
    expect(answers).toMatchObject({ registered: email, me: email, refusalStatus: 400, refusal: "invalid userId" });
    expect(answers.id).toMatch(/^[0-9a-f-]{36}$/);
  }, 60_000);
});

/** Register, sign in and read oneself; then a refusal, read through the documented error shape. */
const CLIENT = `import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

const client = createClient<paths>({ baseUrl: process.env.BASE_URL });
const email = process.env.EMAIL ?? "";
const password = process.env.PASSWORD ?? "";

const registered = await client.POST("/auth/register", { body: { email, password } });
if (!registered.data) throw new Error("register: " + JSON.stringify(registered.error));
const login = await client.POST("/auth/login", { body: { email, password } });
if (!login.data) throw new Error("login: " + JSON.stringify(login.error));
const token: string = login.data.accessToken;
const headers = { authorization: "Bearer " + token };
const me = await client.GET("/auth/me", { headers });
if (!me.data) throw new Error("me: " + JSON.stringify(me.error));
const refused = await client.GET("/permissions/{userId}", { params: { path: { userId: "not-a-uuid" } }, headers });
const refusal: string | undefined = refused.error?.error;

if (process.env.NEVER) {
  // @ts-expect-error a login without a password is not a call the document allows
  await client.POST("/auth/login", { body: { email } });
}

console.log(JSON.stringify({ registered: registered.data.user.email, me: me.data.email, id: me.data.id, refusal, refusalStatus: refused.response.status }));
`;
