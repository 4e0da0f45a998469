import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import argon2 from "argon2";
import { ARGON2_CONCURRENCY } from "../src/server/auth/runtime.ts";
import { freePort } from "../src/server/db/embedded.ts";
import { CONNECTIONS, DURATION_S, load, mean, median, removeOnFailure, ROUNDS, startProcess, type Row } from "./lib.ts";

const PASSWORD = "Bench-Password-2026";
const ARGON2 = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** argon2id verifications per second at the Core's own concurrency, with nothing else running. */
async function bareArgon2Rate(seconds: number): Promise<number> {
  const hash = await argon2.hash(PASSWORD, ARGON2);
  let done = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      await argon2.verify(hash, PASSWORD);
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: ARGON2_CONCURRENCY }, worker));
  return done / ((performance.now() - started) / 1000);
}

/**
 * Logins per second against the bare argon2 verify rate (the HTTP, database and token work should add
 * under 10%), and authenticated GET /auth/me against /health of the same Core.
 */
export async function authBench(): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-bench-auth-"));
  const core = await removeOnFailure(dataDir, startProcess(["--import", "tsx", "bench/auth-server.ts"], { ROOTCX_DATA_DIR: dataDir }, await freePort()));
  try {
    const body = JSON.stringify({ email: "bench@bench.local", password: PASSWORD });
    const headers = { "content-type": "application/json" };
    await fetch(`${core.url}/api/v1/auth/register`, { method: "POST", headers, body });
    const login = (await (await fetch(`${core.url}/api/v1/auth/login`, { method: "POST", headers, body })).json()) as { accessToken: string };

    const bare = await bareArgon2Rate(DURATION_S);
    const logins = await load({ url: `${core.url}/api/v1/auth/login`, method: "POST", headers, body, connections: 8 });
    // Throughput on this machine drifts between runs: pair each /auth/me run with a /health run and take
    // the median of the rounds' ratios.
    const healths: number[] = [];
    const mes: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      healths.push(await load({ url: `${core.url}/health` }));
      mes.push(await load({ url: `${core.url}/api/v1/auth/me`, headers: { authorization: `Bearer ${login.accessToken}` } }));
    }
    const health = mean(healths);
    const me = mean(mes);
    const loginRatio = logins / bare;
    const meRatio = median(mes.map((m, i) => m / healths[i]!));
    return [
      { metric: "logins/s (8 conns)", value: logins.toFixed(1), baseline: `${bare.toFixed(1)} (bare argon2id verify, ${ARGON2_CONCURRENCY} at a time)`, ratio: `${loginRatio.toFixed(2)}×`, target: "≥ 0.90×", pass: loginRatio >= 0.9 },
      { metric: `GET /auth/me req/s (${CONNECTIONS} conns)`, value: me.toFixed(0), baseline: `${health.toFixed(0)} (/health, same Core)`, ratio: `${meRatio.toFixed(2)}× (median of rounds)`, target: "≥ 0.50×", pass: meRatio >= 0.5 },
    ];
  } finally {
    await core.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
