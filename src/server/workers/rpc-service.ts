import { existsSync } from "node:fs";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { holdsPermission } from "../governance/permissions.ts";
import { appDir } from "./app-files.ts";
import type { RpcCaller } from "./contracts.ts";
import { ANON_IDENTITY, type WorkerIdentity } from "./identity.ts";
import { appIdSchema, parseRpcBody, publicSection } from "./schema.ts";

export const invokeKey = (appId: string) => `app:${appId}:invoke`;

/** How the request authenticated: the raw Authorization header, and the JWT check the dispatcher offers. */
export interface RpcAuth {
  header: string | undefined;
  principal(): Promise<Principal>;
}

/** The methods callable without a token: the manifest's `public.rpcs` without a scope (scoped ones need a share token). */
function openPublicRpcs(manifest: unknown): Set<string> {
  const section = publicSection.parse((manifest as { public?: unknown } | null)?.public);
  const names = (section?.rpcs ?? []).flatMap((r) => (typeof r === "string" ? [r] : r.scope && r.scope.length > 0 ? [] : [r.name]));
  return new Set(names);
}

/** Spec §2.5 "How the RPC handler authenticates the caller": which worker runs the call, and with which caller. */
async function resolveCaller(core: Core, appId: string, method: string, auth: RpcAuth, manifest: unknown): Promise<{ identity: WorkerIdentity; caller: RpcCaller | null }> {
  const header = auth.header?.trim();
  if (!header) {
    if (openPublicRpcs(manifest).has(method)) return { identity: ANON_IDENTITY, caller: null };
    throw new CoreError("UNAUTHORIZED", `method ${method} of app ${appId} is not public: sign in (Authorization: Bearer <token>)`);
  }
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (token && !token.includes(".")) throw new CoreError("UNAUTHORIZED", "share tokens are not supported yet: call with a signed-in user's bearer token");
  const principal = await auth.principal();
  const perms = await core.auth.principals.permissions(principal.userId);
  if (!holdsPermission(perms, invokeKey(appId))) throw new CoreError("FORBIDDEN", `permission required: ${invokeKey(appId)}`);
  return {
    identity: { kind: "user", userId: principal.userId, email: principal.email },
    caller: { userId: principal.userId, email: principal.email, effectivePerms: [...perms] },
  };
}

/** `POST /apps/:appId/rpc`: validates, authorizes, and runs the call on the caller's identity worker. */
export async function invokeRpc(core: Core, rawAppId: string, auth: RpcAuth, body: unknown): Promise<unknown> {
  const appId = appIdSchema.parse(rawAppId);
  const input = parseRpcBody(body);
  const installed = await core.apps.get(appId);
  const hasBackend = core.workers.hasBackend(appId);
  if (!installed && !hasBackend && !existsSync(appDir(core.config.dataDir, appId))) throw new CoreError("NOT_FOUND", `app ${appId} not found`);
  if (!hasBackend) throw new CoreError("NOT_FOUND", `app ${appId} has no backend`);
  const { identity, caller } = await resolveCaller(core, appId, input.method, auth, installed?.manifest ?? null);
  return core.workers.rpc(appId, identity, input.method, input.params ?? {}, caller);
}
