"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { errorSentence } from "../components/api-error.ts";
import { Badge } from "../components/badge.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { FormError } from "../components/form-field.tsx";
import { useTRPC } from "../trpc.ts";
import { formatWhen, runTone } from "./format.ts";
import type { CronRunView, CronView } from "./types.ts";

/** A schedule fires every few seconds at most, so its history is asked for as often while it is shown. */
const REFRESH_MS = 2000;

function lagOf(r: CronRunView): string {
  if (!r.firedAt) return "";
  const ms = new Date(r.firedAt).getTime() - new Date(r.scheduledAt).getTime();
  return ms >= 0 ? ` (+${ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`})` : "";
}

function columns(appId: string, mayReadJobs: boolean): Column<CronRunView>[] {
  return [
    {
      key: "status",
      header: "Status",
      hideable: false,
      cell: (r) => (
        <Badge tone={runTone(r.status)} data-testid="run-status">
          {r.status}
        </Badge>
      ),
    },
    { key: "scheduled", header: "Scheduled", cell: (r) => <span className="whitespace-nowrap">{formatWhen(r.scheduledAt)}</span> },
    {
      key: "fired",
      header: "Fired",
      cell: (r) => (
        <span className="whitespace-nowrap" title="The delay after the scheduled instant is in brackets">
          {formatWhen(r.firedAt)}
          {lagOf(r)}
        </span>
      ),
    },
    { key: "started", header: "Job started", cell: (r) => <span className="whitespace-nowrap">{formatWhen(r.startTime)}</span> },
    { key: "ended", header: "Job ended", cell: (r) => <span className="whitespace-nowrap">{formatWhen(r.endTime)}</span> },
    { key: "trigger", header: "By", cell: (r) => (r.trigger === "manual" ? "Run now" : "schedule") },
    { key: "message", header: "Message", width: 220, cell: (r) => <span className="break-words text-xs">{r.returnMessage ?? ""}</span> },
    {
      key: "job",
      header: "Job",
      cell: (r) =>
        r.msgId === null ? (
          ""
        ) : mayReadJobs ? (
          <Link href={`/jobs/${encodeURIComponent(appId)}?job=${encodeURIComponent(r.msgId)}`} className="font-mono text-brand-600 hover:underline dark:text-indigo-300">
            #{r.msgId}
          </Link>
        ) : (
          <span className="font-mono">#{r.msgId}</span>
        ),
    },
  ];
}

/** The schedule's runs, newest first: when each was due and started, how it ended, and the job it enqueued. */
export function RunHistory({ cron, mayReadJobs }: { cron: CronView; mayReadJobs: boolean }) {
  const trpc = useTRPC();
  const runs = useQuery(trpc.crons.runs.queryOptions({ appId: cron.appId, cronId: cron.id, limit: 50 }, { refetchInterval: REFRESH_MS }));
  if (runs.isError) return <FormError>{errorSentence(runs.error)}</FormError>;
  return (
    <DataTable
      label={`Runs of ${cron.name}`}
      columns={columns(cron.appId, mayReadJobs)}
      rows={runs.data}
      loading={runs.isPending}
      rowKey={(r) => String(r.runid)}
      rowProps={(r) => ({ "data-testid": "run-row", "data-status": r.status })}
      empty="No run yet. The first appears when the schedule next fires, or use Run now."
    />
  );
}
