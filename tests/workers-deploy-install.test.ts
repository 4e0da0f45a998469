import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appDir } from "../src/server/workers/app-files.ts";
import { installIsolated, installRoot } from "../src/server/workers/bun-install.ts";
import { workerId } from "../src/server/workers/worker-user.ts";
import { installApp, upload } from "./deploy-helpers.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { filesTarGz, rawTarGz } from "./tar-builder.ts";

/**
 * bun install runs on an archive's package.json: it must never reach the Core's files (a `file:` dependency on a
 * root-only directory), never take settings from the archive (bunfig.toml, .npmrc), never hard-link, and the
 * permission pass after it must never change a file outside the app.
 */

let core: TestCore;
let admin: Session;
let outside: string;
let secret: string;
const asRoot = process.getuid?.() === 0;

const backend = (version: string, extra: Record<string, string> = {}) =>
  filesTarGz({ "index.ts": `declare const serve: (h: unknown) => void;\nserve({ rpc: { version: () => ${JSON.stringify(version)} } });\n`, ...extra });
const deploy = (appId: string, archive: Buffer) => upload(core, `/api/v1/apps/${appId}/deploy`, archive, admin.accessToken);
const rpc = async (appId: string, method: string) => (await api(core, "POST", `/api/v1/apps/${appId}/rpc`, { method }, admin.accessToken)).body;
const pkg = (deps: Record<string, unknown>) => JSON.stringify({ name: "probe", version: "1.0.0", ...deps });
const fingerprint = (file: string) => {
  const st = lstatSync(file);
  return { uid: st.uid, gid: st.gid, mode: st.mode, nlink: st.nlink };
};

beforeAll(async () => {
  core = await startTestCore();
  admin = await signUpAndIn(core, "admin@install.test");
  await installApp(core, "probe", admin.accessToken);
  expect((await deploy("probe", backend("v1"))).status).toBe(200);
  // A root-only package outside the data directory, holding a secret.
  outside = mkdtempSync(path.join(os.tmpdir(), "rootcx-outside-"));
  writeFileSync(path.join(outside, "package.json"), JSON.stringify({ name: "stolen", version: "1.0.0" }), { mode: 0o600 });
  secret = path.join(outside, "secret.txt");
  writeFileSync(secret, "root-only secret", { mode: 0o600 });
  chmodSync(outside, 0o700);
}, 60_000);
afterAll(async () => {
  await core?.dispose();
  if (outside) rmSync(outside, { recursive: true, force: true });
});

describe("package.json and lockfiles may not name local paths", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["a file: dependency", { dependencies: { stolen: "file:%OUT%" } }, 'dependency "stolen" in package.json dependencies is "file:%OUT%": file: specifiers are refused'],
    ["a link: devDependency", { devDependencies: { stolen: "link:stolen" } }, 'dependency "stolen" in package.json devDependencies is "link:stolen": link: specifiers are refused'],
    ["a workspace: dependency", { dependencies: { mine: "workspace:*" } }, 'dependency "mine" in package.json dependencies is "workspace:*": workspace: specifiers are refused'],
    ["a portal: dependency", { optionalDependencies: { p: "portal:/etc" } }, 'dependency "p" in package.json optionalDependencies is "portal:/etc": portal: specifiers are refused'],
    ["an absolute path", { peerDependencies: { abs: "%OUT%" } }, 'dependency "abs" in package.json peerDependencies is "%OUT%": absolute paths are refused'],
    ["a relative path out of the app", { dependencies: { rel: "../../secrets" } }, 'dependency "rel" in package.json dependencies is "../../secrets": relative paths are refused'],
    ["a git+file: URL", { dependencies: { g: "git+file:///root/repo" } }, 'dependency "g" in package.json dependencies is "git+file:///root/repo": file: specifiers are refused'],
    ["a nested override", { overrides: { a: { b: "file:../x" } } }, 'dependency "a > b" in package.json overrides is "file:../x": file: specifiers are refused'],
  ];
  for (const [what, deps, reason] of cases) {
    it(`refuses ${what} with 400 naming it, and the outside files are untouched`, async () => {
      const before = [fingerprint(outside), fingerprint(secret)];
      const json = JSON.parse(JSON.stringify(deps).replaceAll("%OUT%", outside)) as Record<string, unknown>;
      const res = await deploy("probe", backend("refused", { "package.json": pkg(json) }));
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error).toContain(`archive refused: ${reason.replaceAll("%OUT%", outside)} (they reach files on the Core's machine)`);
      expect([fingerprint(outside), fingerprint(secret)]).toEqual(before);
      expect(await rpc("probe", "version")).toBe("v1");
      expect(existsSync(path.join(appDir(core.dataDir, "probe"), "node_modules"))).toBe(false);
    });
  }

  it("refuses a shipped bun.lock that pins a local path, and a binary bun.lockb", async () => {
    const lock = `{\n  "lockfileVersion": 1,\n  "workspaces": { "": { "name": "probe", "dependencies": { "stolen": "1.0.0" } } },\n  "packages": {\n    "stolen": ["stolen@file:${outside}", {}],\n  }\n}\n`;
    const res = await deploy("probe", backend("lock", { "package.json": pkg({ dependencies: { stolen: "1.0.0" } }), "bun.lock": lock }));
    expect(res).toMatchObject({ status: 400, body: { error: `archive refused: bun.lock pins \"stolen@file:${outside}\", a local path; local paths are refused (they reach files on the Core's machine)` } });
    const binary = await deploy("probe", backend("lockb", { "package.json": pkg({}), "bun.lockb": "\u0000binary" }));
    expect(binary.status).toBe(400);
    expect(binary.body.error).toMatch(/^archive refused: bun\.lockb \(the binary lockfile\) cannot be checked/);
  });
});

describe("the install is isolated", () => {
  it.runIf(asRoot)("even given a file: path, the install runs as the app's uid: it cannot read a root-only directory, and nothing outside changes", async () => {
    const tree = mkdtempSync(path.join(core.dataDir, "tmp", "slipped-"));
    writeFileSync(path.join(tree, "package.json"), pkg({ dependencies: { stolen: `file:${outside}` } }));
    const before = [fingerprint(outside), fingerprint(secret)];
    const report = await installIsolated(tree, { dataDir: core.dataDir, appId: "probe" });
    expect(report.ok, report.output).toBe(false);
    expect(report.output).toMatch(/EACCES|AccessDenied|Permission denied|PermissionDenied/i);
    expect(existsSync(path.join(tree, "node_modules", "stolen", "secret.txt"))).toBe(false);
    expect([fingerprint(outside), fingerprint(secret)]).toEqual(before);
    // The install directory went with the install.
    expect(readdirSync(installRoot(core.dataDir))).toEqual([]);
    rmSync(tree, { recursive: true, force: true });
  });

  it("ignores a shipped bunfig.toml and .npmrc: no registry or cache directory of theirs is used, and they are not deployed", async () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), "rootcx-bunfig-"));
    const bunCache = path.join(elsewhere, "bunfig-cache");
    const npmCache = path.join(elsewhere, "npmrc-cache");
    const bunfig = `[install]\nregistry = "http://127.0.0.1:9/"\nglobalDir = "${elsewhere}/global"\n[install.cache]\ndir = "${bunCache}"\n`;
    const npmrc = `registry=http://127.0.0.1:9/\ncache=${npmCache}\n`;
    // A dependency, so that a registry and a cache are needed (the public registry may be unreachable here).
    const res = await deploy("probe", backend("cfg", { "package.json": pkg({ dependencies: { "is-number": "7.0.0" } }), "bunfig.toml": bunfig, ".npmrc": npmrc }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.install.output).toMatch(/^ignored bunfig\.toml, \.npmrc shipped in the archive: the Core installs with its own settings/);
    expect(res.body.install.output).not.toContain("127.0.0.1:9");
    expect(readdirSync(elsewhere)).toEqual([]);
    for (const name of ["bunfig.toml", ".npmrc"]) expect(existsSync(path.join(appDir(core.dataDir, "probe"), name))).toBe(false);
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it("installs a real package with the copy backend: the Core's files, one link each, readable by the worker", async (ctx) => {
    const index = `import isNumber from "is-number";\ndeclare const serve: (h: unknown) => void;\nserve({ rpc: { check: () => isNumber("42") } });\n`;
    // A text lockfile as bun writes it for a registry package passes the lockfile check (and --frozen-lockfile).
    const lock = `{\n  "lockfileVersion": 1,\n  "workspaces": {\n    "": {\n      "name": "probe",\n      "dependencies": {\n        "is-number": "7.0.0",\n      },\n    },\n  },\n  "packages": {\n    "is-number": ["is-number@7.0.0", "", {}, "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng=="],\n  }\n}\n`;
    const res = await deploy("probe", filesTarGz({ "index.ts": index, "package.json": pkg({ dependencies: { "is-number": "7.0.0" } }), "bun.lock": lock }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (!res.body.install.ok && /ConnectionRefused|ENOTFOUND|getaddrinfo|network|Timeout/i.test(res.body.install.output)) ctx.skip();
    expect(res.body.install, res.body.install.output).toMatchObject({ ok: true });
    const file = path.join(appDir(core.dataDir, "probe"), "node_modules", "is-number", "index.js");
    const st = statSync(file);
    expect(st.nlink).toBe(1);
    expect(st.uid).toBe(process.getuid?.());
    expect(st.mode & 0o022).toBe(0);
    expect(await rpc("probe", "check")).toBe(true);
    if (asRoot) expect(st.uid).not.toBe(workerId(core.dataDir, "probe"));
  });
});

describe("the permission pass stays inside the app", () => {
  it("a file the archive hard-links is deployed as a file of its own; the supervisor's pass then changes nothing outside", async () => {
    const res = await deploy(
      "probe",
      rawTarGz([
        { name: "index.ts", body: `declare const serve: (h: unknown) => void;\nserve({ rpc: { version: () => "linked" } });\n` },
        { name: "data/a.txt", body: "shared" },
        { name: "data/b.txt", type: "1", linkname: "data/a.txt" },
      ]),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await rpc("probe", "version")).toBe("linked");
    for (const name of ["a.txt", "b.txt"]) expect(statSync(path.join(appDir(core.dataDir, "probe"), "data", name)).nlink, name).toBe(1);
  });

  it.runIf(asRoot)("a symlink the archive ships to an outside file is left alone: its target keeps its owner and mode", async () => {
    const target = path.join(outside, "target.txt");
    writeFileSync(target, "outside", { mode: 0o600 });
    const before = fingerprint(target);
    mkdirSync(path.join(outside, "sub"), { recursive: true });
    const res = await deploy(
      "probe",
      rawTarGz([
        { name: "index.ts", body: `declare const serve: (h: unknown) => void;\nserve({ rpc: { version: () => "sym" } });\n` },
        { name: "inside.txt", body: "x" },
        { name: "link.txt", type: "2", linkname: "inside.txt" },
      ]),
    );
    expect(res.status).toBe(200);
    expect(await rpc("probe", "version")).toBe("sym");
    expect(fingerprint(target)).toEqual(before);
  });
});
