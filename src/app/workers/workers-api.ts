"use client";
import type { WorkerState } from "../../server/workers/contracts.ts";
import { restJson } from "./rest.ts";

/** One process of an app: the lifecycle (system) worker, the anonymous one, or one user's. */
export interface WorkerDetail {
  identity: string;
  state: WorkerState;
  pid: number | null;
  startedAt: string | null;
  uptimeMs: number | null;
  restarts: number;
  rssBytes: number | null;
  cpuPercent: number | null;
}

export interface WorkersOverview {
  states: Record<string, WorkerState>;
  details: Record<string, WorkerDetail[]>;
}

export interface DeployRecord {
  id: string;
  deployedAt: string;
  deployedBy: string | null;
  size: number | null;
  migrationsApplied: string[];
  current: boolean;
}

const STATES: readonly string[] = ["starting", "running", "stopping", "stopped", "crashed"];
const isState = (v: unknown): v is WorkerState => typeof v === "string" && STATES.includes(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const obj = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** A user identity arrives as an object or a key; the panel shows it as a short label. */
function identityLabel(v: unknown): string {
  if (typeof v === "string") return v;
  const o = obj(v);
  if (o.kind === "system") return "system";
  if (o.kind === "anon") return "anonymous";
  if (o.kind === "user") return `user ${str(o.email) ?? str(o.userId) ?? "?"}${o.delegated ? " (delegated)" : ""}`;
  return "unknown";
}

function toDetail(v: unknown): WorkerDetail | null {
  const o = obj(v);
  if (!isState(o.state)) return null;
  return {
    identity: identityLabel(o.identity),
    state: o.state,
    pid: num(o.pid),
    startedAt: str(o.startedAt),
    uptimeMs: num(o.uptimeMs),
    restarts: num(o.restarts) ?? 0,
    rssBytes: num(o.rssBytes),
    cpuPercent: num(o.cpuPercent),
  };
}

/** `GET /workers?detail=true`: every app's state and, per app, each identity's process. */
export async function fetchWorkers(): Promise<WorkersOverview> {
  const body = obj(await restJson("/workers?detail=true"));
  const states: Record<string, WorkerState> = {};
  for (const [app, state] of Object.entries(obj(body.workers))) if (isState(state)) states[app] = state;
  const details: Record<string, WorkerDetail[]> = {};
  for (const [app, list] of Object.entries(obj(body.details))) {
    details[app] = (Array.isArray(list) ? list : []).map(toDetail).filter((d): d is WorkerDetail => d !== null);
  }
  return { states, details };
}

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

export const startWorker = (appId: string) => restJson(`/apps/${encodeURIComponent(appId)}/worker/start`, { method: "POST" });
export const stopWorker = (appId: string) => restJson(`/apps/${encodeURIComponent(appId)}/worker/stop`, { method: "POST" });
export const rollbackDeploy = (appId: string) => restJson(`/apps/${encodeURIComponent(appId)}/deploy/rollback`, { method: "POST" });
export const restartWorker = (appId: string) => restJson(`/apps/${encodeURIComponent(appId)}/worker/restart`, { method: "POST" });
