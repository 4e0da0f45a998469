import { existsSync } from "node:fs";
import type { Manifest } from "../apps/manifest.ts";
import type { Principal } from "../auth/principal.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { holdsPermission } from "../governance/permissions.ts";
import { publicRpc, shareCaller } from "../public-shares/share-caller.ts";
import { isShareToken } from "../public-shares/token.ts";
import { appDir } from "./app-files.ts";
import type { RpcCaller } from "./contracts.ts";
import { ANON_IDENTITY, type WorkerIdentity } from "./identity.ts";
import { appIdSchema, parseRpcBody } from "./schema.ts";

export const invokeKey = (appId: string) => `app:${appId}:invoke`;

/** How the request authenticated: the raw Authorization header, and the JWT check the dispatcher offers. */
export interface RpcAuth {
  header: string | undefined;
  principal(): Promise<Principal>;
}

/** Spec §2.5 "How the RPC handler authenticates the caller": which worker runs the call, and with which caller. */
async function resolveCaller(
  core: Core,
  appId: string,
  call: { method: string; params: unknown },
  auth: RpcAuth,
  manifest: Manifest | null,
): Promise<{ identity: WorkerIdentity; caller: RpcCaller | null }> {
  const { method } = call;
  const header = auth.header?.trim();
  if (!header) {
    // Without a token only a public method with no scope (a scoped one needs a share token naming its context).
    const open = publicRpc(manifest, method);
    if (open?.scope.length === 0) return { identity: ANON_IDENTITY, caller: null };
    if (open) throw new CoreError("UNAUTHORIZED", `method ${method} of app ${appId} is public only through a share link (scoped by ${open.scope.join(", ")}): call with its token (Authorization: Bearer rcsh_…)`);
    throw new CoreError("UNAUTHORIZED", `method ${method} of app ${appId} is not public: sign in (Authorization: Bearer <token>)`);
  }
  // Share tokens carry their own prefix; everything else (a JWT, a service account's rcs_ key) is a principal's.
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (token && isShareToken(token)) return shareCaller(core, appId, manifest, method, call.params, token);
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
  const params = input.params ?? {};
  const { identity, caller } = await resolveCaller(core, appId, { method: input.method, params }, auth, installed?.manifest ?? null);
  return core.workers.rpc(appId, identity, input.method, params, caller);
}
