"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import type { JobView } from "./types.ts";

/**
 * What the jobs service allows: a job that stopped without success can be run again; one not finished can be
 * cancelled (a running one ends cancelled when its worker answers: the worker is not interrupted).
 */
const RETRYABLE: ReadonlySet<string> = new Set(["failed", "dead", "cancelled"]);
const CANCELLABLE: ReadonlySet<string> = new Set(["queued", "failed", "running"]);

/** Retry (at once) and cancel (confirmed) for one job; absent where the state does not allow them. */
export function JobActions({ job, manageReason, onChanged }: { job: JobView; manageReason: string | undefined; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const [cancelling, setCancelling] = useState(false);
  const retry = useMutation(trpc.jobs.retry.mutationOptions());
  const cancel = useMutation(trpc.jobs.cancel.mutationOptions());
  const ids = { appId: job.appId, msgId: job.msgId };

  return (
    <div className="flex gap-2">
      {RETRYABLE.has(job.state) && (
        <Button
          type="button"
          variant="secondary"
          disabledReason={manageReason}
          disabled={retry.isPending}
          aria-label={`Retry job ${job.msgId}`}
          onClick={async () => {
            try {
              await retry.mutateAsync(ids);
              toast.success(`Job #${job.msgId} queued to run again.`);
              await onChanged();
            } catch (err) {
              toast.error(err);
            }
          }}
        >
          Retry
        </Button>
      )}
      {CANCELLABLE.has(job.state) && !job.cancelRequested && (
        <Button type="button" variant="danger" disabledReason={manageReason} aria-label={`Cancel job ${job.msgId}`} onClick={() => setCancelling(true)}>
          Cancel
        </Button>
      )}
      <ConfirmDialog
        open={cancelling}
        title={`Cancel job #${job.msgId}?`}
        confirmLabel="Cancel job"
        onCancel={() => setCancelling(false)}
        onConfirm={async () => {
          try {
            await cancel.mutateAsync(ids);
            setCancelling(false);
            toast.success(`Job #${job.msgId} cancelled.`);
            await onChanged();
          } catch (err) {
            toast.error(err);
          }
        }}
      >
        {job.state === "running"
          ? "It is running now: the worker is not interrupted, and the job ends cancelled when it answers. It can be retried later."
          : "It will not run. It stays listed as cancelled and can be retried later."}
      </ConfirmDialog>
    </div>
  );
}
