import { LRUCache } from "lru-cache";
import type { AuthChangeSubscriber } from "../auth/principal-directory.ts";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { hashKey, keyPrefix, sameHash, wellFormedKey } from "./keys.ts";
import * as sql from "./sql.ts";

/** As long as the principal directory keeps an answer: a change that NOTIFY somehow missed is seen within this. */
const TTL_MS = 10_000;
/** A key's last use is written at most this often per process (and per minute in SQL across processes). */
const TOUCH_EVERY_MS = 60_000;

interface KeyEntry {
  credentialId: string;
  userId: string;
  expiresAt: number;
  disabled: boolean;
  principal: Principal;
}

const invalidKey = () => new CoreError("UNAUTHORIZED", "invalid API key");

/**
 * Turns an API key into its service account's principal. Known keys are cached for a few seconds, and only while
 * the principal directory's LISTEN connection is up; every change to an account (a key deleted, the account
 * disabled or deleted) NOTIFYs `rootcx_auth` with `user:<id>`, which every Core process hears, so the next request
 * is refused everywhere. Unknown keys are never cached (a flood of forged keys cannot fill memory).
 */
export class CredentialDirectory implements AuthChangeSubscriber {
  readonly #byKey = new LRUCache<string, { entry: KeyEntry; at: number }>({ max: 10_000 });
  readonly #touched = new LRUCache<string, number>({ max: 10_000 });
  #epoch = 0;

  constructor(private readonly core: Core) {
    core.auth.principals.subscribe(this);
  }

  /** Any change to the account (disabled, deleted, a key made or deleted) drops all its keys. */
  changed(kind: string, id: string): void {
    if (kind !== "user") return;
    this.#epoch++;
    for (const [k, { entry }] of this.#byKey.entries()) if (entry.userId === id) this.#byKey.delete(k);
  }

  reset(): void {
    this.#epoch++;
    this.#byKey.clear();
  }

  async authenticate(key: string): Promise<Principal> {
    return (await this.resolve(key)).principal;
  }

  /** The key's account, the key's id and when it expires; 401 for an unknown or expired key or a disabled account. */
  async resolve(key: string): Promise<{ principal: Principal; credentialId: string; expiresAt: number }> {
    if (!wellFormedKey(key)) throw invalidKey();
    const entry = await this.#find(key);
    if (!entry) throw invalidKey();
    if (entry.expiresAt <= Date.now()) throw new CoreError("UNAUTHORIZED", "API key expired");
    if (entry.disabled) throw new CoreError("UNAUTHORIZED", "service account disabled");
    this.#touch(entry.credentialId);
    return entry;
  }

  /** Why a key that authenticated earlier no longer does, or null; read from the database, not the cache. */
  async recheck(credentialId: string): Promise<string | null> {
    const state = await sql.credentialState(this.core.db.pool, credentialId);
    if (!state) return "invalid API key";
    if (state.expired) return "API key expired";
    if (state.disabled) return "service account disabled";
    return null;
  }

  async #find(key: string): Promise<KeyEntry | undefined> {
    // Keyed by the key's own text, as the token cache keys verified JWTs: hashing it on every request cost about
    // a tenth of an authenticated request (bench/api-key.ts). A hash-table lookup leaks no usable timing (only a
    // bucket collision compares text, and a 256-bit key cannot be approached that way); the database path below,
    // which decides, compares digests in constant time. Entries live 10 s at most, and keys arrive in every request.
    const cacheKey = key;
    const listening = this.core.auth.principals.listening;
    const cached = listening ? this.#byKey.get(cacheKey) : undefined;
    if (cached && Date.now() - cached.at < TTL_MS) return cached.entry;
    const epoch = this.#epoch;
    const at = Date.now();
    const hash = hashKey(key);
    const row = (await sql.credentialsByPrefix(this.core.db.pool, keyPrefix(key))).find((r) => sameHash(r.key_hash, hash));
    if (!row) return undefined;
    const entry: KeyEntry = {
      credentialId: row.id,
      userId: row.user_id,
      expiresAt: row.expires_at.getTime(),
      disabled: row.disabled,
      principal: {
        userId: row.user_id,
        email: row.email,
        sessionId: undefined,
        displayName: row.display_name,
        createdAt: row.created_at,
        kind: "service",
        credentialId: row.id,
        expiresAt: row.expires_at.getTime(),
      },
    };
    // A change that committed while the read was in flight bumped the epoch: its answer may be stale.
    if (listening && this.core.auth.principals.listening && epoch === this.#epoch) this.#byKey.set(cacheKey, { entry, at });
    return entry;
  }

  /** Records the key's use without a write per request. */
  #touch(credentialId: string): void {
    const now = Date.now();
    if (now - (this.#touched.get(credentialId) ?? 0) < TOUCH_EVERY_MS) return;
    this.#touched.set(credentialId, now);
    sql.touchCredential(this.core.db.pool, credentialId).catch((err: Error) => {
      this.core.log.warn({ err: err.message, credentialId }, "could not record an API key's last use");
    });
  }
}

const directories = new WeakMap<Core["auth"], CredentialDirectory>();

/** The Core's one credential directory, made on first use and subscribed to its principal directory. */
export function credentialDirectory(core: Core): CredentialDirectory {
  let d = directories.get(core.auth);
  if (!d) {
    d = new CredentialDirectory(core);
    directories.set(core.auth, d);
  }
  return d;
}
