import { createHash, createHmac } from "node:crypto";
import pg from "pg";
import type { Logger } from "pino";
import type { Principal } from "../auth/principal.ts";
import { CoreError } from "../errors.ts";
import { PipelinedStatement, type PipelineStatement } from "./pipeline.ts";
import { leastRecentlyUsed } from "./recency.ts";

/** How long claims stay valid after the transaction opens (bounds any replay within the same backend). */
const CLAIMS_TTL_SECONDS = 300;
export const EXECUTOR_ROLE = "rootcx_app_executor";

/** What a governed transaction runs as (serialised by GovernedExecutor.sign). */
export interface Claims {
  uid: string;
  delegated: boolean;
  actor: string;
  delegator: string;
  trigger: string;
  pid: number;
  exp: number;
  /** The SHA-256 (hex) of the permission keys joined by commas, a row of rootcx_system.permission_sets; "" for none. */
  perms: string;
}

/** A user's permission keys: the array itself when they are already known (a cache hit), a promise otherwise. */
export type PermissionsOf = (userId: string) => readonly string[] | Promise<readonly string[]>;
const NO_PERMISSIONS: readonly string[] = Object.freeze([]);

/** Stores a permission set under its digest (idempotent); the executor's role may not write the table itself. */
export type PermissionSetWriter = (digest: string, keys: readonly string[]) => Promise<void>;
/** Digests remembered by key list; past this many distinct lists the memory starts over. */
const MAX_REMEMBERED_SETS = 10_000;
/** How long signed claims are reused for the same principal on the same backend (far inside CLAIMS_TTL_SECONDS). */
const CLAIMS_REUSE_MS = 60_000;
const MAX_REMEMBERED_CLAIMS = 10_000;
/** Statement texts with a name; each connection keeps at most PREPARED_PER_CONNECTION of them prepared. */
const NAMED_STATEMENTS = 1_000;

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

/** A pg pool's counters as /metrics reports them. */
export function poolStats(pool: pg.Pool): PoolStats {
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 };
}

/** Told of each governed transaction once it ends: which entry point ran it, whether it committed, how long it took. */
export type TransactionObserver = (kind: "run" | "one", committed: boolean, seconds: number) => void;

export interface GovernedOptions {
  /** Recorded as the audit row's trigger_ref: api, app_sql, collection, agent_tool… */
  trigger?: string;
  /** Delegated authority: a frozen permission list instead of the principal's live roles. */
  delegated?: { permissions: string[]; delegatorUid: string };
  /** statement_timeout in milliseconds (8 s for interactive work). */
  statementTimeoutMs?: number;
  readOnly?: boolean;
  /** An app's schema to resolve unqualified names in first (workers' own SQL); the Core's SQL qualifies its names. */
  searchPath?: string;
}

/**
 * The data plane's security boundary. Every read or write of app data runs through `run()`: one connection of
 * the gateway pool, a transaction whose claims carry a MAC only the Core can compute, then SET LOCAL ROLE to
 * the NOLOGIN, NOBYPASSRLS executor. From there PostgreSQL's row-level security decides.
 */
export class GovernedExecutor {
  readonly #pool: pg.Pool;
  readonly #key: Buffer;

  readonly #permissionsOf: PermissionsOf;
  readonly #writeSet: PermissionSetWriter;
  /** Digests of the sets already stored: by list identity (the principal cache hands out the same array), then by content. */
  readonly #setsByList = new WeakMap<readonly string[], string>();
  readonly #setsByText = new Map<string, string>();
  /** Signed claims by backend, principal, delegator, trigger and permission set, with when to stop reusing them. */
  readonly #signed = new Map<string, { claims: string; until: number }>();
  #observe: TransactionObserver | undefined;
  /** Statement names by text, the highest placeholder each text uses, and when each was last used (a tick of #uses; recency.ts). */
  readonly #statements = new Map<string, { name: string; placeholders: number; used: number }>();
  #nextName = 0;
  #uses = 0;

  constructor(opts: { gatewayUrl: string; claimsKeyHex: string; log: Logger; permissionsOf: PermissionsOf; writeSet: PermissionSetWriter; max?: number }) {
    this.#key = Buffer.from(opts.claimsKeyHex, "hex");
    this.#permissionsOf = opts.permissionsOf;
    this.#writeSet = opts.writeSet;
    this.#pool = new pg.Pool({ connectionString: opts.gatewayUrl, max: opts.max ?? 20, application_name: "rootcx-core-governed", connectionTimeoutMillis: 10_000,
      // A reconnect pays the gateway's password authentication; idle connections are kept through pauses in load.
      idleTimeoutMillis: 5 * 60_000 });
    this.#pool.on("error", (err) => opts.log.warn({ err: err.message }, "idle governed connection failed"));
  }

  /**
   * The value of `rootcx.claims` for one backend: "<HMAC-SHA256 hex>.<payload>" (see verified_claims in
   * migration 0004). Public for the tests that try to forge claims.
   */
  sign(c: Claims): { claims: string; mac: string } {
    const fields = [c.uid, c.delegated ? "1" : "0", c.actor, c.delegator, c.trigger, String(c.pid), String(c.exp), c.perms];
    if (fields.some((f) => f.includes("|"))) throw new CoreError("INTERNAL", "claims fields cannot contain |");
    const payload = fields.join("|");
    const mac = createHmac("sha256", this.#key).update(payload, "utf8").digest("hex");
    return { claims: `${mac}.${payload}`, mac };
  }

  /**
   * The digest that names `keys` in signed claims, after making sure the set is stored (once per distinct list
   * and process). Claims stay a few hundred bytes however many keys the principal holds. Public for the tests.
   */
  async permissionSet(keys: readonly string[]): Promise<string> {
    if (keys.length === 0) return "";
    const known = this.#setsByList.get(keys);
    if (known) return known;
    // Keys never contain commas (their alphabet is [a-z0-9_:.*]).
    const text = keys.join(",");
    let digest = this.#setsByText.get(text);
    if (!digest) {
      digest = createHash("sha256").update(text, "utf8").digest("hex");
      await this.#writeSet(digest, keys);
      if (this.#setsByText.size >= MAX_REMEMBERED_SETS) this.#setsByText.clear();
      this.#setsByText.set(text, digest);
    }
    this.#setsByList.set(keys, digest);
    return digest;
  }

  /**
   * The signed claims for one transaction on backend `pid`: who, with which permissions, until when. A string when
   * the principal's permissions and their set are already known (the usual request), a promise otherwise: the hot
   * path then does not wait on a promise for work that is already done.
   */
  #claimsFor(principal: Principal | null, opts: GovernedOptions, pid: number): string | Promise<string> {
    const perms = opts.delegated?.permissions ?? (principal ? this.#permissionsOf(principal.userId) : NO_PERMISSIONS);
    if (perms instanceof Promise) return perms.then((held) => this.#claimsWith(held, principal, opts, pid));
    return this.#claimsWith(perms, principal, opts, pid);
  }

  #claimsWith(perms: readonly string[], principal: Principal | null, opts: GovernedOptions, pid: number): string | Promise<string> {
    const digest = perms.length === 0 ? "" : this.#setsByList.get(perms);
    if (digest === undefined) return this.permissionSet(perms).then((stored) => this.#signFor(stored, principal, opts, pid));
    return this.#signFor(digest, principal, opts, pid);
  }

  #signFor(digest: string, principal: Principal | null, opts: GovernedOptions, pid: number): string {
    const uid = principal?.userId ?? "";
    const delegator = opts.delegated?.delegatorUid ?? "";
    const trigger = opts.trigger ?? "api";
    // The same principal on the same backend gets the same claims for a while: they are bound to that backend
    // and expire anyway, so reusing them grants nothing new, and spares an HMAC per transaction.
    const key = `${pid}|${uid}|${opts.delegated ? 1 : 0}|${delegator}|${trigger}|${digest}`;
    const now = Date.now();
    const reusable = this.#signed.get(key);
    if (reusable && reusable.until > now) return reusable.claims;
    const claims = this.sign({ uid, delegated: opts.delegated !== undefined, perms: digest, actor: uid, delegator, trigger, pid, exp: Math.floor(now / 1000) + CLAIMS_TTL_SECONDS }).claims;
    if (this.#signed.size >= MAX_REMEMBERED_CLAIMS) this.#signed.clear();
    this.#signed.set(key, { claims, until: now + CLAIMS_REUSE_MS });
    return claims;
  }

  /** Reports every transaction from now on to `observer` (metrics); the wait for a connection counts in its time. */
  instrument(observer: TransactionObserver): void {
    this.#observe = observer;
  }

  /** The governed pool's connections (open, idle, most allowed) and the callers waiting for one. */
  poolStats(): PoolStats {
    return poolStats(this.#pool);
  }

  async run<T>(principal: Principal | null, opts: GovernedOptions, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const observe = this.#observe;
    if (!observe) return this.#run(principal, opts, fn);
    const started = performance.now();
    let committed = false;
    try {
      const result = await this.#run(principal, opts, fn);
      committed = true;
      return result;
    } finally {
      observe("run", committed, (performance.now() - started) / 1000);
    }
  }

  async #run<T>(principal: Principal | null, opts: GovernedOptions, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    const pid = (client as unknown as { processID: number }).processID;
    let claims: string;
    try {
      const pending = this.#claimsFor(principal, opts, pid);
      claims = typeof pending === "string" ? pending : await pending;
    } catch (err) {
      client.release();
      throw err;
    }
    const timeout = Math.max(1, Math.floor(opts.statementTimeoutMs ?? 8_000));
    let open = false;
    try {
      // One round trip opens the transaction, sets the claims and drops to the executor.
      // idle_in_transaction_session_timeout: this transaction spans round trips, and must not hang forever.
      await client.query(`BEGIN${opts.readOnly ? " READ ONLY" : ""}; ${prelude(client, claims, timeout, opts.searchPath)}, set_config('idle_in_transaction_session_timeout', '30000', true)`);
      open = true;
      const result = await fn(client);
      await client.query("COMMIT");
      open = false;
      return result;
    } catch (err) {
      if (open) await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      // A connection whose transaction could not be closed cleanly is not handed to the next principal.
      client.release(open ? new Error("governed transaction left open") : undefined);
    }
  }

  /**
   * One statement as a principal in a single round trip: the claims, the statement timeout and the role switch
   * (a prepared prelude), then the statement, prepared too, with its parameters bound as parameters — pipelined
   * with the extended protocol before one Sync (see PipelinedStatement). For the hot data paths, where round
   * trips set the cost. `$n` in `sql` are placeholders only (the Core's SQL never writes them inside literals).
   */
  async runOne<R extends pg.QueryResultRow>(principal: Principal | null, opts: GovernedOptions, sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    // One async function on the hot path (each level costs a promise and a microtask per request).
    const observe = this.#observe;
    const started = observe ? performance.now() : 0;
    let committed = false;
    try {
      const statement = this.#statement(sql, params);
      const client = await this.#pool.connect();
      let broken = false;
      try {
        const pid = (client as unknown as { processID: number }).processID;
        const pending = this.#claimsFor(principal, opts, pid);
        const prelude = this.#preludeStatement(opts, typeof pending === "string" ? pending : await pending);
        let result: pg.QueryResult<R>;
        try {
          result = await this.#send<R>(client, prelude, statement);
        } catch (err) {
          // A prepared statement whose table gained or lost columns under it (SELECT *) is refused before it runs,
          // and has been forgotten: prepared again, it answers with the table's new shape.
          if (!isStalePlan(err)) throw err;
          result = await this.#send<R>(client, prelude, statement);
        }
        committed = true;
        return result;
      } catch (err) {
        // The implicit transaction is rolled back by PostgreSQL; a connection that no longer answers is dropped.
        await client.query("SELECT 1").catch(() => {
          broken = true;
        });
        throw err;
      } finally {
        client.release(broken ? new Error("governed connection unusable") : undefined);
      }
    } finally {
      if (observe) observe("one", committed, (performance.now() - started) / 1000);
    }
  }

  #send<R extends pg.QueryResultRow>(client: pg.PoolClient, prelude: PipelineStatement, statement: PipelineStatement): Promise<pg.QueryResult<R>> {
    return new Promise((resolve, reject) => {
      client.query(new PipelinedStatement<R>(prelude, statement, (err, result) => (err ? reject(err) : resolve(result))));
    });
  }

  #statement(sql: string, params: unknown[]): PipelineStatement {
    let known = this.#statements.get(sql);
    if (known) {
      known.used = ++this.#uses;
    } else {
      let placeholders = 0;
      for (const m of sql.matchAll(/\$(\d+)/g)) placeholders = Math.max(placeholders, Number(m[1]));
      // A name is never reused for another text: a connection may still hold the statement an old name named.
      known = { name: `rcx_s${this.#nextName++}`, placeholders, used: ++this.#uses };
      if (this.#statements.size >= NAMED_STATEMENTS) this.#statements.delete(leastRecentlyUsed(this.#statements, usedOf)!);
      this.#statements.set(sql, known);
    }
    if (known.placeholders > params.length) throw new CoreError("INTERNAL", `placeholder $${known.placeholders} has no parameter`);
    return { name: known.name, text: sql, values: params.map(parameter) };
  }

  /** The prelude as a prepared statement: one text per shape of options, the claims and timeout as parameters. */
  #preludeStatement(opts: GovernedOptions, claims: string): PipelineStatement {
    const timeout = String(Math.max(1, Math.floor(opts.statementTimeoutMs ?? 8_000)));
    const path = opts.searchPath === undefined ? undefined : `${pg.escapeIdentifier(opts.searchPath)}, public, pg_temp`;
    const shape = `${opts.readOnly ? "r" : "w"}${path === undefined ? "" : "p"}`;
    // search_path is set before the role switch: the executor cannot call set_config itself. pg_temp named
    // last: it is otherwise searched first, before the app's own tables.
    const text = `SELECT set_config('rootcx.claims', $1, true), set_config('statement_timeout', $2, true)${path === undefined ? "" : ", set_config('search_path', $3, true)"}${
      opts.readOnly ? ", set_config('transaction_read_only', 'on', true)" : ""}, set_config('role', '${EXECUTOR_ROLE}', true)`;
    return { name: `rcx_prelude_${shape}`, text, values: path === undefined ? [claims, timeout] : [claims, timeout, path] };
  }

  async stop(): Promise<void> {
    await this.#pool.end().catch(() => undefined);
  }
}

/** Reads the gateway login and the claims key the migrations created, and opens the governed pool. */
export async function startGovernedExecutor(
  pool: pg.Pool,
  databaseUrl: string,
  log: Logger,
  permissionsOf: PermissionsOf,
): Promise<GovernedExecutor> {
  const { rows } = await pool.query<{ gateway: { role: string; password: string } | null; key: string | null }>(
    `SELECT (SELECT value FROM rootcx_system.config WHERE key = 'governance.gateway') AS gateway,
            (SELECT key FROM rootcx_system.claims_key WHERE id = 1) AS key`,
  );
  const row = rows[0];
  if (!row?.gateway || !row.key) throw new CoreError("INTERNAL", "governance is not initialised (missing gateway or claims key)");
  const url = new URL(databaseUrl);
  url.username = encodeURIComponent(row.gateway.role);
  url.password = encodeURIComponent(row.gateway.password);
  const writeSet: PermissionSetWriter = async (digest, keys) => {
    await pool.query("INSERT INTO rootcx_system.permission_sets (digest, keys) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING", [digest, keys]);
  };
  const executor = new GovernedExecutor({ gatewayUrl: url.toString(), claimsKeyHex: row.key, log, permissionsOf, writeSet });
  // Fail at boot, not on the first request, if the gateway cannot log in (pg_hba, CREATEROLE, …).
  await executor.run(null, { readOnly: true }, (c) => c.query("SELECT 1"));
  return executor;
}

const usedOf = (entry: { used: number }) => entry.used;

const isStalePlan = (err: unknown) =>
  err instanceof Error && (err as { code?: unknown }).code === "0A000" && err.message.includes("cached plan must not change result type");

/**
 * A parameter as the text PostgreSQL reads for it (typed by the statement's context, as an untyped literal
 * would be): NULL, the string itself, a number's decimal text, true/false, an ISO date, or JSON text for
 * objects and arrays.
 */
function parameter(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") {
    if (v.includes("\u0000")) throw new CoreError("BAD_REQUEST", "text cannot contain the NUL character");
    return v;
  }
  if (typeof v === "number" || typeof v === "bigint") {
    if (typeof v === "number" && !Number.isFinite(v)) throw new CoreError("BAD_REQUEST", "numbers must be finite");
    return String(v);
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

/**
 * Signed claims, statement timeout and the switch to the executor in one statement. `role` set through
 * set_config is SET LOCAL ROLE; the gateway may only become the executor.
 */
function prelude(client: pg.PoolClient, claims: string, timeoutMs: number, searchPath?: string): string {
  // search_path is set before the role switch: the executor cannot call set_config itself.
  // pg_temp named last: it is otherwise searched first, before the app's own tables.
  const path = searchPath === undefined ? "" : `set_config('search_path', ${client.escapeLiteral(`${client.escapeIdentifier(searchPath)}, public, pg_temp`)}, true), `;
  return `SELECT set_config('rootcx.claims', ${client.escapeLiteral(claims)}, true), set_config('statement_timeout', '${timeoutMs}', true),
    ${path}set_config('role', '${EXECUTOR_ROLE}', true)`;
}
