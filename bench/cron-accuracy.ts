import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Cron } from "croner";
import pg from "pg";
import { freePort, startEmbeddedDatabase } from "../src/server/db/embedded.ts";
import { createLogger } from "../src/server/log.ts";
import { percentile, removeOnFailure, requestJson, ROOT, startProcess, type Row, type ServerProcess } from "./lib.ts";

/**
 * Schedule tick accuracy (issue 15): `BENCH_CRONS` crons of `1 seconds` run for `BENCH_CRON_SECONDS` on a Core (its
 * leader sleeping to each due instant), each tick enqueueing a no-op job on a Bun worker; lateness = fired_at −
 * scheduled_at of every tick, as the run rows record it. Baseline: croner's own in-process timer firing every second
 * in this process over the same period (no database, no transaction), i.e. what the timer alone costs.
 */

const APP = "cbench";
const CRONS = Number(process.env.BENCH_CRONS ?? 10);
const SECONDS = Number(process.env.BENCH_CRON_SECONDS ?? 30);
const TARGET_P99_MS = 100;

export async function cronAccuracyBench(): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-bench-crons-"));
  const db = await removeOnFailure(dataDir, startEmbeddedDatabase(dataDir, createLogger("warn")));
  let core: ServerProcess | undefined;
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    core = await startProcess(["--import", "tsx", "bench/auth-server.ts"], { ROOTCX_DATA_DIR: dataDir, DATABASE_URL: db.url }, await freePort());
    const credentials = { email: "admin@bench.local", password: "Bench-Password-2026" };
    await requestJson(core.url, "POST", "/api/v1/auth/register", credentials);
    const { accessToken } = (await requestJson(core.url, "POST", "/api/v1/auth/login", credentials)) as { accessToken: string };
    await requestJson(core.url, "POST", "/api/v1/apps", {
      appId: APP,
      name: "Cron bench",
      dataContract: [{ entityName: "run", fields: [{ name: "key", type: "text" }, { name: "phase", type: "text" }, { name: "pid", type: "number" }, { name: "who", type: "text" }] }],
    }, accessToken);
    cpSync(path.join(ROOT, "tests/fixtures/apps/jobs"), path.join(dataDir, "apps", APP), { recursive: true });

    const baseline: number[] = [];
    const timer = new Cron("* * * * * *", { mode: "6-part" }, () => {
      const now = Date.now();
      baseline.push(now - Math.floor(now / 1000) * 1000);
    });
    const ids: string[] = [];
    for (let i = 0; i < CRONS; i++) {
      const c = (await requestJson(core.url, "POST", `/api/v1/apps/${APP}/crons`, { name: `c${i}`, schedule: "1 seconds", overlapPolicy: "queue", payload: { noop: true } }, accessToken)) as { id: string };
      ids.push(c.id);
    }
    await sleep(SECONDS * 1000);
    timer.stop();
    for (const id of ids) await requestJson(core.url, "PATCH", `/api/v1/apps/${APP}/crons/${id}`, { enabled: false }, accessToken);

    const { rows } = await pool.query<{ lag: number; status: string }>(
      "SELECT extract(epoch FROM fired_at - scheduled_at) * 1000 AS lag, status FROM rootcx_system.cron_runs WHERE trigger = 'schedule'",
    );
    const lags = rows.filter((r) => r.status !== "missed" && r.status !== "skipped").map((r) => Number(r.lag));
    const lost = rows.length - lags.length;
    const p50 = percentile(lags, 50);
    const p99 = percentile(lags, 99);
    return [
      {
        metric: `cron tick lateness p50 (ms), ${CRONS} × "1 seconds" for ${SECONDS} s, ${lags.length} ticks`,
        value: p50.toFixed(2),
        baseline: `${percentile(baseline, 50).toFixed(2)} (croner's in-process timer, no database)`,
        ratio: "-",
        target: "report",
        pass: true,
      },
      {
        metric: "cron tick lateness p99 (ms)",
        value: p99.toFixed(2),
        baseline: `${percentile(baseline, 99).toFixed(2)} (croner's in-process timer, no database)`,
        ratio: "-",
        target: `< ${TARGET_P99_MS}`,
        pass: p99 < TARGET_P99_MS,
      },
      { metric: "cron ticks missed or skipped", value: String(lost), baseline: "0", ratio: "-", target: "0", pass: lost === 0 },
    ];
  } finally {
    await pool.end();
    await core?.stop();
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
