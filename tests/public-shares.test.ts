import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreClient } from "../src/client/index.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { FIXTURES } from "./workers-helpers.ts";

// Public shares without a backend (spec §2.19): making, listing and revoking links, the one-active-share rule
// under concurrency, who may revoke, what is stored and audited. Share-token RPCs: tests/share-token-rpc.test.ts.

const APP = "kanban";
const base = `/api/v1/apps/${APP}/public-shares`;
let core: TestCore;
let admin: Session;
let sharer: Session;
let colleague: Session;
let outsider: Session;

const create = (body: unknown, who: Session) => api(core, "POST", base, body, who.accessToken);
const list = (who: Session) => api(core, "GET", base, undefined, who.accessToken);
const revoke = (id: string, who: Session) => api(core, "DELETE", `${base}/${id}`, undefined, who.accessToken);
const activeRows = async (context: unknown) =>
  (await core.core.db.pool.query("SELECT id FROM rootcx_system.public_shares WHERE app_id = $1 AND context = $2::jsonb AND revoked_at IS NULL", [APP, JSON.stringify(context)])).rowCount;

beforeAll(async () => {
  core = await startTestCore({ env: { ROOTCX_PUBLIC_URL: "https://core.example.test/" } });
  admin = await signUpAndIn(core, "admin@shares.test");
  const manifest = JSON.parse(readFileSync(path.join(FIXTURES, "board", "manifest.json"), "utf8")) as unknown;
  expect((await api(core, "POST", "/api/v1/apps", manifest, admin.accessToken)).status).toBe(200);
  sharer = await signUpAndIn(core, "sharer@shares.test");
  colleague = await signUpAndIn(core, "colleague@shares.test");
  outsider = await signUpAndIn(core, "outsider@shares.test");
  expect((await api(core, "POST", "/api/v1/roles", { name: "kanban_sharer", permissions: [`app:${APP}:public.share`, `app:${APP}:board.read`] }, admin.accessToken)).status).toBe(200);
  for (const who of [sharer, colleague]) {
    expect((await api(core, "POST", "/api/v1/roles/assign", { userId: who.userId, role: "kanban_sharer" }, admin.accessToken)).status).toBe(200);
  }
}, 60_000);

afterAll(async () => core?.dispose());

describe("making a public link", () => {
  it("answers the token once, with the link on the public URL, and stores only its hash", async () => {
    const res = await create({ context: { board_id: "b-1" } }, sharer);
    expect(res.status).toBe(201);
    const { id, url, token, tokenPrefix, context, createdAt, expiresAt, revoked } = res.body;
    expect(token).toMatch(/^rcsh_[A-Za-z0-9_-]{43}$/);
    expect(url).toBe(`https://core.example.test/share/${token}`);
    expect(tokenPrefix).toBe(token.slice(0, 11));
    expect({ context, expiresAt, revoked }).toEqual({ context: { board_id: "b-1" }, expiresAt: null, revoked: false });
    expect(Date.parse(createdAt)).toBeGreaterThan(Date.now() - 60_000);

    const row = (await core.core.db.pool.query("SELECT * FROM rootcx_system.public_shares WHERE id = $1", [id])).rows[0];
    expect(row.token_hash).toBe(createHash("sha256").update(token).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(token.slice(11));
    // Nor is it in any list.
    expect(JSON.stringify((await list(sharer)).body)).not.toContain(token.slice(11));
  });

  it("takes an expiry in whole days from 1 to 365", async () => {
    const res = await create({ context: { board_id: "b-exp" }, expiresInDays: 7 }, sharer);
    expect(res.status).toBe(201);
    const days = (Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt)) / 86_400_000;
    expect(days).toBeCloseTo(7, 5);
    for (const [expiresInDays, error] of [
      [0, "expiresInDays must be between 1 and 365"],
      [366, "expiresInDays must be between 1 and 365"],
      [1.5, "expiresInDays must be a whole number of days"],
      ["7", "expiresInDays must be a whole number of days"],
    ] as const) {
      const bad = await create({ context: { board_id: "b-bad" }, expiresInDays }, sharer);
      expect(bad.status, String(expiresInDays)).toBe(400);
      expect(bad.body.error).toContain(error);
    }
  });

  it("refuses contexts that are not a small JSON object, naming the problem", async () => {
    const cases: Array<[string, string]> = [
      [JSON.stringify({ context: ["b-1"] }), "context must be a JSON object"],
      [JSON.stringify({ context: "b-1" }), "context must be a JSON object"],
      [JSON.stringify({}), "context must be a JSON object"],
      [JSON.stringify({ context: { board_id: "x".repeat(3000) } }), "context must be at most 2048 bytes of JSON"],
      ['{"context": {"n": 750727362669608961}}', "numbers in a share context must be ones a double holds exactly"],
      ['{"context": {"board_id": "b-1"}', "malformed JSON"],
      [`{"context": {"deep": ${"[".repeat(100)}${"]".repeat(100)}}}`, "context.deep: values may be nested at most 16 levels deep"],
    ];
    for (const [body, error] of cases) {
      const res = await create(body, sharer);
      expect(res.status, body.slice(0, 40)).toBe(400);
      expect(res.body.error, body.slice(0, 40)).toContain(error);
    }
  });

  it("sends the one-time token uncached, on REST and on tRPC", async () => {
    const res = await create({ context: { board_id: "b-nostore" } }, sharer);
    expect(res.status).toBe(201);
    expect([res.headers.get("cache-control"), res.headers.get("pragma")]).toEqual(["no-store", "no-cache"]);

    const trpc = (input: unknown, headers: Record<string, string> = {}) =>
      fetch(`${core.url}/api/trpc/publicShares.create`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${sharer.accessToken}`, ...headers },
        body: JSON.stringify(input),
      });
    const made = await trpc({ appId: APP, context: { board_id: "b-nostore-trpc" } });
    expect(made.status).toBe(200);
    expect(JSON.stringify(await made.json())).toContain("rcsh_");
    expect([made.headers.get("cache-control"), made.headers.get("pragma")]).toEqual(["no-store", "no-cache"]);
    // A streamed batch sends its headers before the procedure ends: it is refused before any share is made.
    const context = { board_id: "b-nostore-stream" };
    const streamed = await fetch(`${core.url}/api/trpc/publicShares.create?batch=1`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${sharer.accessToken}`, "trpc-accept": "application/jsonl" },
      body: JSON.stringify({ 0: { appId: APP, context } }),
    });
    const text = await streamed.text();
    expect(text).toContain("this call answers a secret shown once: make it without streaming");
    expect(text).not.toContain("rcsh_");
    expect(await activeRows(context)).toBe(0);
  });

  it("refuses a __proto__ key anywhere in a context, naming it, rather than dropping it", async () => {
    const reason = 'a share context cannot have the key "__proto__"';
    for (const [body, where] of [
      ['{"context": {"__proto__": {"board_id": "x"}}}', "context"],
      ['{"context": {"board_id": "b-proto", "__proto__": "x"}}', "context"],
      ['{"context": {"board": {"__proto__": {"id": "x"}}}}', "context.board"],
      ['{"context": {"boards": [{"__proto__": null}]}}', "context.boards.0"],
    ]) {
      const res = await create(body, sharer);
      expect(res.status, body).toBe(400);
      expect(res.body.error, body).toBe(`${where}: ${reason}`);
    }
    // Nothing was stored under the context left once the key is dropped.
    expect(await activeRows({})).toBe(0);
    expect(await activeRows({ board_id: "b-proto" })).toBe(0);
    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${sharer.accessToken}` } });
    const context = JSON.parse('{"__proto__": {"board_id": "x"}}') as Record<string, unknown>;
    // tRPC answers zod's issues as JSON, the reason's quotes escaped.
    await expect(client.publicShares.create.mutate({ appId: APP, context })).rejects.toThrow(JSON.stringify(reason).slice(1, -1));
    expect(await activeRows({})).toBe(0);
    // The empty context is a context of its own, still free.
    expect((await create({ context: {} }, sharer)).status).toBe(201);
  });

  it("says what is wrong with a key or a string jsonb cannot store, before the database does", async () => {
    const cases: Array<[string, string]> = [
      ['{"context": {"": "b-1"}}', "context: context keys are 1 to 100 characters; this one is empty"],
      [JSON.stringify({ context: { ["k".repeat(101)]: "b-1" } }), `context: context keys are 1 to 100 characters; "${"k".repeat(20)}…" has 101`],
      ['{"context": {"board_id": "b\\u00001"}}', "context.board_id: text in a share context cannot contain the NUL character (U+0000)"],
      ['{"context": {"board": {"ti\\u0000tle": "b"}}}', 'context.board: the key "ti\\u0000tle" cannot contain the NUL character (U+0000)'],
      ['{"context": {"list": ["ok", "b\\u0000"]}}', "context.list.1: text in a share context cannot contain the NUL character (U+0000)"],
    ];
    for (const [body, error] of cases) {
      const res = await create(body, sharer);
      expect(res.status, body).toBe(400);
      expect(res.body.error, body).toBe(error);
    }
    // A key of exactly 100 characters is fine.
    expect((await create({ context: { ["k".repeat(100)]: "b-1" } }, sharer)).status).toBe(201);
    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${sharer.accessToken}` } });
    await expect(client.publicShares.create.mutate({ appId: APP, context: { board_id: "b\u0000" } })).rejects.toThrow("cannot contain the NUL character");
  });

  it("keeps every number a double holds exactly, as written, and refuses the others", async () => {
    for (const [text, stored] of [
      ["9007199254740992", 9007199254740992],
      ["1e308", 1e308],
      ["-1.7976931348623157e308", -Number.MAX_VALUE],
      ["5e-324", Number.MIN_VALUE],
      ["0.1", 0.1],
    ] as const) {
      const res = await create(`{"context": {"n": ${text}}}`, sharer);
      expect(res.status, `${text}: ${JSON.stringify(res.body)}`).toBe(201);
      expect(res.body.context.n, text).toBe(stored);
      const info = await api(core, "GET", "/api/v1/public/share/info", undefined, res.body.token);
      expect(info.body.context.n, text).toBe(stored);
      // The same number however it is spelled is the same context.
      expect((await create(`{"context": {"n": ${JSON.stringify(stored)}}}`, sharer)).status, text).toBe(409);
    }
    for (const text of ["9007199254740993", "1e400", "1e-400", "0.10000000000000001"]) {
      const res = await create(`{"context": {"n": ${text}}}`, sharer);
      expect(res.status, text).toBe(400);
      expect(res.body.error, text).toBe(`context.n: numbers in a share context must be ones a double holds exactly: ${text} is not (send it as a string)`);
    }
  });

  it("needs app:{id}:public.share, and an installed app", async () => {
    const refused = await create({ context: { board_id: "b-1" } }, outsider);
    expect(refused).toMatchObject({ status: 403, body: { error: `permission required: app:${APP}:public.share` } });
    const missing = await api(core, "POST", "/api/v1/apps/nowhere/public-shares", { context: {} }, admin.accessToken);
    expect(missing).toMatchObject({ status: 404, body: { error: "app nowhere not found" } });
    expect((await api(core, "POST", base, { context: {} })).status).toBe(401);
  });

  it("is one of the app's available permissions", async () => {
    const keys = ((await api(core, "GET", "/api/v1/permissions/available", undefined, admin.accessToken)).body as { key: string }[]).map((k) => k.key);
    expect(keys).toContain(`app:${APP}:public.share`);
  });
});

describe("one active share per (app, creator, context)", () => {
  it("refuses a second link for the same context, whatever its key order, until the first is revoked", async () => {
    const first = await create({ context: { board_id: "b-2", view: "cards" } }, sharer);
    expect(first.status).toBe(201);
    const again = await create({ context: { view: "cards", board_id: "b-2" } }, sharer);
    expect(again.status).toBe(409);
    expect(again.body.error).toBe(`you already share this context of app ${APP} (share ${first.body.id}, token ${first.body.tokenPrefix}…): revoke that share to make a new link`);
    // Another creator has a slot of its own; another context is another slot.
    expect((await create({ context: { board_id: "b-2", view: "cards" } }, colleague)).status).toBe(201);
    expect((await create({ context: { board_id: "b-2", view: "list" } }, sharer)).status).toBe(201);

    expect((await revoke(first.body.id, sharer)).status).toBe(200);
    expect((await create({ context: { board_id: "b-2", view: "cards" } }, sharer)).status).toBe(201);
  });

  it("holds under concurrent creates: exactly one succeeds", async () => {
    const context = { board_id: "b-race" };
    const answers = await Promise.all(Array.from({ length: 12 }, () => create({ context }, sharer)));
    expect(answers.map((a) => a.status).sort()).toEqual([201, ...Array(11).fill(409)]);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body.error).toMatch(/^you already share this context of app kanban/);
    expect(await activeRows(context)).toBe(1);
  });

  it("lets an expired share's slot be taken again (the expired one is retired as revoked at its expiry)", async () => {
    const context = { board_id: "b-old" };
    const old = await create({ context, expiresInDays: 1 }, sharer);
    expect(old.status).toBe(201);
    await core.core.db.pool.query("UPDATE rootcx_system.public_shares SET created_at = now() - interval '2 days', expires_at = now() - interval '1 day' WHERE id = $1", [old.body.id]);
    const fresh = await create({ context }, sharer);
    expect(fresh.status).toBe(201);
    const row = (await core.core.db.pool.query("SELECT revoked_at = expires_at AS retired FROM rootcx_system.public_shares WHERE id = $1", [old.body.id])).rows[0];
    expect(row.retired).toBe(true);
    expect(await activeRows(context)).toBe(1);
  });
});

describe("listing and revoking", () => {
  it("lists a creator's own working links, and every link to an app administrator", async () => {
    const mine = (await list(sharer)).body as Array<{ createdBy: { email: string }; context: { board_id: string } }>;
    expect(mine.length).toBeGreaterThan(0);
    expect(new Set(mine.map((s) => s.createdBy.email))).toEqual(new Set([sharer.email]));
    // The expired share above is not listed.
    expect(mine.filter((s) => s.context.board_id === "b-old")).toHaveLength(1);
    const all = (await list(admin)).body as Array<{ createdBy: { email: string } }>;
    expect(new Set(all.map((s) => s.createdBy.email))).toEqual(new Set([sharer.email, colleague.email]));
    expect(await list(outsider)).toMatchObject({ status: 403, body: { error: `permission required: app:${APP}:public.share` } });
  });

  it("lets only the creator or an app administrator revoke, and says why to anyone else", async () => {
    const share = await create({ context: { board_id: "b-revoke" } }, sharer);
    for (const who of [colleague, outsider]) {
      const refused = await revoke(share.body.id, who);
      expect(refused).toMatchObject({ status: 403, body: { error: `only the share's creator or an administrator of app ${APP} (app:${APP}:*) can revoke it` } });
    }
    expect(await revoke(share.body.id, sharer)).toMatchObject({ status: 200, body: { message: `share ${share.body.id} revoked` } });
    expect(await revoke(share.body.id, sharer)).toMatchObject({ status: 404, body: { error: `share ${share.body.id} of app ${APP} not found (or already revoked)` } });

    const theirs = await create({ context: { board_id: "b-admin" } }, colleague);
    expect((await revoke(theirs.body.id, admin)).status).toBe(200);
    expect((await api(core, "DELETE", `${base}/not-a-uuid`, undefined, admin.accessToken)).body.error).toContain("shareId must be a UUID");
  });

  it("records creation and revocation in the audit log, never the token", async () => {
    const share = await create({ context: { board_id: "b-audit" } }, sharer);
    await revoke(share.body.id, sharer);
    const { rows } = await core.core.db.pool.query(
      "SELECT operation, actor_uid::text AS actor, table_name, new_record, old_record FROM rootcx_system.audit_log WHERE record_id = $1 ORDER BY id",
      [share.body.id],
    );
    expect(rows.map((r) => [r.operation, r.actor, r.table_name])).toEqual([
      ["share.create", sharer.userId, "public_shares"],
      ["share.revoke", sharer.userId, "public_shares"],
    ]);
    expect(rows[0].new_record).toMatchObject({ app_id: APP, context: { board_id: "b-audit" }, token_prefix: share.body.tokenPrefix });
    expect(JSON.stringify(rows)).not.toContain(share.body.token.slice(11));
  });
});

describe("GET /public/share/info", () => {
  it("answers the app and context to the share token, and refuses anything else alike", async () => {
    const share = await create({ context: { board_id: "b-info" } }, sharer);
    expect(await api(core, "GET", "/api/v1/public/share/info", undefined, share.body.token)).toMatchObject({ status: 200, body: { appId: APP, context: { board_id: "b-info" } } });
    expect(await api(core, "GET", "/api/v1/public/share/info")).toMatchObject({ status: 401, body: { error: "a share token is required (Authorization: Bearer rcsh_…)" } });
    expect(await api(core, "GET", "/api/v1/public/share/info", undefined, sharer.accessToken)).toMatchObject({ status: 401, body: { error: "a share token is required (Authorization: Bearer rcsh_…)" } });
    const forged = `rcsh_${"A".repeat(43)}`;
    expect(await api(core, "GET", "/api/v1/public/share/info", undefined, forged)).toMatchObject({ status: 401, body: { error: "this share link is unknown, revoked or expired" } });
    await revoke(share.body.id, sharer);
    expect(await api(core, "GET", "/api/v1/public/share/info", undefined, share.body.token)).toMatchObject({ status: 401, body: { error: "this share link is unknown, revoked or expired" } });
  });

  it("stops working at once when the creator loses public.share or is disabled", async () => {
    const share = await create({ context: { board_id: "b-creator" } }, colleague);
    const info = () => api(core, "GET", "/api/v1/public/share/info", undefined, share.body.token);
    expect((await info()).status).toBe(200);
    expect((await api(core, "POST", "/api/v1/roles/revoke", { userId: colleague.userId, role: "kanban_sharer" }, admin.accessToken)).status).toBe(200);
    expect(await info()).toMatchObject({ status: 401, body: { error: "this share link is unknown, revoked or expired" } });
    expect((await api(core, "POST", "/api/v1/roles/assign", { userId: colleague.userId, role: "kanban_sharer" }, admin.accessToken)).status).toBe(200);
    expect((await info()).status).toBe(200);
    expect((await api(core, "POST", `/api/v1/users/${colleague.userId}/disable`, undefined, admin.accessToken)).status).toBe(200);
    expect((await info()).status).toBe(401);
    expect((await api(core, "POST", `/api/v1/users/${colleague.userId}/enable`, undefined, admin.accessToken)).status).toBe(200);
  });
});

describe("tRPC publicShares", () => {
  it("creates, lists and revokes through the same services", async () => {
    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${sharer.accessToken}` } });
    const made = await client.publicShares.create.mutate({ appId: APP, context: { board_id: "b-trpc" }, expiresInDays: 3 });
    expect(made.token).toMatch(/^rcsh_/);
    expect((await client.publicShares.list.query({ appId: APP })).map((s) => s.id)).toContain(made.id);
    await expect(client.publicShares.create.mutate({ appId: APP, context: { board_id: "b-trpc" } })).rejects.toThrow(/you already share this context/);
    expect(await client.publicShares.revoke.mutate({ appId: APP, shareId: made.id })).toEqual({ message: `share ${made.id} revoked` });
    const stranger = createCoreClient(core.url, { headers: { authorization: `Bearer ${outsider.accessToken}` } });
    await expect(stranger.publicShares.list.query({ appId: APP })).rejects.toThrow(`permission required: app:${APP}:public.share`);
  });
});
