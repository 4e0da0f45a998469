import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startCore } from "../src/server/boot.ts";
import { createLogger } from "../src/server/log.ts";
import { open, seal, slotAad } from "../src/server/vault/cipher.ts";
import { DURATION_S, opsPerSecond, removeOnFailure, type Row } from "./lib.ts";

/** Secret writes and reads through the vault (service layer, PostgreSQL included) against raw AES-256-GCM. */
export async function vaultBench(): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "rootcx-bench-vault-"));
  const running = await removeOnFailure(dataDir, startCore({ studio: false, logger: createLogger("warn"), env: { ROOTCX_DATA_DIR: dataDir, PORT: "0" } }));
  try {
    const vault = running.core.vault;
    const key = randomBytes(32);
    const value = randomBytes(48).toString("base64");
    const aad = slotAad("bench", "KEY");
    const sealed = seal(key, value, aad);
    const rawSeal = await opsPerSecond(() => seal(key, value, aad), 2, 1);
    const rawOpen = await opsPerSecond(() => open(key, sealed, aad), 2, 1);
    for (let i = 0; i < 20; i++) await vault.set("bench", `K${i}`, value);
    const sets = await opsPerSecond((i) => vault.set("bench", `K${i % 20}`, value), DURATION_S, 8);
    const reads = await opsPerSecond(() => vault.forWorker("bench"), DURATION_S, 8);
    return [
      { metric: "secret set through the vault (8 callers)", value: `${sets.toFixed(0)}/s`, baseline: `${rawSeal.toFixed(0)}/s (raw AES-256-GCM seal)`, ratio: `${(sets / rawSeal).toFixed(3)}×`, target: "reported", pass: true },
      { metric: "worker delivery read, 20 app + platform secrets (8 callers)", value: `${reads.toFixed(0)}/s (${((reads * 20) | 0)} values/s)`, baseline: `${rawOpen.toFixed(0)}/s (raw AES-256-GCM open)`, ratio: `${((reads * 20) / rawOpen).toFixed(3)}× per value`, target: "reported", pass: true },
    ];
  } finally {
    await running.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
