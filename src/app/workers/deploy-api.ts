"use client";
import { restJson } from "./rest.ts";

export interface DeployRecord {
  id: string;
  deployedAt: string;
  deployedBy: string | null;
  size: number | null;
  migrationsApplied: string[];
  current: boolean;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const obj = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** React Query's key for an app's deploy history (REST, so outside the tRPC keys). */
export const historyQueryKey = (appId: string) => ["deploy-history", appId] as const;

/** `GET /apps/{id}/deploy/history`, newest first. */
export async function fetchDeployHistory(appId: string): Promise<DeployRecord[]> {
  const body = await restJson(`/apps/${encodeURIComponent(appId)}/deploy/history`);
  return (Array.isArray(body) ? body : []).map((v) => {
    const o = obj(v);
    return {
      id: String(o.id ?? ""),
      deployedAt: str(o.deployedAt) ?? "",
      deployedBy: str(o.deployedBy),
      size: num(o.size),
      migrationsApplied: Array.isArray(o.migrationsApplied) ? o.migrationsApplied.filter((m): m is string => typeof m === "string") : [],
      current: o.current === true,
    };
  });
}

export const rollbackDeploy = (appId: string) => restJson(`/apps/${encodeURIComponent(appId)}/deploy/rollback`, { method: "POST" });
