import pg from "pg";
import type { Logger } from "pino";
import { setTimeout as sleep } from "node:timers/promises";

export interface LeadershipOptions {
  databaseUrl: string;
  log: Logger;
  /** The statement that blocks until this session holds the lock (a session-level pg_advisory_lock). */
  lockSql: string;
  /**
   * Runs while this process leads, on the connection that holds the lock; must return once `lost` aborts (the
   * connection died, or stop() was called). Losing the connection releases the lock in PostgreSQL at once.
   */
  lead(client: pg.Client, lost: AbortSignal): Promise<void>;
  /** Cancels the lock wait of a standby's session on stop (pg_cancel_backend from another connection). */
  cancelBackend(pid: number): Promise<void>;
}

/** How long a standby waits on the lock per attempt; stop() cancels the wait, this only bounds a lost cancel. */
const LOCK_WAIT = "5s";
const RECONNECT_MS = 1_000;

/**
 * One leader per database: every Core keeps a dedicated connection waiting in `pg_advisory_lock`; PostgreSQL grants
 * it to one session. When the leader's process dies (even SIGKILL) its connection closes, its backend exits and the
 * lock passes to a waiting standby at once: no lease to expire, no polling interval. A leader whose connection
 * breaks stops leading before anything else (and reconnects as a standby).
 */
export class Leadership {
  readonly #opts: LeadershipOptions;
  #stopped = false;
  #leading = false;
  #client: pg.Client | undefined;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(opts: LeadershipOptions) {
    this.#opts = opts;
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    const client = this.#client;
    const pid = (client as unknown as { processID?: number } | undefined)?.processID;
    if (client && !this.#leading && pid) await this.#opts.cancelBackend(pid).catch(() => undefined);
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const client = new pg.Client({ connectionString: this.#opts.databaseUrl, application_name: "rootcx-cron-leader", keepAlive: true });
      const abort = new AbortController();
      this.#abort = abort;
      const lose = (err?: Error) => {
        if (!abort.signal.aborted) abort.abort(err ?? new Error("the leader connection ended"));
      };
      client.on("error", lose);
      client.on("end", () => lose());
      this.#client = client;
      try {
        await client.connect();
        await client.query(`SET lock_timeout = '${LOCK_WAIT}'`);
        while (!this.#stopped && !abort.signal.aborted) {
          try {
            await client.query(this.#opts.lockSql);
            break;
          } catch (err) {
            // 55P03: the wait timed out (another Core leads); 57014: stop() cancelled it.
            const code = (err as { code?: string }).code;
            if (code !== "55P03" && code !== "57014") throw err;
          }
        }
        if (!this.#stopped && !abort.signal.aborted) {
          await client.query("RESET lock_timeout");
          this.#leading = true;
          this.#opts.log.info("this Core leads the scheduler");
          await this.#opts.lead(client, abort.signal);
        }
      } catch (err) {
        if (!this.#stopped) this.#opts.log.warn({ err: (err as Error).message }, "the scheduler's leader connection failed; retrying");
      } finally {
        if (this.#leading) this.#opts.log.info("this Core no longer leads the scheduler");
        this.#leading = false;
        this.#client = undefined;
        lose();
        await client.end().catch(() => undefined);
      }
      if (!this.#stopped) await sleep(RECONNECT_MS);
    }
  }
}
