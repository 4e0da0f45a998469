import { z } from "zod";

export const componentState = z.enum(["online", "offline", "starting", "stopping", "error"]);

export const healthQuery = z.object({
  // `?full`, `?full=true` and `?full=1` all ask for the full report, as in the original.
  full: z
    .string()
    .optional()
    .transform((v) => v !== undefined && v !== "false" && v !== "0"),
});

export const health = z.object({ status: z.literal("ok") });

export const fullHealth = health.extend({
  memory: z.object({ current_bytes: z.number(), limit_bytes: z.number().nullable() }),
  cpu: z.object({
    usage_usec: z.number(),
    periods: z.number(),
    throttled_periods: z.number(),
    throttled_usec: z.number(),
  }),
  disk: z.object({ total_bytes: z.number(), used_bytes: z.number(), available_bytes: z.number() }),
  database: z.object({ reachable: z.boolean() }),
});

export const status = z.object({
  runtime: z.object({ version: z.string(), state: componentState }),
  /** `port` and `data_dir` are null for callers who are not administrators. */
  postgres: z.object({ state: componentState, port: z.number().nullable(), data_dir: z.string().nullable() }),
  forge: z.object({ state: componentState, port: z.number().nullable() }),
});

export const version = z.object({ version: z.string(), node: z.string(), postgres: z.string() });

/** What the Studio's home page shows. */
export const overview = z.object({
  version: z.string(),
  state: componentState,
  startedAt: z.string(),
  uptimeSeconds: z.number(),
  database: z.object({ reachable: z.boolean(), embedded: z.boolean(), serverVersion: z.string() }),
});

export type Health = z.infer<typeof health>;
export type FullHealth = z.infer<typeof fullHealth>;
export type Status = z.infer<typeof status>;
export type Version = z.infer<typeof version>;
export type Overview = z.infer<typeof overview>;
