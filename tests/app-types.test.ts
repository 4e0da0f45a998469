import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { appData, createCoreClient } from "../src/client/index.ts";
import { parseManifest } from "../src/server/apps/manifest.ts";
import { manifestToTypeScript } from "../src/server/apps/typescript-types.ts";
import type { HelpdeskEntities, HelpdeskTicket } from "./fixtures/helpdesk-types.ts";
import { helpdesk } from "./fixtures/manifests.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";

const GOLDEN = path.join(import.meta.dirname, "fixtures", "helpdesk-types.ts");

let core: TestCore;
let admin: Session;
beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@types.test");
  expect((await api(core, "POST", "/api/v1/apps", helpdesk(), admin.accessToken)).status).toBe(200);
});
afterAll(() => core.dispose());

describe("entity types from an installed manifest", () => {
  it("npm run types -- --app writes the declarations the typed client uses (the committed fixture)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "rootcx-types-"));
    try {
      const out = path.join(dir, "helpdesk.ts");
      const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/types.ts", "--app", "helpdesk", "--out", out], {
        env: { ...process.env, ROOTCX_URL: core.url, ROOTCX_TOKEN: admin.accessToken },
      });
      expect(stdout).toContain("wrote");
      expect(readFileSync(out, "utf8")).toBe(readFileSync(GOLDEN, "utf8"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(manifestToTypeScript(parseManifest(helpdesk()))).toBe(readFileSync(GOLDEN, "utf8"));
  });

  it("fails clearly without a token or for an unknown app", async () => {
    const run = (args: string[], env: Record<string, string>) =>
      promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/types.ts", ...args], { env: { ...process.env, ROOTCX_TOKEN: "", ...env } }).then(() => "ok", (err: { stderr: string }) => err.stderr);
    expect(await run(["--app", "helpdesk"], { ROOTCX_URL: core.url })).toMatch(/ROOTCX_TOKEN/);
    expect(await run(["--app", "nope"], { ROOTCX_URL: core.url, ROOTCX_TOKEN: admin.accessToken })).toMatch(/404/);
  });

  it("types the Data API through appData<Entities>() (checked by tsc, run against the Core)", async () => {
    const client = createCoreClient(core.url, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    const hd = appData<HelpdeskEntities>(client, "helpdesk");
    const ticket = await hd.create("ticket", { subject: "typed", priority: 2, status: "pending" });
    expectTypeOf(ticket).toEqualTypeOf<HelpdeskTicket>();
    expect(ticket).toMatchObject({ subject: "typed", priority: 2, status: "pending" });
    // @ts-expect-error subject is required
    await expect(hd.create("ticket", { priority: 1 })).rejects.toThrow(/subject/);
    // @ts-expect-error status is one of the enum values
    await expect(hd.update("ticket", ticket.id, { status: "lost" })).rejects.toThrow();
    const { data, total } = await hd.query("ticket", { where: { subject: "typed" } });
    expect(total).toBe(1);
    expectTypeOf(data[0]!.tags).toEqualTypeOf<string[] | null>();
    const reply = await hd.create("reply", { ticket_id: ticket.id, body: "hi" });
    expect((await hd.list("reply")).map((r) => r.body)).toEqual(["hi"]);
    expect((await hd.get("reply", reply.id)).ticket_id).toBe(ticket.id);
    expect(await hd.delete("ticket", ticket.id)).toEqual({ message: "record deleted" });
    // @ts-expect-error no such entity
    await expect(hd.list("nope")).rejects.toThrow(/not found/);
  });
});
