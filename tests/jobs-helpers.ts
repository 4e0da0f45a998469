import { cpSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { api, type Json, type Session } from "./harness.ts";
import { FIXTURES, waitFor } from "./workers-helpers.ts";

/** The jobs fixture app's manifest: its `run` table is where onJob records every run (tests/fixtures/apps/jobs). */
export function jobsManifest(appId: string) {
  return {
    appId,
    name: appId,
    version: "0.1.0",
    dataContract: [{ entityName: "run", fields: [{ name: "key", type: "text" }, { name: "phase", type: "text" }, { name: "pid", type: "number" }, { name: "who", type: "text" }] }],
  };
}

/** Installs the app and places the jobs fixture as its deployed backend under `dataDir` (several Cores: each one's). */
export async function installJobsApp(core: { url: string }, admin: Session, appId: string, dataDirs: string[]): Promise<void> {
  const res = await api(core, "POST", "/api/v1/apps", jobsManifest(appId), admin.accessToken);
  if (res.status !== 200) throw new Error(`install ${appId}: ${res.status} ${JSON.stringify(res.body)}`);
  for (const d of dataDirs) cpSync(path.join(FIXTURES, "jobs"), path.join(d, "apps", appId), { recursive: true });
}

export interface RunRow {
  key: string;
  phase: "start" | "end";
  pid: number;
  who: string;
  created_at: Date;
}

/** What onJob recorded, read as the database owner (past row-level security). */
export async function runs(pool: pg.Pool, appId: string, key?: string): Promise<RunRow[]> {
  const { rows } = await pool.query<RunRow>(
    `SELECT key, phase, pid::int AS pid, who, created_at FROM ${pg.escapeIdentifier(appId)}.run WHERE $1::text IS NULL OR key = $1 ORDER BY created_at, id`,
    [key ?? null],
  );
  return rows;
}

export const enqueue = (core: { url: string }, token: string, appId: string, body: unknown): Promise<Json> =>
  api(core, "POST", `/api/v1/apps/${appId}/jobs`, body, token);

export const getJob = (core: { url: string }, token: string, appId: string, msgId: string): Promise<Json> =>
  api(core, "GET", `/api/v1/apps/${appId}/jobs/${msgId}`, undefined, token);

/** Waits until the job reaches one of `states`; returns its REST shape. */
export async function waitState(core: { url: string }, token: string, appId: string, msgId: string, states: string[], timeoutMs = 20_000): Promise<Json["body"]> {
  return waitFor(`job ${msgId} to be ${states.join(" or ")}`, async () => {
    const r = await getJob(core, token, appId, msgId);
    return r.status === 200 && states.includes(r.body.state) ? r.body : undefined;
  }, timeoutMs);
}
