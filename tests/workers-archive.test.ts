import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ARCHIVE_LIMITS, extractArchive } from "../src/server/workers/archive.ts";
import { appDir, deployArchiveDir } from "../src/server/workers/app-files.ts";
import { installApp, upload } from "./deploy-helpers.ts";
import { api, signUpAndIn, startTestCore, type Session, type TestCore } from "./harness.ts";
import { filesTarGz, rawTar, rawTarGz, type RawEntry } from "./tar-builder.ts";

/** A name no other run uses, so finding it anywhere outside the staging dir means it escaped. */
const evil = `rootcx-evil-${randomBytes(4).toString("hex")}`;

/** Every place an escaped entry of these archives would land: the work dir's parents, the run's tmp and /tmp. */
function escapedAnywhere(work: string): string[] {
  const places = [work, path.dirname(work), os.tmpdir(), "/tmp", "/"];
  return places.filter((dir) => existsSync(dir) && readdirSync(dir).some((n) => n.startsWith(evil)));
}

const hostile: { label: string; entries: RawEntry[]; reason: RegExp }[] = [
  { label: "a '..' entry", entries: [{ name: "ok.txt", body: "fine" }, { name: `../${evil}`, body: "x" }], reason: new RegExp(`entry "\\.\\./${evil}" contains a '\\.\\.' component`) },
  { label: "'..' deeper in the path", entries: [{ name: `a/b/../../../${evil}`, body: "x" }], reason: /contains a '\.\.' component/ },
  { label: "an absolute path", entries: [{ name: `/tmp/${evil}`, body: "x" }], reason: new RegExp(`entry "/tmp/${evil}" is an absolute path`) },
  {
    label: "a symlink to /etc and a file through it",
    entries: [{ name: "etc", type: "2", linkname: "/etc" }, { name: `etc/${evil}`, body: "x" }],
    reason: /symlink "etc" points outside the archive \("\/etc"\)/,
  },
  {
    label: "a relative symlink climbing out",
    entries: [{ name: "dir/up", type: "2", linkname: "../../.." }, { name: `dir/up/tmp/${evil}`, body: "x" }],
    reason: /symlink "dir\/up" points outside the archive \("\.\.\/\.\.\/\.\."\)/,
  },
  { label: "a hard link to /etc/passwd", entries: [{ name: "passwd", type: "1", linkname: "/etc/passwd" }], reason: /hard link "passwd" points outside the archive \("\/etc\/passwd"\)/ },
  { label: "a hard link climbing out", entries: [{ name: "pw", type: "1", linkname: "../../../../etc/passwd" }], reason: /hard link "pw" points outside the archive/ },
  { label: "a character device", entries: [{ name: "null", type: "3" }], reason: /entry "null" is a CharacterDevice entry; only files, directories and links are accepted/ },
  { label: "a block device", entries: [{ name: "sda", type: "4" }], reason: /entry "sda" is a BlockDevice entry/ },
  { label: "a FIFO", entries: [{ name: "pipe", type: "6" }], reason: /entry "pipe" is a FIFO entry/ },
];

describe("archive extraction (direct)", () => {
  let work: string;
  let n = 0;
  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), "archive-test-"));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A fresh staging layout: work/case-N/{archive.tar.gz, stage/tree}. */
  function stage(archive: Buffer): { file: string; tree: string; caseDir: string } {
    const caseDir = path.join(work, `case-${++n}`);
    const tree = path.join(caseDir, "stage", "tree");
    mkdirSync(tree, { recursive: true });
    const file = path.join(caseDir, "archive.tar.gz");
    writeFileSync(file, archive);
    return { file, tree, caseDir };
  }

  it("extracts an ordinary archive with sane modes: no setuid, nothing writable by group or others", async () => {
    const { file, tree } = stage(
      rawTarGz([
        { name: "src", type: "5", mode: 0o777 },
        { name: "src/index.ts", body: "export {}", mode: 0o4777 },
        { name: "run.sh", body: "#!/bin/sh", mode: 0o775 },
        { name: "link", type: "2", linkname: "src/index.ts" },
        { name: "same", type: "1", linkname: "run.sh" },
      ]),
    );
    await expect(extractArchive(file, tree)).resolves.toEqual({ entries: 5, bytes: 18 });
    expect(readFileSync(path.join(tree, "src/index.ts"), "utf8")).toBe("export {}");
    expect(statSync(path.join(tree, "src/index.ts")).mode & 0o7777).toBe(0o755);
    expect(statSync(path.join(tree, "run.sh")).mode & 0o7777).toBe(0o755);
    expect(statSync(path.join(tree, "src")).mode & 0o7777).toBe(0o755);
    expect(lstatSync(path.join(tree, "link")).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(tree, "same"), "utf8")).toBe("#!/bin/sh");
  });

  for (const h of hostile) {
    it(`refuses ${h.label}, naming the entry, and writes nothing anywhere`, async () => {
      const { file, tree, caseDir } = stage(rawTarGz(h.entries));
      await expect(extractArchive(file, tree)).rejects.toThrow(h.reason);
      // Inspection reads the whole archive before extraction starts: not even the harmless entries are written.
      expect(readdirSync(tree)).toEqual([]);
      expect(readdirSync(path.dirname(tree))).toEqual(["tree"]);
      expect(readdirSync(caseDir).sort()).toEqual(["archive.tar.gz", "stage"]);
      expect(escapedAnywhere(caseDir)).toEqual([]);
    });
  }

  it("refuses more entries than the bound (a 20 001-file archive)", async () => {
    const many = Array.from({ length: 20_001 }, (_, i) => ({ name: `f/${i}`, body: "" }));
    const { file, tree } = stage(rawTarGz(many));
    await expect(extractArchive(file, tree)).rejects.toThrow("archive refused: more than 20000 entries");
    expect(readdirSync(tree)).toEqual([]);
  });

  it("refuses an expansion bomb by counting the bytes, whatever the headers say", async () => {
    // The bound is lowered so the test stays fast; the counting is the same at the default 500 MiB.
    const limits = { maxEntries: 20_000, maxBytes: 16 * 1024 * 1024 };
    const size = 64 * 1024 * 1024;
    // 64 MiB of zeros compress to well under 1 MiB: one entry declaring all of it.
    const bomb = gzipSync(Buffer.concat([rawTar([{ name: "zeros", size }]).subarray(0, 512), Buffer.alloc(size), Buffer.alloc(1024)]));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const { file, tree } = stage(bomb);
    await expect(extractArchive(file, tree, limits)).rejects.toThrow("archive refused: expands to more than 16 MiB");
    expect(readdirSync(tree)).toEqual([]);

    // Many entries, each small, adding up past the bound.
    const spread = gzipSync(rawTar(Array.from({ length: 20 }, (_, i) => ({ name: `part${i}`, body: Buffer.alloc(1024 * 1024) }))));
    const second = stage(spread);
    await expect(extractArchive(second.file, second.tree, limits)).rejects.toThrow("archive refused: expands to more than 16 MiB");
    expect(readdirSync(second.tree)).toEqual([]);

    // Zeros after the end of the tar: the decompressed stream itself is bounded, not only the entries.
    const trailing = gzipSync(Buffer.concat([rawTar([{ name: "small", body: "x" }]), Buffer.alloc(size)]));
    const third = stage(trailing);
    await expect(extractArchive(third.file, third.tree, limits)).rejects.toThrow("archive refused: it holds data after the end of the tar archive");
  });

  it("bounds at 20 000 entries and 500 MiB by default", () => {
    expect(DEFAULT_ARCHIVE_LIMITS).toEqual({ maxEntries: 20_000, maxBytes: 500 * 1024 * 1024 });
  });

  it("refuses what is not a gzip-compressed tar: plain text, a plain tar, gzip of garbage, a truncated gzip", async () => {
    const cases: [Buffer, RegExp][] = [
      [Buffer.from("hello"), /not a gzip-compressed tar/],
      [rawTar([{ name: "a", body: "b" }]), /not a gzip-compressed tar/],
      [gzipSync(Buffer.from("not a tar at all, ".repeat(100))), /not a valid tar archive/],
      [filesTarGz({ "a.txt": "x".repeat(5000) }).subarray(0, 40), /not a valid (gzip stream|tar archive)/],
    ];
    for (const [bytes, reason] of cases) {
      const { file, tree } = stage(bytes);
      await expect(extractArchive(file, tree)).rejects.toThrow(reason);
      expect(readdirSync(tree)).toEqual([]);
    }
  });

  it("refuses writing through a symlink the archive made, even one pointing inside", async () => {
    const { file, tree } = stage(rawTarGz([{ name: "d", type: "5" }, { name: "l", type: "2", linkname: "d" }, { name: "l/x", body: "x" }]));
    await expect(extractArchive(file, tree)).rejects.toThrow(/archive refused: .*symbolic link/);
  });
});

describe("hostile archives over REST", () => {
  let core: TestCore;
  let admin: Session;
  const appId = "archapp";

  beforeAll(async () => {
    core = await startTestCore();
    admin = await signUpAndIn(core, "admin@example.com");
    await installApp(core, appId, admin.accessToken);
    const index = `declare const serve: (h: unknown) => void;\nserve({ rpc: { version: () => "one" } });\n`;
    const first = await upload(core, `/api/v1/apps/${appId}/deploy`, filesTarGz({ "index.ts": index, "README.md": "version one", "lib/data.txt": "v1" }), admin.accessToken);
    expect(first.status).toBe(200);
  }, 60_000);
  afterAll(async () => core?.dispose());

  for (const h of hostile) {
    it(`refuses ${h.label} with its reason and leaves the previous deployment untouched`, async () => {
      const before = readdirSync(deployArchiveDir(core.dataDir, appId)).sort();
      const res = await upload(core, `/api/v1/apps/${appId}/deploy`, rawTarGz(h.entries), admin.accessToken);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(h.reason);
      expect(readFileSync(path.join(appDir(core.dataDir, appId), "README.md"), "utf8")).toBe("version one");
      expect(readdirSync(appDir(core.dataDir, appId)).sort()).toEqual(["README.md", "index.ts", "lib"]);
      // The worker of the previous deployment still answers.
      expect((await api(core, "POST", `/api/v1/apps/${appId}/rpc`, { method: "version" }, admin.accessToken)).body).toBe("one");
      expect(readdirSync(deployArchiveDir(core.dataDir, appId)).sort()).toEqual(before);
      expect(escapedAnywhere(path.join(core.dataDir, "tmp", "staging"))).toEqual([]);
      expect(existsSync(path.join(core.dataDir, evil))).toBe(false);
      // Staging and upload leftovers are cleaned up after a refusal.
      expect(readdirSync(path.join(core.dataDir, "tmp", "staging"))).toEqual([]);
      expect(readdirSync(path.join(core.dataDir, "tmp", "uploads"))).toEqual([]);
      const history = await api(core, "GET", `/api/v1/apps/${appId}/deploy/history`, undefined, admin.accessToken);
      expect(history.body).toHaveLength(1);
    });
  }

  it("keeps the data directory's config/ out of reach of a frontend archive too", async () => {
    const res = await upload(core, `/api/v1/apps/${appId}/frontend`, rawTarGz([{ name: "../../config/jwt.key", body: "overwritten" }]), admin.accessToken);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/entry "\.\.\/\.\.\/config\/jwt\.key" contains a '\.\.' component/);
    const config = path.join(core.dataDir, "config");
    if (existsSync(config)) for (const name of readdirSync(config)) expect(readFileSync(path.join(config, name), "utf8")).not.toBe("overwritten");
  });
});
