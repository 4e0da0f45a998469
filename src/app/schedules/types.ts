import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../client/index.ts";

/** The shapes the panel shows, straight from the Core's tRPC router (never restated by hand). */
type Outputs = inferRouterOutputs<AppRouter>["crons"];

/** Spec §2.9's CronSchedule, plus `nextRunAt`, `runAs` and `source` (manifest or api). */
export type CronView = Outputs["listAll"][number];
/** One tick: due (`scheduledAt`), fired, its job (`msgId`), how it ended (`status`, `returnMessage`). */
export type CronRunView = Outputs["runs"][number];

/** What the form edits; the payload is the JSON text as typed, parsed in the page before anything is sent. */
export interface CronDraft {
  appId: string;
  name: string;
  schedule: string;
  timezone: string;
  payloadText: string;
  overlapPolicy: "skip" | "queue";
  enabled: boolean;
}
