import pLimit, { type LimitFunction } from "p-limit";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { REPLY_TYPE } from "../../worker-host/protocol.ts";
import { z } from "zod";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError, formatZodError } from "../errors.ts";
import type { GovernedOptions } from "../governance/executor.ts";
import type { DataActor } from "../data/service.ts";
import { COLLECTION_OPS, collectionOp } from "./collection-ops.ts";
import type { WorkerDataContext, WorkerReply, WorkerRequest } from "./contracts.ts";
import { HeldTransaction } from "./held-transaction.ts";
import { principalOf } from "./identity.ts";
import { selfAction } from "./self-action.ts";
import { workerUploadUrl } from "../storage/worker-upload.ts";
import { refusal } from "./sql-guard.ts";
import { isPgError, runStatement, sqlErrorSentence, type SqlAnswer } from "./sql-run.ts";

/** Spec §4.4 limits; the test suite shortens the waits. */
export interface DataSessionLimits {
  /** A held transaction's wall time before it is rolled back (60 s). */
  txWallMs: number;
  /** How long a begin waits for one of the Core's held-transaction slots (then "too many open transactions"). */
  slotWaitMs: number;
  /** Statements per second per worker, sql_query and sql_exec together (100). */
  statementsPerSecond: number;
}

export const DEFAULT_LIMITS: DataSessionLimits = { txWallMs: 60_000, slotWaitMs: 2_000, statementsPerSecond: 100 };
const STATEMENT_TIMEOUT_MS = 8_000;
/**
 * Statements outside a held transaction that one worker, and all workers together, run at once. Each holds one
 * of the governed pool's 20 connections for up to 8 s: without a bound, one busy app (a worker may have 32
 * requests in flight) would starve the Data API. With the 8 held transactions, workers use at most 14 of 20.
 */
const PER_WORKER_STATEMENTS = 4;
const CORE_WIDE_STATEMENTS = 6;
const coreWideStatements = pLimit(CORE_WIDE_STATEMENTS);
/** A statement's text; far above any hand-written query, far below the 1 MiB IPC line. */
const MAX_SQL_CHARS = 256 * 1024;

const id = z.union([z.string().max(200), z.number()]);
const sql = z.string().max(MAX_SQL_CHARS, `the statement is longer than ${MAX_SQL_CHARS} characters`);
const params = z.array(z.unknown()).max(65_535).default([]);
const txId = z.string().max(200);
const messages = {
  sql_query: z.object({ id, sql, params }),
  sql_begin: z.object({ id }),
  sql_exec: z.object({ id, tx_id: txId, sql, params }),
  sql_commit: z.object({ id, tx_id: txId }),
  sql_rollback: z.object({ id, tx_id: txId }),
  collection_op: z.object({ id, op: z.enum(COLLECTION_OPS), entity: z.string().max(100), data: z.unknown().optional() }),
  self_action: z.object({ id, action: z.string().max(100), params: z.unknown().optional() }),
  storage_upload: z.object({ id, name: z.string().max(4096), content_type: z.string().max(1024), size: z.number().int().nonnegative() }),
} as const;
type MessageType = keyof typeof messages;

/** The reply type of each request (spec §4.1), the table the worker host matches replies with. */
const REPLY: Record<MessageType, string> = REPLY_TYPE;

const isMessageType = (t: string): t is MessageType => Object.hasOwn(messages, t);

/**
 * What the Core does when a worker asks for data (spec §4.2): one session per worker process, answering every
 * data-plane message as that worker's identity. Statements run through the governed executor (row-level
 * security decides), after the keyword guard and the per-worker rate limit; a held transaction lives in one
 * governed run until commit, rollback, its wall time, or the worker's exit.
 */
export class WorkerDataSession {
  readonly #limits: DataSessionLimits;
  readonly #rate: RateLimiterMemory;
  readonly #statements: LimitFunction = pLimit(PER_WORKER_STATEMENTS);
  #tx: HeldTransaction | undefined;
  /** A begin in progress: a second one is refused even before the first has its connection. */
  #opening = false;
  #closed = false;

  constructor(
    private readonly core: Core,
    private readonly ctx: WorkerDataContext,
    limits: Partial<DataSessionLimits> = {},
  ) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
    this.#rate = new RateLimiterMemory({ points: this.#limits.statementsPerSecond, duration: 1 });
  }

  /** Answers one request; never throws: every failure is the reply's `error` sentence. */
  async handle(msg: WorkerRequest): Promise<WorkerReply> {
    // The contract types `type` as a string; a worker's line may still carry anything there.
    const rawType = String(msg.type).slice(0, 64);
    const type = isMessageType(rawType) ? rawType : undefined;
    const replyType = type ? REPLY[type] : `${rawType}_result`;
    try {
      if (!type) throw new CoreError("BAD_REQUEST", `unknown message type: ${rawType}`);
      if (this.#closed) throw new CoreError("BAD_REQUEST", "the worker's data session is closed");
      const fields = await this.#dispatch(type, msg);
      return { type: replyType, id: msg.id, ...fields };
    } catch (err) {
      return { type: replyType, id: msg.id, error: this.#sentence(err) };
    }
  }

  /** The worker exited or crashed: its open transaction is rolled back at once. */
  async close(): Promise<void> {
    this.#closed = true;
    const tx = this.#tx;
    this.#tx = undefined;
    await tx?.rollback().catch(() => undefined);
  }

  async #dispatch(type: MessageType, raw: WorkerRequest): Promise<Record<string, unknown>> {
    switch (type) {
      case "sql_query": {
        const m = parse(messages.sql_query, raw);
        await this.#admit(m.sql);
        const { principal, opts } = this.#governed("app_sql");
        return { ...(await this.#bounded(() => this.core.governed.run(principal, opts, (client) => runStatement(client, m.sql, m.params)))) };
      }
      case "sql_begin":
        parse(messages.sql_begin, raw);
        return { tx_id: await this.#begin() };
      case "sql_exec": {
        const m = parse(messages.sql_exec, raw);
        const tx = this.#held(m.tx_id);
        await this.#admit(m.sql);
        const answer: SqlAnswer = await tx.exec(m.sql, m.params);
        return { ...answer };
      }
      case "sql_commit":
      case "sql_rollback": {
        const m = parse(messages[type], raw);
        const tx = this.#held(m.tx_id);
        this.#tx = undefined;
        if (type === "sql_commit") await tx.commit();
        else await tx.rollback();
        return {};
      }
      case "collection_op": {
        const m = parse(messages.collection_op, raw);
        return { result: await this.#bounded(() => collectionOp(this.core, this.ctx.appId, this.#actor(), m.op, m.entity, m.data)) };
      }
      case "self_action": {
        const m = parse(messages.self_action, raw);
        return { result: await selfAction(this.core, this.ctx, m.action, m.params) };
      }
      case "storage_upload": {
        const m = parse(messages.storage_upload, raw);
        return workerUploadUrl(this.core, this.ctx.appId, this.ctx.identity, m);
      }
    }
  }

  /** Runs `work` within this worker's and the Core's bounds on concurrent statements (waiting its turn). */
  #bounded<T>(work: () => Promise<T>): Promise<T> {
    return this.#statements(() => coreWideStatements(work));
  }

  /** The rate limit, then the keyword guard: a refused statement never reaches PostgreSQL. */
  async #admit(text: string): Promise<void> {
    try {
      await this.#rate.consume("statements");
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new CoreError("TOO_MANY_REQUESTS", `rate limit: ${this.#limits.statementsPerSecond} statements per second`);
      throw err;
    }
    const why = refusal(text);
    if (why) throw new CoreError("BAD_REQUEST", why);
  }

  async #begin(): Promise<string> {
    if (this.#opening || (this.#tx && !this.#tx.expired)) throw new CoreError("CONFLICT", "a transaction is already open");
    this.#opening = true;
    try {
      const { principal, opts } = this.#governed("app_tx");
      const tx = await HeldTransaction.open(this.core, principal, opts, { wallMs: this.#limits.txWallMs, slotWaitMs: this.#limits.slotWaitMs });
      // A worker that exited while its begin waited gets nothing held on its behalf.
      if (this.#closed) {
        await tx.rollback().catch(() => undefined);
        throw new CoreError("BAD_REQUEST", "the worker's data session is closed");
      }
      this.#tx = tx;
      return tx.id;
    } finally {
      this.#opening = false;
    }
  }

  /** The open (or expired) transaction named by `txId`. */
  #held(txId: string): HeldTransaction {
    const tx = this.#tx;
    if (!tx) throw new CoreError("BAD_REQUEST", "no open transaction");
    if (tx.id !== txId) throw new CoreError("BAD_REQUEST", "tx_id mismatch");
    return tx;
  }

  /** Spec §5: the worker's principal with its live or delegated permissions; system and anon run as nobody. */
  #governed(trigger: string): { principal: Principal | null; opts: GovernedOptions } {
    const identity = this.ctx.identity;
    const delegated = identity.kind === "user" ? identity.delegated : undefined;
    return {
      principal: principalOf(identity),
      opts: { trigger, statementTimeoutMs: STATEMENT_TIMEOUT_MS, searchPath: this.ctx.appId, ...(delegated ? { delegated } : {}) },
    };
  }

  /** The collection actor: the onStart bypass while it is armed on the lifecycle worker, else the governed identity. */
  #actor(): DataActor {
    if (this.ctx.identity.kind === "system" && this.ctx.bypassActive()) return { principal: null, trigger: "collection", bypass: this.core.db.pool };
    const { principal, opts } = this.#governed("collection");
    return { principal, trigger: "collection", ...(opts.delegated ? { delegated: opts.delegated } : {}) };
  }

  #sentence(err: unknown): string {
    if (err instanceof CoreError && err.code !== "INTERNAL") return err.message;
    if (isPgError(err)) return sqlErrorSentence(err);
    // Not the worker's doing: logged for the operator, told to the worker without internals.
    this.core.log.warn({ err, appId: this.ctx.appId }, "worker data request failed");
    return err instanceof CoreError ? err.message : "internal error";
  }
}

function parse<S extends z.ZodType>(schema: S, raw: WorkerRequest): z.infer<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw new CoreError("BAD_REQUEST", `malformed ${raw.type} message: ${formatZodError(result.error)}`);
  return result.data;
}
