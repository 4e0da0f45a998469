"use client";
import Link from "next/link";
import { useId } from "react";
import { Badge } from "../components/badge.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import type { WorkerState } from "../../server/workers/contracts.ts";
import { formatBytes, formatDuration, STATE_TONE } from "./format.ts";
import { WorkerActions } from "./worker-actions.tsx";
import type { WorkersList } from "../../server/workers/schema.ts";

type WorkerDetail = NonNullable<WorkersList["details"]>[string][number];

const COLUMNS: Column<WorkerDetail>[] = [
  { key: "identity", header: "Identity", hideable: false, cell: (w) => <span className="font-mono break-words">{w.identity}</span> },
  { key: "state", header: "State", cell: (w) => <Badge tone={STATE_TONE[w.state]} data-testid="worker-state">{w.state}</Badge> },
  { key: "restarts", header: "Restarts", cell: (w) => w.restarts },
  { key: "memory", header: "Memory", cell: (w) => formatBytes(w.rssBytes) },
  { key: "cpu", header: "CPU", cell: (w) => (w.cpuPercent === null ? "—" : `${w.cpuPercent.toFixed(1)} %`) },
  { key: "uptime", header: "Uptime", cell: (w) => formatDuration(w.uptimeMs) },
  { key: "pid", header: "PID", cell: (w) => <span className="font-mono">{w.pid ?? "—"}</span> },
];

/** One app: its overall state, the actions on its workers, and each identity's process. */
export function AppWorkers({ appId, state, workers, loading, onDeploy }: { appId: string; state: WorkerState | undefined; workers: WorkerDetail[] | undefined; loading: boolean; onDeploy: () => void }) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} data-testid={`workers-${appId}`} className="min-w-0 space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-slate-900">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id={headingId} className="flex flex-wrap items-center gap-2 text-lg font-semibold">
          <Link href={`/applications/${appId}`} className="font-mono hover:underline">
            {appId}
          </Link>
          <Badge tone={state ? STATE_TONE[state] : "neutral"} data-testid="app-state">
            {state ?? "no worker"}
          </Badge>
        </h2>
        <WorkerActions appId={appId} state={state} onDeploy={onDeploy} />
      </div>
      <DataTable
        label={`Workers of ${appId}`}
        columns={COLUMNS}
        rows={workers}
        loading={loading}
        rowKey={(w) => w.identity}
        rowProps={(w) => ({ "data-testid": "worker-row", "data-identity": w.identity })}
        empty="No worker process. Deploy an archive to run this app's backend, or start it if one is deployed."
      />
    </section>
  );
}
