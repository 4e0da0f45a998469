import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedDatabase } from "../src/server/db/embedded.ts";
import { createLogger } from "../src/server/log.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A superuser URL of the PostgreSQL the tests use; each test file creates its own database in it. */
    pgAdminUrl: string;
  }
}

// tsx's compile cache (scripts run with `node --import tsx`) is kept and reused on purpose; it is no test's leftover.
const KEPT = /^tsx-\d+$/;

/**
 * One PostgreSQL for the whole run: TEST_DATABASE_URL if given, else an embedded cluster in a temp dir.
 * The run also gets a temporary directory of its own as TMPDIR, which the test workers inherit: whatever a test
 * leaves behind is found there at the end and fails the run, and other runs on the machine cannot interfere.
 */
export default async function setup(project: TestProject) {
  const runTmp = mkdtempSync(path.join(os.tmpdir(), "rootcx-test-run-"));
  process.env.TMPDIR = runTmp;
  let stopDatabase = async () => {};
  if (process.env.TEST_DATABASE_URL) {
    project.provide("pgAdminUrl", process.env.TEST_DATABASE_URL);
  } else {
    const dir = mkdtempSync(path.join(runTmp, "rootcx-test-pg-"));
    const db = await startEmbeddedDatabase(dir, createLogger("warn"));
    project.provide("pgAdminUrl", db.url);
    stopDatabase = async () => {
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  return async () => {
    await stopDatabase();
    const left = readdirSync(runTmp).filter((name) => !KEPT.test(name));
    rmSync(runTmp, { recursive: true, force: true });
    if (left.length > 0) {
      // Vitest only prints an error thrown here; the exit code is what makes the run fail.
      process.exitCode = 1;
      throw new Error(`the tests left temporary files behind in ${runTmp}: ${left.join(", ")}`);
    }
  };
}
