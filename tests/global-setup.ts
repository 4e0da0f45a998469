import { mkdtempSync, rmSync } from "node:fs";
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

/** One PostgreSQL for the whole run: TEST_DATABASE_URL if given, else an embedded cluster in a temp dir. */
export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide("pgAdminUrl", process.env.TEST_DATABASE_URL);
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "rootcx-test-pg-"));
  const db = await startEmbeddedDatabase(dir, createLogger("warn"));
  project.provide("pgAdminUrl", db.url);
  return async () => {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
