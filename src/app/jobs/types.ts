import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../client/index.ts";

/** The shapes the console shows, straight from the Core's tRPC router (never restated by hand). */
type Outputs = inferRouterOutputs<AppRouter>["jobs"];

/** One job: state, attempts, each failed attempt's error, timings and payload (`jobs.get`, items of `jobs.list`). */
export type JobView = Outputs["get"];
/** Counts now, one point per minute of the window, wait (due → taken) and run (taken → result) p50/p99. */
export type JobStatsView = Outputs["stats"];
