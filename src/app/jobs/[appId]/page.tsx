"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams, usePathname, useRouter, useSearchParams } from "next/navigation";
import { Suspense, useState } from "react";
import { errorSentence } from "../../components/api-error.ts";
import { FormError, FormField } from "../../components/form-field.tsx";
import { PageHeader } from "../../components/page-header.tsx";
import { forbiddenReason, usePermissions } from "../../components/permissions.tsx";
import { SlideOver } from "../../components/slide-over.tsx";
import { useTRPC } from "../../trpc.ts";
import { DeadLetters } from "../dead-letters.tsx";
import { isJobState, JOB_STATES, type JobState } from "../format.ts";
import { JobActions } from "../job-actions.tsx";
import { JobDetails } from "../job-details.tsx";
import { JobStats } from "../job-stats.tsx";
import { JobsTable } from "../jobs-table.tsx";
import { jobManageKey, jobReadKey } from "../permissions.ts";

/** The console refreshes on this beat while the tab is visible (React Query pauses it in a background tab). */
const REFRESH_MS = 3000;
const WINDOWS = [15, 60, 180] as const;

/**
 * One app's job queue: counts and rates per state, wait and run times, the jobs (filtered by state, with
 * details), retry and cancel, and the dead letters with replay. The state and the open job live in the URL.
 */
function JobsConsole() {
  const { appId } = useParams<{ appId: string }>();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const perms = usePermissions();
  const mayRead = perms.can(jobReadKey(appId));
  const manageReason = perms.can(jobManageKey(appId)) ? undefined : forbiddenReason(jobManageKey(appId));
  const stateParam = params.get("state");
  const state: JobState | undefined = isJobState(stateParam) ? stateParam : undefined;
  const openJob = params.get("job") ?? undefined;
  const [windowMinutes, setWindowMinutes] = useState<number>(60);
  const live = perms.ready && mayRead;
  const stats = useQuery(trpc.jobs.stats.queryOptions({ appId, windowMinutes }, { enabled: live, refetchInterval: REFRESH_MS }));
  const detail = useQuery(trpc.jobs.get.queryOptions({ appId, msgId: openJob ?? "0" }, { enabled: live && openJob !== undefined, refetchInterval: REFRESH_MS }));

  const setParam = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params.toString());
    if (value === undefined) next.delete(key);
    else next.set(key, value);
    const q = next.toString();
    router.replace(q ? `${pathname}?${q}` : pathname, { scroll: false });
  };
  const refresh = () => Promise.all([qc.invalidateQueries({ queryKey: trpc.jobs.list.infiniteQueryKey() }), qc.invalidateQueries({ queryKey: trpc.jobs.stats.queryKey() }), qc.invalidateQueries({ queryKey: trpc.jobs.get.queryKey() })]);

  return (
    <section className="min-w-0 space-y-6">
      <PageHeader
        title={`Jobs of ${appId}`}
        breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Jobs", href: "/jobs" }, { label: appId }]}
        description="Jobs reach the app's onJob on the worker of the user they run as. A failed attempt is retried with backoff; when the attempts run out the job is dead until replayed."
        actions={
          <div className="w-44">
            <FormField kind="select" label="Window" name="window" value={String(windowMinutes)} options={WINDOWS.map((w) => ({ value: String(w), label: w < 60 ? `${w} minutes` : `${w / 60} hour${w > 60 ? "s" : ""}` }))} onChange={(e) => setWindowMinutes(Number(e.target.value))} />
          </div>
        }
      />
      {perms.ready && !mayRead ? (
        <FormError>{`You may not see the jobs of ${appId}: that needs the permission ${jobReadKey(appId)}.`}</FormError>
      ) : (
        <>
          {stats.isError && <FormError>{errorSentence(stats.error)}</FormError>}
          <JobStats stats={stats.data} windowMinutes={windowMinutes} selected={state} onSelect={(s) => setParam("state", s)} />
          <section aria-labelledby="jobs-list-title" className="min-w-0 space-y-3">
            <div className="flex flex-wrap items-end justify-between gap-2">
              <h2 id="jobs-list-title" className="text-lg font-semibold">
                Jobs
              </h2>
              <div className="w-48">
                <FormField kind="select" label="Jobs in state" name="state" value={state ?? ""} options={[{ value: "", label: "Every state" }, ...JOB_STATES.map((s) => ({ value: s, label: s }))]} onChange={(e) => setParam("state", e.target.value || undefined)} />
              </div>
            </div>
            {live && (
              <JobsTable
                appId={appId}
                state={state}
                label={state ? `Jobs of ${appId} in state ${state}` : `Jobs of ${appId}`}
                refreshMs={REFRESH_MS}
                manageReason={manageReason}
                onOpen={(j) => setParam("job", j.msgId)}
                onChanged={refresh}
                empty={state ? `No ${state} job.` : "No job yet. Jobs come from POST /api/v1/apps/{id}/jobs, schedules, entity hooks and the app's own code."}
              />
            )}
          </section>
          {live && <DeadLetters appId={appId} deadCount={stats.data?.counts.dead} refreshMs={REFRESH_MS} manageReason={manageReason} onOpen={(j) => setParam("job", j.msgId)} onChanged={refresh} />}
        </>
      )}
      <SlideOver open={openJob !== undefined} title={`Job #${openJob ?? ""}`} description={appId} onClose={() => setParam("job", undefined)}>
        {detail.isError ? (
          <FormError>{errorSentence(detail.error)}</FormError>
        ) : detail.data ? (
          <div className="space-y-4">
            <JobActions job={detail.data} manageReason={manageReason} onChanged={refresh} />
            <JobDetails job={detail.data} />
          </div>
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-400">Loading…</p>
        )}
      </SlideOver>
    </section>
  );
}

/** useSearchParams needs a Suspense boundary. */
export default function JobsConsolePage() {
  return (
    <Suspense>
      <JobsConsole />
    </Suspense>
  );
}
