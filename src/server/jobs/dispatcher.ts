import { randomUUID } from "node:crypto";
import type { Core } from "../core.ts";
import { NotifyListener } from "../db/notify-listener.ts";
import { CoreError } from "../errors.ts";
import { JobFailedError, WorkerLostError } from "../workers/worker-process.ts";
import { retryDelayMs } from "./backoff.ts";
import type { JobsConfig } from "./config.ts";
import { JobOwners, jobTarget } from "./job-identity.ts";
import { claimJobs, completeJobs, expireLeases, extendLeases, failJob, nextDueInMs, notifyJobs, pruneArchived, releaseJob, type ClaimedJob, type Outcome } from "./queue-sql.ts";

/** What the Core holds of the queue (`core.jobs`): the dispatcher's life and a wake-up for enqueuers in this process. */
export interface JobsRuntime {
  start(): Promise<void>;
  /** Stops claiming; in-flight jobs get `graceMs` to finish, the rest are given back (claimable again at once). */
  stop(graceMs?: number): Promise<void>;
  /** Claim now (an enqueue in this process; other Cores hear NOTIFY rootcx_jobs). */
  wake(): void;
  /** This Core's in-flight jobs (for tests and the Studio). */
  inFlight(): number;
  /** Deletes done and cancelled jobs past the retention period now (it also runs hourly); says how many. */
  prune(): Promise<number>;
}

/** The NOTIFY channel enqueue_job signals (migration 0023). */
export const JOBS_CHANNEL = "rootcx_jobs";
/** Rows per retention DELETE and per lease-expiry UPDATE, so neither holds many locks for long. */
const BATCH = 500;
const RETENTION_EVERY_MS = 60 * 60 * 1000;
/** An app whose workers an administrator stopped: its jobs wait (unclaimed, uncounted) and are looked at again after this. */
const STOPPED_APP_RECHECK_MS = 10_000;
/** An app whose backend this Core does not have (deployed to another data directory): left to the Cores that do, looked at again after this. */
const NO_BACKEND_RECHECK_MS = 5_000;

interface Running {
  job: ClaimedJob;
  /** Set at shutdown: the job was given back, so its late outcome must not be written (the lease fences it anyway). */
  abandoned: boolean;
  settled: Promise<void>;
  /** The job's success on its way to the database, once its worker answered. */
  written?: Promise<void>;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The queue's dispatcher, one per Core process; several Cores share one database. New jobs wake every dispatcher at
 * once (LISTEN rootcx_jobs, through the shared NotifyListener); a poll every `pollMs` is the fallback and also moves
 * expired leases back. Claims are `FOR UPDATE SKIP LOCKED` with a lease token, limited per app and globally on this
 * Core. Leases of running jobs are extended while this Core lives, so a job outlives the visibility timeout only on a
 * live Core: a dead Core's or a crashed worker's job is claimable again once its lease runs out.
 */
export class JobDispatcher implements JobsRuntime {
  readonly #coreId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly #running = new Map<string, Running>();
  /** Jobs running on a worker, per app. */
  readonly #perApp = new Map<string, number>();
  /**
   * Claimed ahead (prefetch) and waiting for a slot, in claim order: a slot that frees takes the next one at once,
   * without a database round trip, while a claim refills the buffer. Leased like running jobs.
   */
  #buffered: ClaimedJob[] = [];
  /** Jobs running or buffered, per app. */
  readonly #claimedPerApp = new Map<string, number>();
  /** Apps whose workers an administrator stopped, or whose backend this Core lacks, until the time they are looked at again. */
  readonly #stoppedApps = new Map<string, number>();
  #listener: NotifyListener | undefined;
  #timers: NodeJS.Timeout[] = [];
  #dueTimer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  #owners: JobOwners | undefined;
  /** Successes waiting for the next flush: written together in one statement (a busy queue has many at once). */
  #completions: { msgId: string; lease: string; settle(outcome: Outcome | null): void; fail(err: unknown): void }[] = [];
  #flushing = false;
  /** Success writes still on their way: a job's slot is free once its worker answered, before its row says done. */
  readonly #writes = new Set<Promise<void>>();

  constructor(
    private readonly core: () => Core,
    private readonly config: JobsConfig,
  ) {}

  async start(): Promise<void> {
    this.#stopped = false;
    const { db, log, auth } = this.core();
    this.#owners ??= new JobOwners(db.pool, auth.principals);
    this.#listener = new NotifyListener(db.url, log, "jobs", { [JOBS_CHANNEL]: () => this.wake() }, () => this.wake());
    await this.#listener.start();
    const every = (ms: number, fn: () => Promise<unknown>, what: string) => {
      const t = setInterval(() => void fn().catch((err: unknown) => this.core().log.warn({ err }, `jobs: ${what} failed`)), ms);
      t.unref();
      this.#timers.push(t);
    };
    every(this.config.pollMs, async () => {
      await this.#expire();
      this.wake();
    }, "poll");
    every(Math.max(100, Math.floor(this.config.visibilityMs / 3)), () => this.#heartbeat(), "lease extension");
    every(RETENTION_EVERY_MS, () => this.prune(), "retention");
    // Leases that ran out while no Core was up, and anything already due.
    await this.#expire().catch((err: unknown) => log.warn({ err }, "jobs: lease check failed"));
    this.wake();
  }

  async stop(graceMs = 5_000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    clearTimeout(this.#dueTimer);
    await this.#listener?.stop();
    await this.#pass;
    // Buffered jobs never started: given back uncounted.
    const buffered = this.#buffered.splice(0);
    for (const job of buffered) await releaseJob(this.core().db.pool, job.msgId, job.lease, 0).catch(() => undefined);
    const all = [...this.#running.values()];
    if (all.length > 0) {
      await Promise.race([Promise.all(all.map((r) => r.settled)), new Promise((r) => setTimeout(r, graceMs).unref())]);
    }
    await Promise.all([...this.#writes]);
    const left = [...this.#running.values()];
    if (left.length === 0) return;
    for (const r of left) r.abandoned = true;
    await expireLeases(this.core().db.pool, { leases: left.map((r) => r.job.lease), error: "interrupted: the Core running it shut down", batch: left.length })
      .catch((err: unknown) => this.core().log.warn({ err, jobs: left.length }, "jobs: giving back in-flight jobs at shutdown failed; their leases will expire"));
  }

  inFlight(): number {
    return this.#running.size;
  }

  wake(): void {
    if (this.#stopped) return;
    if (this.#pass) {
      this.#again = true;
      return;
    }
    this.#pass = this.#claimLoop()
      .catch((err: unknown) => this.core().log.warn({ err }, "jobs: claiming failed; the next poll retries"))
      .finally(() => {
        this.#pass = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Deletes done and cancelled jobs past the retention period, in batches. */
  async prune(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await pruneArchived(this.core().db.pool, this.config.retentionDays, BATCH);
      total += n;
      if (n < BATCH || this.#stopped) return total;
    }
  }

  async #claimLoop(): Promise<void> {
    const { pool } = this.core().db;
    while (!this.#stopped) {
      const perAppCap = this.config.perAppConcurrency + this.config.prefetch;
      // A success not yet written still counts: until its row says done, a crash of this Core would run it again.
      const free = this.config.globalConcurrency + this.config.prefetch - this.#running.size - this.#buffered.length - this.#writes.size;
      if (free <= 0) return;
      const now = Date.now();
      for (const [app, until] of this.#stoppedApps) if (until <= now) this.#stoppedApps.delete(app);
      const saturated = [...this.#stoppedApps.keys()];
      const freeByApp: Record<string, number> = {};
      for (const [app, n] of this.#claimedPerApp) {
        if (n >= perAppCap) saturated.push(app);
        else freeByApp[app] = perAppCap - n;
      }
      const claimed = await claimJobs(pool, { coreId: this.#coreId, limit: free, saturated, freeByApp, perApp: perAppCap, leaseMs: this.config.visibilityMs });
      if (this.#stopped) {
        // Claimed while stopping: given back untouched.
        for (const job of claimed) await releaseJob(pool, job.msgId, job.lease, 0);
        return;
      }
      const jobs = await this.#withoutForeignApps(claimed);
      for (const job of jobs) this.#claimedPerApp.set(job.appId, (this.#claimedPerApp.get(job.appId) ?? 0) + 1);
      this.#buffered.push(...jobs);
      this.#dispatch();
      if (jobs.length === 0) {
        // With apps left out for want of a slot, a finishing job wakes the dispatcher; otherwise the next due one may.
        if (saturated.length === 0) await this.#armDueTimer();
        return;
      }
    }
  }

  /**
   * Several Cores may share a database without sharing data directories: an app deployed to another Core's has no
   * backend here. Its jobs are given back at once, uncounted and untouched (no error, no attempt), with a wake-up for
   * the other Cores, and this Core leaves the app out of its claims for a while. Checked per claim rather than before
   * it: the claim is what tells which apps have due jobs, and hasBackend is a memory or file-system look-up.
   */
  async #withoutForeignApps(claimed: ClaimedJob[]): Promise<ClaimedJob[]> {
    const { workers, db } = this.core();
    const foreign = new Set(claimed.map((j) => j.appId).filter((app) => !workers.hasBackend(app)));
    if (foreign.size === 0) return claimed;
    for (const app of foreign) this.#stoppedApps.set(app, Date.now() + NO_BACKEND_RECHECK_MS);
    const left = claimed.filter((j) => foreign.has(j.appId));
    for (const job of left) await releaseJob(db.pool, job.msgId, job.lease, 0);
    for (const app of foreign) await notifyJobs(db.pool, app);
    return claimed.filter((j) => !foreign.has(j.appId));
  }

  /** A delayed job (or a retry) becomes due between polls: a timer wakes the dispatcher at that instant. */
  async #armDueTimer(): Promise<void> {
    const ms = await nextDueInMs(this.core().db.pool);
    clearTimeout(this.#dueTimer);
    if (ms === null || ms >= this.config.pollMs || this.#stopped) return;
    this.#dueTimer = setTimeout(() => this.wake(), Math.max(0, ms) + 5);
    this.#dueTimer.unref();
  }

  /** Starts buffered jobs, in claim order, while their app and this Core have a free slot. */
  #dispatch(): void {
    if (this.#stopped) return;
    const waiting: ClaimedJob[] = [];
    for (const job of this.#buffered) {
      if (this.#running.size < this.config.globalConcurrency && (this.#perApp.get(job.appId) ?? 0) < this.config.perAppConcurrency) this.#launch(job);
      else waiting.push(job);
    }
    this.#buffered = waiting;
  }

  #launch(job: ClaimedJob): void {
    this.#perApp.set(job.appId, (this.#perApp.get(job.appId) ?? 0) + 1);
    const running: Running = { job, abandoned: false, settled: Promise.resolve() };
    this.#running.set(job.lease, running);
    running.settled = this.#run(running)
      .catch((err: unknown) => this.core().log.warn({ err, msgId: job.msgId, appId: job.appId }, "jobs: recording a job's outcome failed; its lease will expire and it runs again"))
      .finally(() => {
        this.#running.delete(job.lease);
        // The worker is free: a buffered job may take its slot at once. The claim window (running, buffered and
        // unwritten successes) shrinks only once the success is written, so what a crashed Core leaves to
        // redeliver stays within concurrency + prefetch.
        decrement(this.#perApp, job.appId);
        this.#dispatch();
        void (running.written ?? Promise.resolve()).then(() => {
          decrement(this.#claimedPerApp, job.appId);
          this.wake();
        });
      });
  }

  async #run(running: Running): Promise<void> {
    const core = this.core();
    const { job } = running;
    const { pool } = core.db;
    const startedAt = performance.now();
    core.metrics.jobStarted((Date.now() - job.runAt.getTime()) / 1000);
    const finished = (outcome: Outcome | null) => {
      if (outcome) core.metrics.jobFinished(outcome, (performance.now() - startedAt) / 1000);
      else core.log.info({ msgId: job.msgId, appId: job.appId }, "jobs: a late result was ignored (the job's lease had expired and it was claimed again)");
    };
    const target = await jobTarget(core, this.#owners!, job.userId);
    if ("refused" in target) {
      finished(await failJob(pool, { msgId: job.msgId, lease: job.lease, error: target.refused, retryInMs: 0, permanent: true }));
      return;
    }
    try {
      await core.workers.job(job.appId, target.identity, job.msgId, job.payload, target.caller, { timeoutMs: this.config.timeoutMs });
    } catch (err) {
      if (running.abandoned) return;
      if (err instanceof WorkerLostError) {
        // Whether the job ran is unknown: it stays leased and is claimed again once the lease runs out (spec §6.1).
        core.log.info({ msgId: job.msgId, appId: job.appId, reason: err.message }, "jobs: the worker went away under a job; it runs again after the visibility timeout");
        return;
      }
      if (err instanceof CoreError && err.code === "NOT_READY") {
        // Stopped by an administrator (or this Core is stopping): the job waits without spending an attempt.
        if (!this.#stopped) this.#stoppedApps.set(job.appId, Date.now() + STOPPED_APP_RECHECK_MS);
        finished(await releaseJob(pool, job.msgId, job.lease, this.#stopped ? 0 : STOPPED_APP_RECHECK_MS));
        return;
      }
      const error = err instanceof JobFailedError ? err.workerError : errorText(err);
      const retryInMs = retryDelayMs(job.attempts, this.config.backoffMs, this.config.backoffMaxMs);
      finished(await failJob(pool, { msgId: job.msgId, lease: job.lease, error, retryInMs, permanent: false }));
      return;
    }
    if (running.abandoned) return;
    const write = this.#complete(job)
      .then(finished)
      .catch((err: unknown) => core.log.warn({ err, msgId: job.msgId, appId: job.appId }, "jobs: recording a job's success failed; its lease will expire and it runs again"))
      .finally(() => this.#writes.delete(write));
    this.#writes.add(write);
    running.written = write;
  }

  /** Queues a success for the next flush, which writes every success waiting by then in one statement. */
  #complete(job: ClaimedJob): Promise<Outcome | null> {
    return new Promise((settle, fail) => {
      this.#completions.push({ msgId: job.msgId, lease: job.lease, settle, fail });
      if (!this.#flushing) setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#completions.length > 0) {
        const batch = this.#completions.splice(0, 500);
        try {
          const outcomes = await completeJobs(this.core().db.pool, batch);
          for (const c of batch) c.settle(outcomes.get(c.msgId) ?? null);
        } catch (err) {
          for (const c of batch) c.fail(err);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #heartbeat(): Promise<void> {
    const leases = [...[...this.#running.values()].filter((r) => !r.abandoned).map((r) => r.job.lease), ...this.#buffered.map((j) => j.lease)];
    await extendLeases(this.core().db.pool, leases, this.config.visibilityMs);
  }

  async #expire(): Promise<void> {
    const { pool } = this.core().db;
    for (;;) {
      const moved = await expireLeases(pool, { error: "lease expired: the Core or worker running it stopped answering within the visibility timeout", batch: BATCH });
      if (moved.length > 0) this.core().log.info({ jobs: moved.length }, "jobs: expired leases given back");
      if (moved.length < BATCH) return;
    }
  }
}

function decrement(counts: Map<string, number>, appId: string): void {
  const n = (counts.get(appId) ?? 1) - 1;
  if (n <= 0) counts.delete(appId);
  else counts.set(appId, n);
}
