import type { Principal } from "../auth/principal.ts";

/**
 * Whom a worker process serves, for its whole life (spec §4 "Principals"): the lifecycle worker (no identity,
 * deny-all, runs onStart), the anonymous worker (public RPCs, deny-all), or one user, with their live
 * permissions or with a frozen, delegated set (share tokens, agents, act-as).
 */
export type WorkerIdentity =
  | { kind: "system" }
  | { kind: "anon" }
  | { kind: "user"; userId: string; email: string; delegated?: { permissions: string[]; delegatorUid: string } };

export const SYSTEM_IDENTITY: WorkerIdentity = { kind: "system" };
export const ANON_IDENTITY: WorkerIdentity = { kind: "anon" };

/** The key a worker process is registered under within its app: `·system`, `·anon`, or `{uid}|{0|1}|{sorted perms}`. */
export function identityKey(id: WorkerIdentity): string {
  if (id.kind === "system") return "·system";
  if (id.kind === "anon") return "·anon";
  if (!id.delegated) return `${id.userId}|0|`;
  return `${id.userId}|1|${[...new Set(id.delegated.permissions)].sort().join(",")}`;
}

/** The principal the governed executor runs a worker's data access as; null (deny-all) for system and anon. */
export function principalOf(id: WorkerIdentity): Principal | null {
  if (id.kind !== "user") return null;
  return { userId: id.userId, email: id.email, sessionId: undefined, displayName: null, createdAt: new Date(0) };
}
