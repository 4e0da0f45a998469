import { z } from "zod";

/** The scheduler's settings (README "Configuration"); every one has a default. */
export interface CronsConfig {
  /**
   * ROOTCX_CRON_CATCH_UP_SECONDS: a tick the scheduler reaches at most this late still fires (after a leader's
   * takeover, say); an older one is recorded as missed and never replayed. 10 s by default; 0 fires only on time.
   */
  catchUpMs: number;
  /** ROOTCX_CRON_RUN_RETENTION_DAYS: finished runs are deleted this long after their tick (and beyond 10,000 per cron). */
  runRetentionDays: number;
}

const whole = (min: number, max: number, unit: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,6}$/, { message: `must be a whole number of ${unit} between ${min} and ${max}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be a whole number of ${unit} between ${min} and ${max}` })
    .optional();

const cronsEnv = z.object({
  ROOTCX_CRON_CATCH_UP_SECONDS: whole(0, 3600, "seconds"),
  ROOTCX_CRON_RUN_RETENTION_DAYS: whole(1, 36_500, "days"),
});

/** Parses the scheduler's settings; returns the problems (`VARIABLE: why`) for loadConfig to report with the rest. */
export function parseCronsConfig(env: Record<string, string | undefined>): { config: CronsConfig } | { problems: string[] } {
  const clean = Object.fromEntries(Object.keys(cronsEnv.shape).map((k) => [k, env[k]?.trim() ? env[k] : undefined]));
  const parsed = cronsEnv.safeParse(clean);
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
  return {
    config: {
      catchUpMs: (parsed.data.ROOTCX_CRON_CATCH_UP_SECONDS ?? 10) * 1000,
      runRetentionDays: parsed.data.ROOTCX_CRON_RUN_RETENTION_DAYS ?? 7,
    },
  };
}
