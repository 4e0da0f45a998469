import { z } from "zod";
import type { Core } from "../core.ts";
import { CoreError, formatZodError } from "../errors.ts";
import { holdsPermission } from "../governance/permissions.ts";
import type { WorkerDataContext } from "./contracts.ts";

const triggerAction = z.object({ actionName: z.string().min(1).max(100), input: z.unknown().optional() });

/** The permissions the worker's identity acts with: live for a user, frozen when delegated; none for system and anon. */
async function permissionsOf(core: Core, ctx: WorkerDataContext): Promise<string[]> {
  const identity = ctx.identity;
  if (identity.kind !== "user") throw new CoreError("FORBIDDEN", "no identity to act as: the lifecycle and anonymous workers cannot call actions");
  return identity.delegated ? identity.delegated.permissions : core.auth.principals.permissions(identity.userId);
}

/**
 * `ctx.selfAction` / `ctx.action` (spec §4.2 self_action). `triggerAction` runs one of the app's own manifest
 * actions as the same identity, checked against `app:{app}:action:{name}`; the supervisor routes the call.
 * Integrations are not part of this Core, so their two actions say so.
 */
export async function selfAction(core: Core, ctx: WorkerDataContext, action: string, params: unknown): Promise<unknown> {
  if (action === "call_integration" || action === "syncConnectedUsers") {
    throw new CoreError("BAD_REQUEST", "not supported by this Core: integrations are not available");
  }
  if (action !== "triggerAction") throw new CoreError("BAD_REQUEST", `unknown self action: ${action}`);
  const parsed = triggerAction.safeParse(params);
  if (!parsed.success) throw new CoreError("BAD_REQUEST", `triggerAction: ${formatZodError(parsed.error)}`);
  const { actionName, input } = parsed.data;
  const app = await core.apps.get(ctx.appId);
  if (!app?.manifest.actions?.some((a) => a.id === actionName)) throw new CoreError("NOT_FOUND", `unknown action ${actionName}`);
  const key = `app:${ctx.appId}:action:${actionName}`;
  if (!holdsPermission(await permissionsOf(core, ctx), key)) throw new CoreError("FORBIDDEN", `permission denied: calling action ${actionName} needs ${key}`);
  try {
    return await ctx.callAction(actionName, input);
  } catch (err) {
    if (err instanceof CoreError) throw err;
    throw new CoreError("BAD_REQUEST", `action ${actionName} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
