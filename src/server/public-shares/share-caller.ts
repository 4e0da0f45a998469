import type { Manifest } from "../apps/manifest.ts";
import type { Core } from "../core.ts";
import { CoreError } from "../errors.ts";
import { holdsPermission } from "../governance/permissions.ts";
import type { RpcCaller } from "../workers/contracts.ts";
import type { WorkerIdentity } from "../workers/identity.ts";
import { publicSection } from "../workers/schema.ts";
import { liveShare, SHARE_UNAVAILABLE } from "./live-share.ts";
import { scopeMismatch } from "./scope.ts";

/** The `public.rpcs` entry of a method: its scope (the union, should the manifest list the name twice), or undefined when it is not public. */
export function publicRpc(manifest: Pick<Manifest, "public"> | null, method: string): { scope: string[] } | undefined {
  const entries = (publicSection.parse(manifest?.public)?.rpcs ?? []).filter((r) => (typeof r === "string" ? r : r.name) === method);
  if (entries.length === 0) return undefined;
  return { scope: [...new Set(entries.flatMap((r) => (typeof r === "string" ? [] : (r.scope ?? []))))] };
}

/**
 * Spec §2.5, a share token: a public RPC of the share's own app, called with params that agree with the share's
 * context on every scoped key, runs as the share's creator with a read-only delegation (the creator's
 * `app:{id}:{entity}.read` keys as they are now, on a worker process of its own for that set).
 */
export async function shareCaller(
  core: Core,
  appId: string,
  manifest: Manifest | null,
  method: string,
  params: unknown,
  token: string,
): Promise<{ identity: WorkerIdentity; caller: RpcCaller }> {
  const share = await liveShare(core, token);
  if (!share) throw new CoreError("UNAUTHORIZED", SHARE_UNAVAILABLE);
  if (share.appId !== appId) throw new CoreError("FORBIDDEN", `this share link is for another app than ${appId}`);
  const rpc = publicRpc(manifest, method);
  if (!rpc) throw new CoreError("FORBIDDEN", `method ${method} of app ${appId} is not public (manifest public.rpcs): a share link cannot call it`);
  const differs = scopeMismatch(rpc.scope, share.context, params);
  if (differs !== undefined) throw new CoreError("FORBIDDEN", `params.${differs} does not match the share link's context (${method} is scoped by ${rpc.scope.join(", ")})`);
  const held = await core.auth.principals.permissions(share.creator.userId);
  const reads = (manifest?.dataContract ?? []).map((e) => `app:${appId}:${e.entityName}.read`).filter((key) => holdsPermission(held, key));
  return {
    identity: { kind: "user", userId: share.creator.userId, email: share.creator.email, delegated: { permissions: reads, delegatorUid: share.creator.userId } },
    caller: { userId: share.creator.userId, email: share.creator.email, effectivePerms: reads },
  };
}
