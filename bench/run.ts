/**
 * `npm run bench`: every suite, each number against a baseline measured in the same run. Prints one table and
 * writes bench/results/latest.json; exits non-zero when a target is missed. `npm run bench -- auth` runs one suite.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { apiKeyBench } from "./api-key.ts";
import { authBench } from "./auth.ts";
import { dataBench } from "./data.ts";
import { foundationBench } from "./foundation.ts";
import { governanceBench } from "./governance.ts";
import { jobsBench } from "./jobs.ts";
import { cronAccuracyBench } from "./cron-accuracy.ts";
import { metricsBench } from "./metrics.ts";
import { storageBench } from "./storage.ts";
import { vaultBench } from "./vault.ts";
import { workersBench } from "./workers.ts";
import { realtimeBench } from "./realtime.ts";
import { printTable, ROOT, type Row } from "./lib.ts";

const suites: Record<string, () => Promise<Row[]>> = { foundation: foundationBench, auth: authBench, governance: governanceBench, vault: vaultBench, data: dataBench, workers: workersBench, "api-key": apiKeyBench, metrics: metricsBench, storage: storageBench, realtime: realtimeBench, jobs: async () => [...(await jobsBench()), ...(await cronAccuracyBench())] };
const wanted = process.argv.slice(2).filter((a) => a in suites);
const rows: Row[] = [];
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.error(`running ${name}…`);
  rows.push(...(await run()));
}
printTable(rows);
mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
writeFileSync(path.join(ROOT, "bench/results/latest.json"), JSON.stringify({ at: new Date().toISOString(), cpus: os.cpus().length, rows }, null, 2));
if (rows.some((r) => !r.pass)) process.exitCode = 1;
