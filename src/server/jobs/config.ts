import { z } from "zod";

/** The job queue's settings (README "Configuration"); every one has a default. */
export interface JobsConfig {
  /** ROOTCX_JOB_VISIBILITY_MS: a claimed job whose Core or worker went silent this long is claimable again (spec §6.1: 120 s). */
  visibilityMs: number;
  /** ROOTCX_JOB_CONCURRENCY_PER_APP: jobs of one app running at once on one Core process. */
  perAppConcurrency: number;
  /** ROOTCX_JOB_CONCURRENCY: jobs running at once on one Core process, all apps together. */
  globalConcurrency: number;
  /**
   * ROOTCX_JOB_PREFETCH: jobs per app a Core claims ahead of a free slot, so a finishing job is followed at once
   * (default: the per-app concurrency; 0 claims only for free slots). A higher priority enqueued later runs after them.
   */
  prefetch: number;
  /** ROOTCX_JOB_BACKOFF_MS: the first retry's delay; each next one doubles it (with jitter), capped at backoffMaxMs. */
  backoffMs: number;
  /** ROOTCX_JOB_BACKOFF_MAX_MS. */
  backoffMaxMs: number;
  /** ROOTCX_JOB_TIMEOUT_MS: how long one attempt may run before it counts as failed (the worker is not interrupted). */
  timeoutMs: number;
  /** ROOTCX_JOB_POLL_MS: the fallback poll when no NOTIFY arrives (and the lease check's period). */
  pollMs: number;
  /** ROOTCX_JOB_RETENTION_DAYS: done and cancelled jobs are deleted this long after they ended. */
  retentionDays: number;
}

const whole = (min: number, max: number, unit: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,9}$/, { message: `must be a whole number of ${unit} between ${min} and ${max}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be a whole number of ${unit} between ${min} and ${max}` })
    .optional();

const jobsEnv = z.object({
  ROOTCX_JOB_VISIBILITY_MS: whole(200, 86_400_000, "milliseconds"),
  ROOTCX_JOB_CONCURRENCY_PER_APP: whole(1, 1000, "jobs"),
  ROOTCX_JOB_CONCURRENCY: whole(1, 10_000, "jobs"),
  ROOTCX_JOB_PREFETCH: whole(0, 1000, "jobs"),
  ROOTCX_JOB_BACKOFF_MS: whole(1, 86_400_000, "milliseconds"),
  ROOTCX_JOB_BACKOFF_MAX_MS: whole(1, 604_800_000, "milliseconds"),
  ROOTCX_JOB_TIMEOUT_MS: whole(100, 86_400_000, "milliseconds"),
  ROOTCX_JOB_POLL_MS: whole(50, 600_000, "milliseconds"),
  ROOTCX_JOB_RETENTION_DAYS: whole(1, 36_500, "days"),
});

/** Parses the job settings; returns the problems (`VARIABLE: why`) instead of throwing, for loadConfig to report with the rest. */
export function parseJobsConfig(env: Record<string, string | undefined>): { config: JobsConfig } | { problems: string[] } {
  const clean = Object.fromEntries(Object.keys(jobsEnv.shape).map((k) => [k, env[k]?.trim() ? env[k] : undefined]));
  const parsed = jobsEnv.safeParse(clean);
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
  const e = parsed.data;
  return {
    config: {
      visibilityMs: e.ROOTCX_JOB_VISIBILITY_MS ?? 120_000,
      perAppConcurrency: e.ROOTCX_JOB_CONCURRENCY_PER_APP ?? 8,
      globalConcurrency: e.ROOTCX_JOB_CONCURRENCY ?? 64,
      prefetch: e.ROOTCX_JOB_PREFETCH ?? e.ROOTCX_JOB_CONCURRENCY_PER_APP ?? 8,
      backoffMs: e.ROOTCX_JOB_BACKOFF_MS ?? 1_000,
      backoffMaxMs: e.ROOTCX_JOB_BACKOFF_MAX_MS ?? 3_600_000,
      timeoutMs: e.ROOTCX_JOB_TIMEOUT_MS ?? 900_000,
      pollMs: e.ROOTCX_JOB_POLL_MS ?? 2_000,
      retentionDays: e.ROOTCX_JOB_RETENTION_DAYS ?? 7,
    },
  };
}
