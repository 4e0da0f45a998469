import { randomBytes } from "node:crypto";
import type pg from "pg";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import type { GovernedOptions } from "../governance/executor.ts";
import { runStatement, sqlErrorSentence, type SqlAnswer } from "./sql-run.ts";

/**
 * A counting semaphore with a bounded wait: held transactions keep a governed connection each, so at most a
 * few may be open at once across the Core (spec §4.4: 8, below the governed pool's 20), and a worker asking
 * for one more waits briefly, then hears why, instead of queueing forever.
 */
export class TransactionSlots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly max: number) {
    this.#free = max;
  }

  /** Resolves with the release function, or rejects after `waitMs` with "too many open transactions". */
  acquire(waitMs: number): Promise<() => void> {
    const release = () => {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(once(release));
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(once(release));
      };
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(grant), 1);
        reject(new CoreError("TOO_MANY_REQUESTS", `too many open transactions (at most ${this.max} across the Core); retry later`));
      }, waitMs);
      this.#waiting.push(grant);
    });
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}

const perCore = new WeakMap<Core, TransactionSlots>();

/** The Core's one semaphore of held transactions (one per Core object, so that test Cores do not share it). */
export function slotsOf(core: Core, max = 8): TransactionSlots {
  let slots = perCore.get(core);
  if (!slots) {
    slots = new TransactionSlots(max);
    perCore.set(core, slots);
  }
  return slots;
}

/** Thrown into the governed run to make it roll back; never reaches a caller. */
const ROLLBACK = Symbol("rollback");

/**
 * One worker transaction held open across IPC messages. It lives inside `core.governed.run`, whose callback
 * returns a promise that this object settles: resolved on commit, rejected on rollback, so the executor's
 * claims, role switch, COMMIT/ROLLBACK and connection hygiene are the same as for every other data path.
 */
export class HeldTransaction {
  readonly id = randomBytes(16).toString("hex");
  #client!: pg.PoolClient;
  #settle!: (commit: boolean) => void;
  #outcome!: Promise<void>;
  /** The first error that aborted it (PostgreSQL then refuses every later statement until the rollback). */
  #failure: string | undefined;
  #expired = false;
  #ended = false;
  #timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly wallMs: number,
    private readonly release: () => void,
  ) {}

  /** Opens the transaction as `principal` (null: deny-all), holding one of the Core's slots until it ends. */
  static async open(core: Core, principal: Principal | null, opts: GovernedOptions, limits: { wallMs: number; slotWaitMs: number }): Promise<HeldTransaction> {
    const release = await slotsOf(core).acquire(limits.slotWaitMs);
    const tx = new HeldTransaction(limits.wallMs, release);
    try {
      await tx.#start(core, principal, opts);
    } catch (err) {
      release();
      throw err;
    }
    return tx;
  }

  async #start(core: Core, principal: Principal | null, opts: GovernedOptions): Promise<void> {
    let ready!: (client: pg.PoolClient) => void;
    const clientReady = new Promise<pg.PoolClient>((resolve) => (ready = resolve));
    // A connection that dies while held (idle_in_transaction_session_timeout, a restart) emits 'error' on a
    // checked-out client, which would otherwise be an uncaught exception.
    const onLost = (err: Error) => {
      this.#failure ??= `the transaction's database connection was lost: ${err.message}`;
      this.#settle(false);
    };
    this.#outcome = core.governed
      .run(principal, opts, (client) => {
        this.#client = client;
        client.on("error", onLost);
        return new Promise<void>((resolve, reject) => {
          this.#settle = (commit) => (commit ? resolve() : reject(ROLLBACK));
          ready(client);
        });
      })
      .catch((err: unknown) => {
        if (err !== ROLLBACK) this.#failure ??= sqlErrorSentence(err);
      })
      .finally(() => {
        this.#ended = true;
        clearTimeout(this.#timer);
        this.#client?.removeListener("error", onLost);
        this.release();
      });
    // Either the transaction is open, or the run failed before calling back (connection, claims).
    await Promise.race([clientReady, this.#outcome.then(() => undefined)]);
    if (this.#ended) throw new CoreError("INTERNAL", this.#failure ?? "the transaction could not be opened");
    this.#timer = setTimeout(() => {
      this.#expired = true;
      this.#settle(false);
    }, this.wallMs);
    this.#timer.unref();
  }

  get expired(): boolean {
    return this.#expired;
  }

  #check(): void {
    if (this.#expired) throw new CoreError("BAD_REQUEST", `transaction expired (${this.wallMs / 1000} s)`);
    if (this.#failure) throw new CoreError("BAD_REQUEST", this.#failure);
    if (this.#ended) throw new CoreError("BAD_REQUEST", "no open transaction");
  }

  /**
   * One statement inside the transaction. Any failure of a statement that reached PostgreSQL aborts the whole
   * transaction (PostgreSQL's rule, which the Core's own row and size limits follow too): later statements
   * answer that first error, and commit rolls back.
   */
  async exec(sql: string, params: unknown[]): Promise<SqlAnswer> {
    this.#check();
    try {
      return await runStatement(this.#client, sql, params);
    } catch (err) {
      this.#failure ??= sqlErrorSentence(err);
      throw new CoreError("BAD_REQUEST", this.#failure);
    }
  }

  /** Commits, or rolls back and throws when the transaction had failed or expired. */
  async commit(): Promise<void> {
    if (this.#expired || this.#failure) {
      this.#settle(false);
      await this.#outcome;
      if (this.#expired) this.#check();
      throw new CoreError("BAD_REQUEST", `the transaction was rolled back: ${this.#failure}`);
    }
    this.#settle(true);
    await this.#outcome;
    if (this.#failure) throw new CoreError("BAD_REQUEST", `commit failed, the transaction was rolled back: ${this.#failure}`);
  }

  /** Rolls back; an expired transaction (already rolled back) says so. */
  async rollback(): Promise<void> {
    this.#settle(false);
    await this.#outcome;
    if (this.#expired) throw new CoreError("BAD_REQUEST", `transaction expired (${this.wallMs / 1000} s)`);
  }
}
