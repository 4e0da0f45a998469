import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type pg from "pg";
import type { Logger } from "pino";
import { withTransaction, type Queryable } from "../db/queryable.ts";
import { CoreError } from "../errors.ts";
import { recordAdminEvent } from "../governance/admin-events.ts";
import { CANARY_TEXT, canaryAad, open, seal, slotAad } from "./cipher.ts";

export const PLATFORM_SCOPE = "_platform";

/** The master key does not open this vault: the Core must not start (it would fail on every secret later). */
export class VaultKeyError extends Error {
  override name = "VaultKeyError";
}

export interface SecretValues {
  values: Record<string, string>;
  /** Keys whose value could not be decrypted (altered ciphertext, or a key version this Core lacks). */
  unreadable: string[];
}

export interface RotationResult {
  version: number;
  reencrypted: number;
  unreadable: number;
  keySource: "env" | "file";
  /** For an env-managed key: what the operator must do before the next restart. */
  action: string | null;
}

interface KeyRow {
  version: number;
  canary_nonce: Buffer;
  canary: Buffer;
  state: "active" | "next" | "retired";
}

const BATCH = 200;

function writeKeyFile(file: string, key: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, key.toString("hex"), { mode: 0o600 });
  renameSync(tmp, file);
}

function readKeyFile(file: string): Buffer | undefined {
  if (!existsSync(file)) return undefined;
  const hex = readFileSync(file, "utf8").trim();
  return /^[0-9a-fA-F]{64}$/.test(hex) ? Buffer.from(hex, "hex") : undefined;
}

/**
 * The secret vault. Values are sealed with AES-256-GCM under the key version they record; a rotation adds a
 * "next" version (its key saved to `config/master.key.next` first, so a crash never strands a secret),
 * re-encrypts row by row, then retires the old version.
 */
export class Vault {
  readonly #keys = new Map<number, Buffer>();
  #writeVersion: number;
  #rotating: Promise<RotationResult> | undefined;
  readonly #platformListeners: (() => Promise<number>)[] = [];
  readonly #appListeners: ((appId: string) => Promise<number>)[] = [];

  private constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
    private readonly keyDir: string,
    private readonly keySource: "env" | "file",
    keys: Map<number, Buffer>,
    writeVersion: number,
  ) {
    this.#keys = keys;
    this.#writeVersion = writeVersion;
  }

  /** Recognises the master key by the canaries, creating the first version on a new vault. */
  static async open(pool: pg.Pool, opts: { masterKey: Buffer; keySource: "env" | "file"; dataDir: string; log: Logger }): Promise<Vault> {
    const keyDir = path.join(opts.dataDir, "config");
    const { rows } = await pool.query<KeyRow>("SELECT version, canary_nonce, canary, state FROM rootcx_system.vault_keys ORDER BY version");
    if (rows.length === 0) {
      const { nonce, ciphertext } = seal(opts.masterKey, CANARY_TEXT, canaryAad(1));
      await pool.query("INSERT INTO rootcx_system.vault_keys (version, canary_nonce, canary, state) VALUES (1, $1, $2, 'active') ON CONFLICT DO NOTHING", [nonce, ciphertext]);
      return Vault.open(pool, opts);
    }
    const candidates = [opts.masterKey, readKeyFile(path.join(keyDir, "master.key.next"))].filter((k): k is Buffer => k !== undefined);
    const keys = new Map<number, Buffer>();
    for (const row of rows) {
      for (const key of candidates) {
        try {
          if (open(key, { nonce: row.canary_nonce, ciphertext: row.canary }, canaryAad(row.version)) === CANARY_TEXT) keys.set(row.version, key);
        } catch {
          /* not this key */
        }
      }
    }
    const active = rows.find((r) => r.state === "active");
    const next = rows.find((r) => r.state === "next");
    if (!active || !keys.has(active.version)) {
      throw new VaultKeyError(
        `ROOTCX_MASTER_KEY (or ${path.join(keyDir, "master.key")}) is not the key this vault was encrypted with: its canary does not decrypt. ` +
          "Start the Core with the original key; secrets cannot be read with another.",
      );
    }
    if (!keys.get(active.version)!.equals(opts.masterKey)) {
      opts.log.warn("the configured master key is retired; using the current key from config/master.key.next — set ROOTCX_MASTER_KEY to it");
    }
    const vault = new Vault(pool, opts.log, keyDir, opts.keySource, keys, next && keys.has(next.version) ? next.version : active.version);
    if (next && keys.has(next.version)) {
      opts.log.warn({ version: next.version }, "resuming an interrupted master key rotation");
      vault.#rotating = vault.#completeRotation(next.version).finally(() => (vault.#rotating = undefined));
      vault.#rotating.catch((err: unknown) => opts.log.error({ err }, "master key rotation failed"));
    }
    return vault;
  }

  /** Upserts a value, re-sealed with a new nonce on every write; in the caller's transaction when given one. */
  async set(appId: string, keyName: string, value: string, db: Queryable = this.pool): Promise<void> {
    const version = this.#writeVersion;
    const { nonce, ciphertext } = seal(this.#keys.get(version)!, value, slotAad(appId, keyName));
    await db.query(
      `INSERT INTO rootcx_system.secrets (app_id, key_name, nonce, ciphertext, key_version) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (app_id, key_name) DO UPDATE SET nonce = EXCLUDED.nonce, ciphertext = EXCLUDED.ciphertext,
         key_version = EXCLUDED.key_version, updated_at = now()`,
      [appId, keyName, nonce, ciphertext, version],
    );
  }

  async names(appId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ key_name: string }>("SELECT key_name FROM rootcx_system.secrets WHERE app_id = $1 ORDER BY key_name", [appId]);
    return rows.map((r) => r.key_name);
  }

  async delete(appId: string, keyName: string, db: Queryable = this.pool): Promise<boolean> {
    const { rowCount } = await db.query("DELETE FROM rootcx_system.secrets WHERE app_id = $1 AND key_name = $2", [appId, keyName]);
    return (rowCount ?? 0) > 0;
  }

  /** Every value of a scope, decrypted; a value that does not authenticate is reported, never thrown. */
  async values(appId: string): Promise<SecretValues> {
    const { rows } = await this.pool.query<{ key_name: string; nonce: Buffer; ciphertext: Buffer; key_version: number }>(
      "SELECT key_name, nonce, ciphertext, key_version FROM rootcx_system.secrets WHERE app_id = $1 ORDER BY key_name",
      [appId],
    );
    const out: SecretValues = { values: {}, unreadable: [] };
    for (const r of rows) {
      const key = this.#keys.get(r.key_version);
      try {
        if (!key) throw new Error("key version unavailable");
        out.values[r.key_name] = open(key, r, slotAad(appId, r.key_name));
      } catch {
        out.unreadable.push(r.key_name);
        this.log.error({ scope: appId, key: r.key_name, version: r.key_version }, "secret could not be decrypted (altered ciphertext or missing key version)");
      }
    }
    return out;
  }

  /** What a worker of `appId` receives: the platform secrets, overridden by the app's own of the same name. */
  async forWorker(appId: string): Promise<SecretValues> {
    const [platform, own] = await Promise.all([this.values(PLATFORM_SCOPE), this.values(appId)]);
    return { values: { ...platform.values, ...own.values }, unreadable: [...platform.unreadable, ...own.unreadable] };
  }

  /** The worker supervisor registers here; each listener restarts its workers and says how many. */
  onPlatformChange(listener: () => Promise<number>): void {
    this.#platformListeners.push(listener);
  }

  async platformChanged(): Promise<number> {
    const counts = await Promise.all(this.#platformListeners.map((l) => l()));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Likewise for one app's secrets: the listener restarts that app's workers and says how many. */
  onAppChange(listener: (appId: string) => Promise<number>): void {
    this.#appListeners.push(listener);
  }

  async appChanged(appId: string): Promise<number> {
    const counts = await Promise.all(this.#appListeners.map((l) => l(appId)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * Re-encrypts every secret under a new master key without stopping: the new key is saved first, new
   * writes use it at once, rows move in small transactions, and only then does the old version retire.
   */
  /**
   * `actor` signs the requester's claims into the transaction that activates the new key, where the rotation's
   * audit row is written (atomically with the switch).
   */
  rotate(newKey: Buffer = randomBytes(32), opts: { failAfterBatches?: number; actor?: (tx: pg.PoolClient) => Promise<void> } = {}): Promise<RotationResult> {
    if (this.#rotating) return Promise.reject(new CoreError("CONFLICT", "a master key rotation is already in progress"));
    this.#rotating = (async () => {
      writeKeyFile(path.join(this.keyDir, "master.key.next"), newKey);
      const version = await withTransaction(this.pool, async (tx) => {
        await tx.query("LOCK TABLE rootcx_system.vault_keys IN EXCLUSIVE MODE");
        const { rows } = await tx.query<{ v: number; next: number }>(
          "SELECT coalesce(max(version), 0) + 1 AS v, count(*) FILTER (WHERE state = 'next')::int AS next FROM rootcx_system.vault_keys",
        );
        if (rows[0]!.next > 0) throw new CoreError("CONFLICT", "a master key rotation is already in progress");
        const v = rows[0]!.v;
        const { nonce, ciphertext } = seal(newKey, CANARY_TEXT, canaryAad(v));
        await tx.query("INSERT INTO rootcx_system.vault_keys (version, canary_nonce, canary, state) VALUES ($1, $2, $3, 'next')", [v, nonce, ciphertext]);
        return v;
      });
      this.#keys.set(version, newKey);
      this.#writeVersion = version;
      return this.#completeRotation(version, opts.failAfterBatches, opts.actor);
    })().finally(() => (this.#rotating = undefined));
    return this.#rotating;
  }

  async #completeRotation(version: number, failAfterBatches?: number, actor?: (tx: pg.PoolClient) => Promise<void>): Promise<RotationResult> {
    const newKey = this.#keys.get(version)!;
    let reencrypted = 0;
    let unreadable = 0;
    let batches = 0;
    // Rows that will not decrypt stay behind; remembered so the next batch does not pick them again.
    const skippedApps: string[] = [];
    const skippedKeys: string[] = [];
    for (;;) {
      if (failAfterBatches !== undefined && batches >= failAfterBatches) throw new Error("rotation interrupted (test)");
      const moved = await withTransaction(this.pool, async (tx) => {
        const { rows } = await tx.query<{ app_id: string; key_name: string; nonce: Buffer; ciphertext: Buffer; key_version: number }>(
          `SELECT app_id, key_name, nonce, ciphertext, key_version FROM rootcx_system.secrets
            WHERE key_version <> $1 AND (app_id, key_name) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))
            ORDER BY app_id, key_name LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
          [version, skippedApps, skippedKeys],
        );
        for (const r of rows) {
          const aad = slotAad(r.app_id, r.key_name);
          let plain: string;
          try {
            plain = open(this.#keys.get(r.key_version) ?? Buffer.alloc(32), r, aad);
          } catch {
            unreadable++;
            skippedApps.push(r.app_id);
            skippedKeys.push(r.key_name);
            this.log.error({ scope: r.app_id, key: r.key_name }, "secret could not be decrypted during rotation; left as it is");
            continue;
          }
          const sealed = seal(newKey, plain, aad);
          await tx.query(
            "UPDATE rootcx_system.secrets SET nonce = $3, ciphertext = $4, key_version = $5, updated_at = now() WHERE app_id = $1 AND key_name = $2",
            [r.app_id, r.key_name, sealed.nonce, sealed.ciphertext, version],
          );
          reencrypted++;
        }
        return rows.length;
      });
      batches++;
      if (moved === 0) break;
    }
    await withTransaction(this.pool, async (tx) => {
      await tx.query("UPDATE rootcx_system.vault_keys SET state = 'retired' WHERE version <> $1", [version]);
      await tx.query("UPDATE rootcx_system.vault_keys SET state = 'active' WHERE version = $1", [version]);
      // A rotation resumed at boot has no requester: the row's actor is then empty.
      await actor?.(tx);
      await recordAdminEvent(tx, { action: "vault.rotate", target: String(version), after: { version, reencrypted, unreadable, resumed: !actor } });
    });
    for (const v of [...this.#keys.keys()]) if (v !== version) this.#keys.delete(v);
    let action: string | null = null;
    if (this.keySource === "file") {
      renameSync(path.join(this.keyDir, "master.key.next"), path.join(this.keyDir, "master.key"));
    } else {
      action = `set ROOTCX_MASTER_KEY to the key in ${path.join(this.keyDir, "master.key.next")} before the next restart, then delete that file`;
    }
    this.log.info({ version, reencrypted, unreadable }, "master key rotated");
    return { version, reencrypted, unreadable, keySource: this.keySource, action };
  }

}
