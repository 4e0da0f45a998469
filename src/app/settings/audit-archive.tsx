"use client";
import { useQuery } from "@tanstack/react-query";
import { errorSentence } from "../components/api-error.ts";
import { DataTable } from "../components/data-table.tsx";
import { FormError } from "../components/form-field.tsx";
import { useTRPC } from "../trpc.ts";
import { SettingsCard } from "./card.tsx";

const KiB = 1024;
const size = (bytes: number) => (bytes < KiB ? `${bytes} B` : bytes < KiB * KiB ? `${(bytes / KiB).toFixed(1)} KiB` : `${(bytes / KiB / KiB).toFixed(1)} MiB`);

/** What audit retention has done (GET /audit/archive): its schedule, its last run and the archive files. */
export function AuditArchiveStatus() {
  const trpc = useTRPC();
  const status = useQuery(trpc.audit.archiveStatus.queryOptions());
  const s = status.data;
  return (
    <SettingsCard title="Audit archive" description="Rows past the retention period move to JSONL files in the data directory; the chain stays verifiable from its anchor.">
      {status.isError && <FormError>{errorSentence(status.error)}</FormError>}
      {s && (
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="text-slate-600 dark:text-slate-400">Retention</dt>
          <dd data-testid="retention">{s.retention_days ? `${s.retention_days} days (checked hourly)` : "Off: rows are kept until archived by hand (ROOTCX_AUDIT_RETENTION_DAYS)"}</dd>
          <dt className="text-slate-600 dark:text-slate-400">Last run</dt>
          <dd data-testid="last-run">
            {s.last_run
              ? `${new Date(s.last_run.at).toLocaleString()}: ${s.last_run.removed} row${s.last_run.removed === 1 ? "" : "s"} archived${s.last_run.trigger === "retention_schedule" ? " (scheduled)" : ""}`
              : "Never"}
          </dd>
          <dt className="text-slate-600 dark:text-slate-400">Archived through</dt>
          <dd>{s.archived_through_id ? <span className="font-mono">row {s.archived_through_id}</span> : "Nothing yet"}</dd>
        </dl>
      )}
      <DataTable
        label="Archive files"
        loading={status.isPending}
        rows={s?.files}
        rowKey={(f) => f.name}
        empty="No archive files yet."
        columns={[
          { key: "name", header: "File", cell: (f) => <span className="font-mono text-xs">{f.name}</span> },
          { key: "size", header: "Size", cell: (f) => size(f.bytes) },
          { key: "written", header: "Written", cell: (f) => new Date(f.modified_at).toLocaleString() },
        ]}
      />
    </SettingsCard>
  );
}
