import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upload } from "./deploy-helpers.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { filesTarGz } from "./tar-builder.ts";
import { collectLogs, FIXTURES, waitFor } from "./workers-helpers.ts";

// The acceptance case: a backend written in the original's style (global `serve` with `rpc` and
// `onStart`, `ctx.collection(...).find/findOne/insert/update`, `ctx.log`, a public RPC) is installed with its
// manifest, deployed as an archive over REST and runs unchanged on a real Core and a real PostgreSQL.

const APP = "task_tracker";
const dir = path.join(FIXTURES, "original");
let core: TestCore;
let admin: Session;
let reader: Session;
let stranger: Session;
const rpc = (method: string, params: unknown, token?: string) => api(core, "POST", `/api/v1/apps/${APP}/rpc`, { method, params }, token);

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@tracker.test");
  const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as unknown;
  expect((await api(core, "POST", "/api/v1/apps", manifest, admin.accessToken)).status).toBe(200);
  reader = await signUpAndIn(core, "reader@tracker.test");
  stranger = await signUpAndIn(core, "stranger@tracker.test");
  const roles: Array<[Session, string, string[]]> = [
    [reader, "tracker_reader", [`app:${APP}:invoke`, `app:${APP}:tasks.read`]],
    [stranger, "tracker_invoker", [`app:${APP}:invoke`]],
  ];
  for (const [user, role, permissions] of roles) {
    expect((await api(core, "POST", "/api/v1/roles", { name: role, permissions }, admin.accessToken)).status).toBe(200);
    expect((await api(core, "POST", "/api/v1/roles/assign", { userId: user.userId, role }, admin.accessToken)).status).toBe(200);
  }
}, 60_000);

afterAll(async () => core?.dispose());

describe("a backend in the original's style", () => {
  it("deploys, seeds in onStart through the bypass, and answers its RPCs as each caller", async () => {
    const logs = collectLogs(core, APP);
    const archive = filesTarGz({ "index.ts": readFileSync(path.join(dir, "index.ts")), "manifest.json": readFileSync(path.join(dir, "manifest.json")) });
    const deployed = await upload(core, `/api/v1/apps/${APP}/deploy`, archive, admin.accessToken);
    expect(deployed.status).toBe(200);
    await waitFor("onStart's log line", () => logs.entries.some((e) => e.message === "task tracker starting"));

    // onStart inserted the welcome task as the lifecycle worker (no identity, but the bypass is armed until its first call).
    const seeded = await waitFor("the seeded task", async () => {
      const rows = (await core.core.db.pool.query<{ title: string }>(`SELECT title FROM ${APP}.tasks`)).rows;
      return rows.length > 0 ? rows : undefined;
    });
    expect(seeded).toEqual([{ title: "Welcome" }]);

    const created = await rpc("create_task", { title: "Write docs", priority: "high" }, admin.accessToken);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ title: "Write docs", status: "todo", priority: "high", created_by: admin.email });
    await waitFor("the handler's ctx.log line", () => logs.entries.some((e) => e.level === "info" && /task created: Write docs$/.test(e.message)));

    const listed = await rpc("list_tasks", {}, admin.accessToken);
    expect(listed.body.map((t: { title: string }) => t.title)).toEqual(["Welcome", "Write docs"]);
    expect((await rpc("get_task", { id: created.body.id }, admin.accessToken)).body).toMatchObject({ id: created.body.id, title: "Write docs" });
    expect(await rpc("get_task", { id: "00000000-0000-0000-0000-000000000000" }, admin.accessToken)).toMatchObject({ body: { error: expect.stringContaining("task not found") } });
    expect((await rpc("complete_task", { id: created.body.id }, admin.accessToken)).body).toMatchObject({ id: created.body.id, status: "done" });
    expect((await rpc("list_tasks", { status: "done" }, admin.accessToken)).body.map((t: { title: string }) => t.title)).toEqual(["Write docs"]);

    // The same code as other identities: a reader reads but cannot write; an invoker without the read key sees nothing.
    expect((await rpc("list_tasks", {}, reader.accessToken)).body).toHaveLength(2);
    const refused = await rpc("create_task", { title: "Sneaky" }, reader.accessToken);
    expect(refused).toMatchObject({ status: 502, body: { error: 'worker error: permission denied: new row violates row-level security policy for table "tasks"' } });
    expect((await rpc("list_tasks", {}, stranger.accessToken)).body).toEqual([]);

    // The public RPC answers without a token, on the anonymous worker, which sees no row.
    const summary = await rpc("board_summary", {});
    expect(summary).toMatchObject({ status: 200, body: { app: APP, counts: { todo: 0, doing: 0, done: 0 } } });
    expect((await rpc("board_summary", {}, admin.accessToken)).body).toEqual({ app: APP, counts: { todo: 1, doing: 0, done: 1 } });
    expect((await rpc("list_tasks", {})).status).toBe(401);
    logs.stop();
  });
});
