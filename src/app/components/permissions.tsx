"use client";
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { permissionMatches } from "../../server/governance/permissions.ts";
import { useSession } from "../auth/session.tsx";
import { useTRPC } from "../trpc.ts";

/** The admin key: holding it grants everything. */
export const ADMIN = "*";

export interface Permissions {
  /** False until the caller's effective keys are known; treat unknown as "not allowed" (hide, don't flash). */
  ready: boolean;
  roles: string[];
  keys: string[];
  can(key: string): boolean;
}

/** The signed-in caller's effective permissions (tRPC `permissions.mine`, the same as REST `GET /permissions`). */
export function usePermissions(): Permissions {
  const trpc = useTRPC();
  const { state } = useSession();
  const signedIn = state.status === "authenticated";
  const mine = useQuery(trpc.permissions.mine.queryOptions(undefined, { enabled: signedIn, staleTime: 30_000 }));
  const keys = signedIn ? (mine.data?.permissions ?? []) : [];
  return {
    ready: signedIn && mine.isSuccess,
    roles: signedIn ? (mine.data?.roles ?? []) : [],
    keys,
    can: (key) => keys.some((held) => permissionMatches(held, key)),
  };
}

/** Whether the caller holds every one of the keys. */
export function useCan(...required: string[]): boolean {
  const { can } = usePermissions();
  return required.every(can);
}

/** The sentence shown (as a tooltip) on a control the caller may not use. */
export function forbiddenReason(key: string): string {
  return key === ADMIN ? "Requires the admin role." : `Requires the permission ${key}.`;
}

/** Renders children only when the caller holds the key; `fallback` otherwise (e.g. a disabled button). */
export function Can({ permission, children, fallback = null }: { permission: string; children: ReactNode; fallback?: ReactNode }) {
  return useCan(permission) ? <>{children}</> : <>{fallback}</>;
}
