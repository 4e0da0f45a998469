import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../client/index.ts";

/** The shapes the panel shows, straight from the Core's tRPC router (never restated by hand). */
type Outputs = inferRouterOutputs<AppRouter>["webhooks"];

/** `webhooks.list`: the full token is never listed, only its prefix inside `url`. */
export type WebhookView = Outputs["list"][number];
/** One recorded call (`webhooks.calls`, and `lastCall` of the list). */
export type WebhookCallView = Outputs["calls"][number];
