import { readFileSync } from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upload } from "./deploy-helpers.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { filesTarGz } from "./tar-builder.ts";
import { FIXTURES, waitFor } from "./workers-helpers.ts";

// Spec §2.5, share tokens: the Task-Manager-style `board` fixture (entities board, card and note; public RPCs
// get_public_board and add_public_card scoped by board_id, whoami unscoped; list_boards private) is installed,
// deployed with its frontend and called through share links on a real Core, workers and PostgreSQL.

const APP = "kanban";
const OTHER = "elsewhere";
const dir = path.join(FIXTURES, "board");
const UNAVAILABLE = "this share link is unknown, revoked or expired";
let core: TestCore;
let admin: Session;
let sharer: Session;
let boardA: string;
let boardB: string;
let share: { id: string; token: string };

const manifestFor = (appId: string) => ({ ...(JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as Record<string, unknown>), appId });
const rpc = (appId: string, method: string, params: unknown, token?: string) => api(core, "POST", `/api/v1/apps/${appId}/rpc`, { method, params }, token);
const insert = async (entity: string, row: Record<string, unknown>) => {
  const res = await api(core, "POST", `/api/v1/apps/${APP}/collections/${entity}`, row, admin.accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
};
const makeShare = async (context: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
  const res = await api(core, "POST", `/api/v1/apps/${APP}/public-shares`, { context, ...extra }, sharer.accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; token: string };
};
const grant = (permissions: string[]) => api(core, "PATCH", "/api/v1/roles/kanban_sharer", { permissions }, admin.accessToken);
const SHARER_KEYS = [`app:${APP}:public.share`, `app:${APP}:board.read`, `app:${APP}:card.read`, `app:${APP}:card.create`, `app:${APP}:invoke`];

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@board.test");
  for (const appId of [APP, OTHER]) {
    const manifest = manifestFor(appId);
    expect((await api(core, "POST", "/api/v1/apps", manifest, admin.accessToken)).status).toBe(200);
    const backend = filesTarGz({ "index.ts": readFileSync(path.join(dir, "index.ts")), "manifest.json": JSON.stringify(manifest) });
    expect((await upload(core, `/api/v1/apps/${appId}/deploy`, backend, admin.accessToken)).status).toBe(200);
  }
  const frontend = filesTarGz({ "index.html": readFileSync(path.join(dir, "frontend", "index.html")) });
  expect((await upload(core, `/api/v1/apps/${APP}/frontend`, frontend, admin.accessToken)).status).toBe(200);

  sharer = await signUpAndIn(core, "sharer@board.test");
  // The sharer may read boards and cards and create cards, but not read notes.
  expect((await api(core, "POST", "/api/v1/roles", { name: "kanban_sharer", permissions: SHARER_KEYS }, admin.accessToken)).status).toBe(200);
  expect((await api(core, "POST", "/api/v1/roles/assign", { userId: sharer.userId, role: "kanban_sharer" }, admin.accessToken)).status).toBe(200);

  boardA = await insert("board", { title: "Roadmap" });
  boardB = await insert("board", { title: "Salaries" });
  await insert("card", { board_id: boardA, title: "Ship", position: 2 });
  await insert("card", { board_id: boardA, title: "Plan", position: 1 });
  await insert("card", { board_id: boardB, title: "Raise for Bob", position: 1 });
  await insert("note", { board_id: boardA, body: "internal: the date is soft" });
  share = await makeShare({ board_id: boardA });
}, 120_000);

afterAll(async () => core?.dispose());

describe("a share token", () => {
  it("calls its public RPC with a matching scope, as its creator with read-only delegated permissions", async () => {
    const res = await rpc(APP, "get_public_board", { board_id: boardA }, share.token);
    expect(res).toMatchObject({ status: 200, body: { board: { id: boardA, title: "Roadmap" }, cards: ["Plan", "Ship"] } });
    const whoami = await rpc(APP, "whoami", {}, share.token);
    expect(whoami.body).toEqual({ userId: sharer.userId, email: sharer.email, effectivePerms: [`app:${APP}:board.read`, `app:${APP}:card.read`] });
  });

  it("is refused when the params name another context, naming the scoped key", async () => {
    const reason = `params.board_id does not match the share link's context (get_public_board is scoped by board_id)`;
    for (const params of [{ board_id: boardB }, {}, { board_id: [boardA] }, { board_id: boardA.toUpperCase() }, "not an object"]) {
      const res = await rpc(APP, "get_public_board", params, share.token);
      expect(res, JSON.stringify(params)).toMatchObject({ status: 403, body: { error: reason } });
    }
    // A params object whose own key is "__proto__" holds no board_id of its own: nothing is read through a prototype.
    const viaProto = await api(core, "POST", `/api/v1/apps/${APP}/rpc`, `{"method": "get_public_board", "params": {"__proto__": {"board_id": "${boardA}"}}}`, share.token);
    expect(viaProto).toMatchObject({ status: 403, body: { error: reason } });
    // Keys outside the scope do not matter.
    expect((await rpc(APP, "get_public_board", { board_id: boardA, view: "compact" }, share.token)).status).toBe(200);
  });

  it("matches a scoped number a double holds exactly, however the call spells it", async () => {
    const mismatch = { status: 403, body: { error: "params.board_id does not match the share link's context (get_public_board is scoped by board_id)" } };
    for (const [made, same, other] of [
      ["9007199254740992", "9.007199254740992e15", "9007199254740993"],
      ["1e308", "1E+308", "1.0000000000000001e308"],
    ] as const) {
      const res = await api(core, "POST", `/api/v1/apps/${APP}/public-shares`, `{"context": {"board_id": ${made}}}`, sharer.accessToken);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const call = (n: string) => api(core, "POST", `/api/v1/apps/${APP}/rpc`, `{"method": "get_public_board", "params": {"board_id": ${n}}}`, res.body.token);
      // Past the scope check the call reaches the board's code, which finds no board under a number.
      for (const n of [made, same]) {
        const answer = await call(n);
        expect(answer.status, n).not.toBe(403);
        expect(answer.body.error, n).toMatch(/^worker error: /);
      }
      expect(await call(other), other).toMatchObject(mismatch);
    }
  });

  it("is refused for a method not listed in public.rpcs", async () => {
    const res = await rpc(APP, "list_boards", {}, share.token);
    expect(res).toMatchObject({ status: 403, body: { error: `method list_boards of app ${APP} is not public (manifest public.rpcs): a share link cannot call it` } });
  });

  it("is refused for another app, even one with the same public method", async () => {
    const res = await rpc(OTHER, "get_public_board", { board_id: boardA }, share.token);
    expect(res).toMatchObject({ status: 403, body: { error: `this share link is for another app than ${OTHER}` } });
  });

  it("cannot write, even where its creator could", async () => {
    // The creator holds card.create; the share's delegation carries read keys only, and row-level security refuses the insert.
    const res = await rpc(APP, "add_public_card", { board_id: boardA, title: "Sneaky" }, share.token);
    expect(res).toMatchObject({ status: 502, body: { error: 'worker error: permission denied: new row violates row-level security policy for table "card"' } });
    expect((await core.core.db.pool.query(`SELECT 1 FROM ${APP}.card WHERE title = 'Sneaky'`)).rowCount).toBe(0);
    // The creator's own call, on the creator's live permissions, may.
    expect((await rpc(APP, "add_public_card", { board_id: boardA, title: "By hand" }, sharer.accessToken)).status).toBe(200);
  });

  it("cannot read another entity's rows its creator cannot read, and follows the creator's read keys as they change", async () => {
    expect((await rpc(APP, "get_public_board", { board_id: boardA }, admin.accessToken)).body.notes).toEqual(["internal: the date is soft"]);
    expect((await rpc(APP, "get_public_board", { board_id: boardA }, share.token)).body.notes).toEqual([]);
    expect((await grant([...SHARER_KEYS, `app:${APP}:note.read`])).status).toBe(200);
    expect((await rpc(APP, "get_public_board", { board_id: boardA }, share.token)).body.notes).toEqual(["internal: the date is soft"]);
    expect((await grant(SHARER_KEYS)).status).toBe(200);
    expect((await rpc(APP, "get_public_board", { board_id: boardA }, share.token)).body.notes).toEqual([]);
  });

  it("is refused at once after revocation, on this Core and on another one sharing the database", async () => {
    const second = await startTestCore({ database: core.database, env: { ROOTCX_MASTER_KEY: core.core.config.masterKey.toString("hex") } });
    try {
      const doomed = await makeShare({ board_id: boardB });
      const info = (on: TestCore) => api(on, "GET", "/api/v1/public/share/info", undefined, doomed.token);
      expect((await info(second)).status).toBe(200);
      expect((await rpc(APP, "get_public_board", { board_id: boardB }, doomed.token)).status).toBe(200);
      expect((await api(core, "DELETE", `/api/v1/apps/${APP}/public-shares/${doomed.id}`, undefined, sharer.accessToken)).status).toBe(200);
      expect(await rpc(APP, "get_public_board", { board_id: boardB }, doomed.token)).toMatchObject({ status: 401, body: { error: UNAVAILABLE } });
      expect(await info(second)).toMatchObject({ status: 401, body: { error: UNAVAILABLE } });
    } finally {
      await second.dispose();
    }
  });

  it("is refused once expired", async () => {
    const brief = await makeShare({ board_id: boardB, view: "brief" }, { expiresInDays: 1 });
    expect((await rpc(APP, "get_public_board", { board_id: boardB }, brief.token)).status).toBe(200);
    await core.core.db.pool.query("UPDATE rootcx_system.public_shares SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second' WHERE id = $1", [brief.id]);
    expect(await rpc(APP, "get_public_board", { board_id: boardB }, brief.token)).toMatchObject({ status: 401, body: { error: UNAVAILABLE } });
  });
});

describe("without a share token", () => {
  it("calls only public RPCs with an empty scope, anonymously", async () => {
    expect(await rpc(APP, "whoami", {})).toMatchObject({ status: 200, body: null });
    expect(await rpc(APP, "get_public_board", { board_id: boardA })).toMatchObject({
      status: 401,
      body: { error: `method get_public_board of app ${APP} is public only through a share link (scoped by board_id): call with its token (Authorization: Bearer rcsh_…)` },
    });
  });

  it("never takes another kind of token for a share token", async () => {
    // An API-key-shaped or otherwise dotless token goes to the principal check, not to the share lookup.
    for (const token of [`rcs_${"A".repeat(43)}`, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"]) {
      const res = await rpc(APP, "get_public_board", { board_id: boardA }, token);
      expect(res.status).toBe(401);
      expect(res.body.error).not.toBe(UNAVAILABLE);
    }
    // A signed-in user goes through app:{id}:invoke with live permissions, as before.
    expect((await rpc(APP, "get_public_board", { board_id: boardB }, sharer.accessToken)).body.cards).toEqual(["Raise for Bob"]);
  });
});

describe("the share link's page", () => {
  it("serves the app's index.html, uncached, unindexed and without referrer, whose script loads the board with the token", async () => {
    const res = await fetch(`${core.url}/share/${share.token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("x-robots-tag")).toBe("noindex, nofollow");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await res.text();
    expect(html).toContain('<main id="board">');

    // Run the page's own script against the Core, as a browser at /share/{token} would.
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1];
    expect(script).toBeDefined();
    const out = { textContent: "" };
    vm.runInNewContext(script!, {
      document: { getElementById: (id: string) => (id === "board" ? out : null) },
      location: new URL(`${core.url}/share/${share.token}`),
      fetch: (url: string, init?: RequestInit) => fetch(new URL(url, core.url), init),
    });
    const cards = ((await rpc(APP, "get_public_board", { board_id: boardA }, admin.accessToken)).body.cards as string[]).join(", ");
    expect(await waitFor("the page to render the board", () => out.textContent || undefined)).toBe(`Roadmap: ${cards}`);
    // The token is a credential: the request log keeps its first characters only.
    const logged = core.logs.filter((line) => line.includes('"path":"/share/'));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.filter((line) => line.includes(share.token.slice(11)))).toEqual([]);
  });

  it("is the same 404 page for an unknown, a revoked or an expired link", async () => {
    const revoked = await makeShare({ board_id: boardA, view: "revoked" });
    await api(core, "DELETE", `/api/v1/apps/${APP}/public-shares/${revoked.id}`, undefined, sharer.accessToken);
    const expired = await makeShare({ board_id: boardA, view: "expired" }, { expiresInDays: 1 });
    await core.core.db.pool.query("UPDATE rootcx_system.public_shares SET created_at = now() - interval '2 days', expires_at = now() - interval '1 day' WHERE id = $1", [expired.id]);
    const pages = [];
    for (const token of [`rcsh_${"B".repeat(43)}`, "nonsense", revoked.token, expired.token, `${share.token}/extra`]) {
      const res = await fetch(`${core.url}/share/${token}`);
      expect(res.status, token).toBe(404);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-robots-tag")).toBe("noindex, nofollow");
      pages.push(await res.text());
    }
    expect(new Set(pages).size).toBe(1);
    expect(pages[0]).toContain("This share link is unknown, revoked or expired");
    expect((await fetch(`${core.url}/share/${share.token}`, { method: "POST" })).status).toBe(405);
  });
});
