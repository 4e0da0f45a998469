"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import { errorSentence } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { DataTable } from "../components/data-table.tsx";
import { FormError } from "../components/form-field.tsx";
import { useTRPC } from "../trpc.ts";
import { jobColumns } from "./job-columns.tsx";
import { JobActions } from "./job-actions.tsx";
import type { JobState } from "./format.ts";
import type { JobView } from "./types.ts";

const PAGE = 50;

/** One page after another of the app's jobs (newest first), in one state or all; refreshed on the console's beat. */
export function JobsTable({ appId, state, label, refreshMs, manageReason, onOpen, onChanged, empty }: { appId: string; state: JobState | undefined; label: string; refreshMs: number; manageReason: string | undefined; onOpen: (job: JobView) => void; onChanged: () => Promise<unknown>; empty: string }) {
  const trpc = useTRPC();
  const jobs = useInfiniteQuery(
    trpc.jobs.list.infiniteQueryOptions({ appId, ...(state ? { state } : {}), limit: PAGE }, { getNextPageParam: (last) => last.nextCursor ?? undefined, refetchInterval: refreshMs }),
  );
  if (jobs.isError) return <FormError>{errorSentence(jobs.error)}</FormError>;
  const rows = jobs.data?.pages.flatMap((p) => p.items);
  return (
    <div className="min-w-0 space-y-2">
      <DataTable
        label={label}
        columns={jobColumns(onOpen)}
        rows={rows}
        loading={jobs.isPending}
        rowKey={(j) => j.msgId}
        rowProps={(j) => ({ "data-testid": `job-row-${j.msgId}`, "data-state": j.state })}
        actions={(j) => <JobActions job={j} manageReason={manageReason} onChanged={onChanged} />}
        empty={empty}
      />
      {jobs.hasNextPage && (
        <Button type="button" variant="secondary" disabled={jobs.isFetchingNextPage} onClick={() => void jobs.fetchNextPage()}>
          {jobs.isFetchingNextPage ? "Loading…" : "Load more"}
        </Button>
      )}
    </div>
  );
}
