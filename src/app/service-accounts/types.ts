import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../client/index.ts";

/** The shapes the panel shows, straight from the Core's tRPC router (never restated by hand). */
type Outputs = inferRouterOutputs<AppRouter>["serviceAccounts"];
type Inputs = inferRouterInputs<AppRouter>["serviceAccounts"];

export type AccountRow = Outputs["list"][number];
export type AccountDetails = Outputs["get"];
export type Credential = AccountDetails["credentials"][number];
export type NewCredential = Outputs["createCredential"];
export type CreateCredentialInput = Inputs["createCredential"];

/** Every action of this panel needs it (spec §2.19); role changes also need the admin key (`*`). */
export const MANAGE_KEY = "admin:service_accounts.manage";
