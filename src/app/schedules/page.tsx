"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Suspense, useState } from "react";
import { useSession } from "../auth/session.tsx";
import { errorSentence } from "../components/api-error.ts";
import { Badge } from "../components/badge.tsx";
import { Button } from "../components/button.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { PageHeader } from "../components/page-header.tsx";
import { usePermissions } from "../components/permissions.tsx";
import { SlideOver } from "../components/slide-over.tsx";
import { useToast } from "../components/toast.tsx";
import { jobReadKey } from "../jobs/permissions.ts";
import { useTRPC } from "../trpc.ts";
import { browserZone, formatWhen, inZone } from "./format.ts";
import { cronKeys } from "./permissions.ts";
import { RunHistory } from "./run-history.tsx";
import { cronRights, ScheduleActions } from "./schedule-actions.tsx";
import { ScheduleForm } from "./schedule-form.tsx";
import type { CronDraft, CronView } from "./types.ts";

/** Schedules fire on their own, and others may change them: the list is refreshed while it is shown. */
const REFRESH_MS = 5000;

const COLUMNS: Column<CronView>[] = [
  {
    key: "name",
    header: "Schedule",
    hideable: false,
    cell: (c) => (
      <>
        <div className="font-mono font-medium">{c.name}</div>
        <div className="text-xs text-slate-600 dark:text-slate-400">
          {c.appId}
          {c.source === "manifest" ? " · from the manifest" : ""}
        </div>
      </>
    ),
  },
  { key: "schedule", header: "When", cell: (c) => <span className="font-mono whitespace-nowrap">{c.schedule}</span> },
  { key: "timezone", header: "Time zone", cell: (c) => <span className="whitespace-nowrap">{c.timezone}</span> },
  { key: "next", header: "Next fire", cell: (c) => <span className="whitespace-nowrap" data-testid="cron-next">{c.nextRunAt ? inZone(c.nextRunAt, c.timezone) : "—"}</span> },
  { key: "overlap", header: "Overlap", cell: (c) => c.overlapPolicy },
  {
    key: "enabled",
    header: "State",
    cell: (c) => (
      <Badge tone={c.enabled ? "success" : "neutral"} data-testid="cron-state">
        {c.enabled ? "enabled" : "disabled"}
      </Badge>
    ),
  },
  { key: "updated", header: "Changed", cell: (c) => <span className="text-slate-600 dark:text-slate-400">{formatWhen(c.updatedAt)}</span> },
];

function draftOf(c: CronView): CronDraft {
  return { appId: c.appId, name: c.name, schedule: c.schedule, timezone: c.timezone, payloadText: JSON.stringify(c.payload ?? {}, null, 2), overlapPolicy: c.overlapPolicy, enabled: c.enabled };
}

type Panel = { kind: "create" } | { kind: "edit"; cron: CronView } | { kind: "runs"; cron: CronView };

/**
 * Schedules across every app the caller may read them in (`crons.listAll`), or one app's (`?app=`): create and
 * edit with the next fire times, run history, run now, enable/disable and delete.
 */
function SchedulesPanel() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const appFilter = params.get("app") ?? "";
  const { state } = useSession();
  const me = state.status === "authenticated" ? state.user.id : undefined;
  const perms = usePermissions();
  const apps = useQuery(trpc.apps.list.queryOptions());
  const readable = (apps.data ?? []).map((a) => a.id).filter((id) => perms.can(cronKeys(id).read));
  const writable = readable.filter((id) => perms.can(cronKeys(id).write));
  const filterOk = appFilter === "" || readable.includes(appFilter);
  const all = useQuery(trpc.crons.listAll.queryOptions(undefined, { enabled: appFilter === "", refetchInterval: REFRESH_MS }));
  const one = useQuery(trpc.crons.list.queryOptions({ appId: appFilter }, { enabled: appFilter !== "" && perms.ready && filterOk, refetchInterval: REFRESH_MS }));
  const list = appFilter === "" ? all : one;
  const [panel, setPanel] = useState<Panel>();
  const create = useMutation(trpc.crons.create.mutationOptions());
  const update = useMutation(trpc.crons.update.mutationOptions());

  const refresh = () => Promise.all([qc.invalidateQueries({ queryKey: trpc.crons.listAll.queryKey() }), qc.invalidateQueries({ queryKey: trpc.crons.list.queryKey() }), qc.invalidateQueries({ queryKey: trpc.crons.runs.queryKey() })]);
  const selectApp = (id: string) => router.replace(id ? `${pathname}?app=${encodeURIComponent(id)}` : pathname);
  const newDraft: CronDraft = { appId: appFilter && writable.includes(appFilter) ? appFilter : (writable.length === 1 ? writable[0]! : ""), name: "", schedule: "", timezone: browserZone(), payloadText: "{}", overlapPolicy: "skip", enabled: true };
  const shownRuns = panel?.kind === "runs" ? (list.data?.find((c) => c.id === panel.cron.id) ?? panel.cron) : undefined;

  return (
    <section className="min-w-0 space-y-6">
      <PageHeader
        title="Schedules"
        breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Schedules" }]}
        description="Cron schedules enqueue a job for the app's onJob at each tick, in their own time zone. Each tick fires once, whichever Core runs it."
        actions={
          <Button disabledReason={!perms.ready || writable.length > 0 ? undefined : "Requires the permission app:{app}:cron.write on an app."} onClick={() => setPanel({ kind: "create" })}>
            New schedule
          </Button>
        }
      />
      <div className="max-w-xs">
        <FormField kind="select" label="App" name="app" value={appFilter} options={[{ value: "", label: "All apps" }, ...readable.map((id) => ({ value: id, label: id }))]} onChange={(e) => selectApp(e.target.value)} />
      </div>
      {!filterOk && perms.ready && apps.isSuccess ? (
        <FormError>{`You may not read the schedules of ${appFilter}: that needs the permission ${cronKeys(appFilter).read}.`}</FormError>
      ) : list.isError ? (
        <FormError>{errorSentence(list.error)}</FormError>
      ) : (
        <DataTable
          label={appFilter ? `Schedules of ${appFilter}` : "Schedules"}
          columns={COLUMNS}
          rows={list.data}
          loading={list.isPending}
          rowKey={(c) => c.id}
          rowProps={(c) => ({ "data-testid": `cron-row-${c.appId}-${c.name}` })}
          actions={(c) => (
            <ScheduleActions cron={c} rights={cronRights(c, me, perms.can)} onRuns={() => setPanel({ kind: "runs", cron: c })} onEdit={() => setPanel({ kind: "edit", cron: c })} onChanged={refresh} />
          )}
          empty={readable.length === 0 && perms.ready ? "No app lets you read its schedules (app:{app}:cron.read)." : "No schedule yet."}
        />
      )}

      <SlideOver open={panel?.kind === "create"} title="New schedule" description="It runs as you: its jobs act with your permissions." onClose={() => setPanel(undefined)}>
        {panel?.kind === "create" && (
          <ScheduleForm
            mode="create"
            initial={newDraft}
            apps={writable}
            onCancel={() => setPanel(undefined)}
            onSubmit={async (d, payload) => {
              const made = await create.mutateAsync({ appId: d.appId, name: d.name, schedule: d.schedule, timezone: d.timezone, payload, overlapPolicy: d.overlapPolicy, enabled: d.enabled });
              toast.success(`Schedule ${d.name} created.`);
              await refresh();
              setPanel({ kind: "runs", cron: made });
            }}
          />
        )}
      </SlideOver>
      <SlideOver open={panel?.kind === "edit"} title={panel?.kind === "edit" ? `Edit ${panel.cron.name}` : "Edit schedule"} onClose={() => setPanel(undefined)}>
        {panel?.kind === "edit" && (
          <ScheduleForm
            mode="edit"
            initial={draftOf(panel.cron)}
            apps={[]}
            onCancel={() => setPanel(undefined)}
            onSubmit={async (d, payload) => {
              await update.mutateAsync({ appId: d.appId, cronId: panel.cron.id, schedule: d.schedule, timezone: d.timezone, payload, overlapPolicy: d.overlapPolicy, enabled: d.enabled });
              toast.success(`Schedule ${d.name} saved.`);
              await refresh();
              setPanel(undefined);
            }}
          />
        )}
      </SlideOver>
      <SlideOver open={shownRuns !== undefined} title={shownRuns ? `Runs of ${shownRuns.name}` : "Runs"} description={shownRuns ? `${shownRuns.schedule} (${shownRuns.timezone}) in ${shownRuns.appId}` : undefined} onClose={() => setPanel(undefined)}>
        {shownRuns && <RunHistory cron={shownRuns} mayReadJobs={perms.can(jobReadKey(shownRuns.appId))} />}
      </SlideOver>
    </section>
  );
}

/** useSearchParams needs a Suspense boundary in a statically rendered page. */
export default function SchedulesPage() {
  return (
    <Suspense>
      <SchedulesPanel />
    </Suspense>
  );
}
