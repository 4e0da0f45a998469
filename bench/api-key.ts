import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../src/server/db/embedded.ts";
import { CONNECTIONS, cpuSeconds, loadRun, mean, median, removeOnFailure, ROUNDS, startProcess, type Row } from "./lib.ts";

const PASSWORD = "Bench-Password-2026";

async function post(url: string, body: unknown, token?: string): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * Authenticated GET /auth/me with a service account's API key against the same with a person's JWT, on one Core
 * in one run: each round measures both back to back, and the ratio is the median of the rounds' ratios
 * (throughput on this machine drifts between runs). Goal: the key costs no more than 10% over the JWT. The Core's
 * CPU time per request is reported too: it moves less than throughput when other work shares the machine.
 */
export async function apiKeyBench(): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-bench-api-key-"));
  const core = await removeOnFailure(dataDir, startProcess(["--import", "tsx", "bench/auth-server.ts"], { ROOTCX_DATA_DIR: dataDir }, await freePort()));
  try {
    const api = `${core.url}/api/v1`;
    await post(`${api}/auth/register`, { email: "bench@bench.local", password: PASSWORD });
    const { accessToken } = (await post(`${api}/auth/login`, { email: "bench@bench.local", password: PASSWORD })) as { accessToken: string };
    const { id } = (await post(`${api}/service-accounts`, { slug: "bench" }, accessToken)) as { id: string };
    const { key } = (await post(`${api}/service-accounts/${id}/credentials`, { name: "bench" }, accessToken)) as { key: string };

    const pid = core.child.pid!;
    const jwts: { rps: number; cpuUs: number }[] = [];
    const keys: { rps: number; cpuUs: number }[] = [];
    const measure = async (token: string) => {
      let cpuBefore = 0;
      const result = await loadRun({ url: `${api}/auth/me`, headers: { authorization: `Bearer ${token}` } }, () => (cpuBefore = cpuSeconds(pid)));
      return { rps: result.requests.average, cpuUs: ((cpuSeconds(pid) - cpuBefore) / result.requests.total) * 1e6 };
    };
    for (let r = 0; r < ROUNDS; r++) {
      // Alternating which goes first cancels a machine that speeds up or slows down within a round.
      if (r % 2 === 0) {
        jwts.push(await measure(accessToken));
        keys.push(await measure(key));
      } else {
        keys.push(await measure(key));
        jwts.push(await measure(accessToken));
      }
    }
    const ratio = median(keys.map((k, i) => k.rps / jwts[i]!.rps));
    const cpuRatio = median(keys.map((k, i) => jwts[i]!.cpuUs / k.cpuUs));
    const cpuKey = mean(keys.map((k) => k.cpuUs));
    const cpuJwt = mean(jwts.map((j) => j.cpuUs));
    return [
      {
        metric: `GET /auth/me with an API key req/s (${CONNECTIONS} conns)`,
        value: mean(keys.map((k) => k.rps)).toFixed(0),
        baseline: `${mean(jwts.map((j) => j.rps)).toFixed(0)} (same with a JWT, same Core)`,
        ratio: `${ratio.toFixed(2)}× (median of ${ROUNDS} rounds)`,
        target: "≥ 0.90×",
        pass: ratio >= 0.9,
      },
      {
        metric: "Core CPU µs per GET /auth/me with an API key",
        value: cpuKey.toFixed(0),
        baseline: `${cpuJwt.toFixed(0)} (same with a JWT)`,
        ratio: `${cpuRatio.toFixed(2)}× (JWT CPU / key CPU, median)`,
        target: "≥ 0.90×",
        pass: cpuRatio >= 0.9,
      },
    ];
  } finally {
    await core.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
