import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../src/server/db/embedded.ts";
import { load, mean, median, ROUNDS, CONNECTIONS, DURATION_S, rssMb, startProcess, type Row } from "./lib.ts";

/**
 * /health through the Core versus a bare node:http server; boot time with an empty and an existing data
 * directory; idle memory of the Core process.
 */
export async function foundationBench(): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-bench-"));
  const startCore = async () => startProcess(["--import", "tsx", "src/server/main.ts"], { ROOTCX_DATA_DIR: dataDir }, await freePort());
  const rows: Row[] = [];
  try {
    const first = await startCore();
    await first.stop();
    const warm: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await startCore();
      warm.push(s.bootMs);
      await s.stop();
    }
    const warmMs = median(warm);
    rows.push({ metric: "first boot to healthy (empty data dir)", value: `${(first.bootMs / 1000).toFixed(2)} s`, baseline: "", ratio: "", target: "≤ 15 s", pass: first.bootMs <= 15_000 });
    rows.push({ metric: "warm boot to healthy (median of 3)", value: `${(warmMs / 1000).toFixed(2)} s`, baseline: "", ratio: "", target: "≤ 3 s", pass: warmMs <= 3_000 });

    const core = await startCore();
    await fetch(`${core.url}/`); // the Studio's first render loads its code: count it in "idle"
    await sleep(3_000);
    const idleRss = rssMb(core.child.pid!);
    const bare = await startProcess(["--import", "tsx", "bench/bare-server.ts"], {}, await freePort());
    const ours: number[] = [];
    const base: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      base.push(await load({ url: `${bare.url}/health` }));
      ours.push(await load({ url: `${core.url}/health` }));
    }
    const ratio = mean(ours) / mean(base);
    rows.push({ metric: `/health req/s (${CONNECTIONS} conns, ${ROUNDS}×${DURATION_S}s)`, value: mean(ours).toFixed(0), baseline: `${mean(base).toFixed(0)} (bare node:http)`, ratio: `${ratio.toFixed(2)}×`, target: "≥ 0.80×", pass: ratio >= 0.8 });
    rows.push({ metric: "idle RSS of the Core process", value: `${idleRss.toFixed(0)} MB`, baseline: `${rssMb(bare.child.pid!).toFixed(0)} MB (bare node:http)`, ratio: "", target: "≤ 250 MB", pass: idleRss <= 250 });
    await bare.stop();
    await core.stop();
    return rows;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
