"use client";
import { useParams } from "next/navigation";
import { useMemo, useState } from "react";
import { PageHeader } from "../../../components/page-header.tsx";
import { FormError } from "../../../components/form-field.tsx";
import { useCan } from "../../../components/permissions.tsx";
import { BUFFER_LINES, filterLines, LOG_LEVELS, type WorkerLogLevel } from "../../log-lines.ts";
import { useLogStream } from "../../use-log-stream.ts";
import { WORKERS_LIST } from "../../worker-permissions.ts";
import { LogToolbar } from "./log-toolbar.tsx";
import { LogView } from "./log-view.tsx";
import { StreamStatusBadge } from "./stream-status.tsx";

/** One app's live logs, from every identity's worker: filter by level, search, pause, jump to the latest line. */
export default function LogsPage() {
  const { appId } = useParams<{ appId: string }>();
  const mayListWorkers = useCan(WORKERS_LIST);
  const stream = useLogStream(appId);
  const [levels, setLevels] = useState<ReadonlySet<WorkerLogLevel>>(() => new Set(LOG_LEVELS));
  const [search, setSearch] = useState("");
  const shown = useMemo(() => filterLines(stream.lines, levels, search), [stream.lines, levels, search]);

  const toggle = (level: WorkerLogLevel) =>
    setLevels((prev) => {
      const next = new Set(prev);
      if (next.has(level)) next.delete(level);
      else next.add(level);
      return next;
    });

  return (
    <section className="min-w-0 space-y-4">
      <PageHeader
        title={`Logs of ${appId}`}
        breadcrumbs={[
          { label: "Studio", href: "/" },
          // The workers list is for those who may read it: a link that answers 403 is a dead end.
          mayListWorkers ? { label: "Workers", href: "/workers" } : { label: "Apps", href: "/applications" },
          { label: appId, href: `/applications/${appId}` },
          { label: "Logs" },
        ]}
        description="Live output of every worker of this app (its lifecycle worker, the anonymous one and each user's), newest at the bottom."
        actions={<StreamStatusBadge status={stream.status} />}
      />
      {stream.status.kind === "failed" && <FormError>{stream.status.reason}</FormError>}
      <LogToolbar
        levels={levels}
        onToggleLevel={toggle}
        search={search}
        onSearch={setSearch}
        paused={stream.paused}
        heldCount={stream.heldCount}
        onPause={stream.pause}
        onResume={stream.resume}
        onClear={stream.clear}
      />
      <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="log-counts">
        Showing {shown.length} of {stream.lines.length} line{stream.lines.length === 1 ? "" : "s"} (the page keeps the latest {BUFFER_LINES}).
      </p>
      <LogView appId={appId} lines={shown} />
    </section>
  );
}
