import { createHmac } from "node:crypto";
import pg from "pg";
import type { Logger } from "pino";
import type { Principal } from "../auth/principal.ts";
import { CoreError } from "../errors.ts";

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
  /** Comma-separated permission keys. */
  perms: string;
}

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

  readonly #permissionsOf: (userId: string) => Promise<string[]>;
  #observe: TransactionObserver | undefined;

  constructor(opts: { gatewayUrl: string; claimsKeyHex: string; log: Logger; permissionsOf: (userId: string) => Promise<string[]>; max?: number }) {
    this.#key = Buffer.from(opts.claimsKeyHex, "hex");
    this.#permissionsOf = opts.permissionsOf;
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

  /** The signed claims for one transaction on backend `pid`: who, with which permissions, until when. */
  async #claimsFor(principal: Principal | null, opts: GovernedOptions, pid: number): Promise<string> {
    const perms = opts.delegated?.permissions ?? (principal ? await this.#permissionsOf(principal.userId) : []);
    return this.sign({
      uid: principal?.userId ?? "",
      delegated: opts.delegated !== undefined,
      // One comma-separated string (keys cannot contain commas): the cheapest form for check_access to read.
      perms: perms.join(","),
      actor: principal?.userId ?? "",
      delegator: opts.delegated?.delegatorUid ?? "",
      trigger: opts.trigger ?? "api",
      pid,
      exp: Math.floor(Date.now() / 1000) + CLAIMS_TTL_SECONDS,
    }).claims;
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
      claims = await this.#claimsFor(principal, opts, pid);
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
   * One statement as a principal in a single round trip: the transaction, the claims, the role switch, the
   * statement and COMMIT travel as one simple-protocol message, with the parameters escaped as literals
   * (PostgreSQL types them from context). For the hot data paths, where round trips set the cost.
   */
  async runOne<R extends pg.QueryResultRow>(principal: Principal | null, opts: GovernedOptions, sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    const observe = this.#observe;
    if (!observe) return this.#runOne<R>(principal, opts, sql, params);
    const started = performance.now();
    let committed = false;
    try {
      const result = await this.#runOne<R>(principal, opts, sql, params);
      committed = true;
      return result;
    } finally {
      observe("one", committed, (performance.now() - started) / 1000);
    }
  }

  async #runOne<R extends pg.QueryResultRow>(principal: Principal | null, opts: GovernedOptions, sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      const pid = (client as unknown as { processID: number }).processID;
      const claims = await this.#claimsFor(principal, opts, pid);
      // The SQL is the Core's own, with $n only as placeholders (never inside its string literals).
      const statement = sql.replace(/\$(\d+)/g, (_m, n: string) => {
        if (Number(n) < 1 || Number(n) > params.length) throw new CoreError("INTERNAL", `placeholder $${n} has no parameter`);
        return literal(client, params[Number(n) - 1]);
      });
      const timeout = Math.max(1, Math.floor(opts.statementTimeoutMs ?? 8_000));
      // Without BEGIN/COMMIT, PostgreSQL runs a multi-statement simple query as one implicit transaction:
      // the transaction-local settings hold for the statement and vanish with it, commit or error.
      const results = (await client.query(
        `${opts.readOnly ? "SET TRANSACTION READ ONLY; " : ""}${prelude(client, claims, timeout, opts.searchPath)}; ${statement}`,
      )) as unknown as pg.QueryResult<R>[];
      return results[results.length - 1]!;
    } catch (err) {
      // The implicit transaction is rolled back by PostgreSQL; a connection that no longer answers is dropped.
      await client.query("SELECT 1").catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.release(broken ? new Error("governed connection unusable") : undefined);
    }
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
  permissionsOf: (userId: string) => Promise<string[]>,
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
  const executor = new GovernedExecutor({ gatewayUrl: url.toString(), claimsKeyHex: row.key, log, permissionsOf });
  // Fail at boot, not on the first request, if the gateway cannot log in (pg_hba, CREATEROLE, …).
  await executor.run(null, { readOnly: true }, (c) => c.query("SELECT 1"));
  return executor;
}

/** A parameter as an SQL literal: NULL, a quoted string (escaped), or JSON text for objects and arrays. */
function literal(client: pg.PoolClient, v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "string") {
    // The simple protocol sends the statement as a C string: a NUL would cut it short mid-literal.
    if (v.includes("\u0000")) throw new CoreError("BAD_REQUEST", "text cannot contain the NUL character");
    return client.escapeLiteral(v);
  }
  if (typeof v === "number" || typeof v === "bigint") {
    if (typeof v === "number" && !Number.isFinite(v)) throw new CoreError("BAD_REQUEST", "numbers must be finite");
    return client.escapeLiteral(String(v));
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof Date) return client.escapeLiteral(v.toISOString());
  return client.escapeLiteral(JSON.stringify(v));
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
