"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import { JobsTable } from "./jobs-table.tsx";
import type { JobView } from "./types.ts";

/** Jobs whose attempts ran out, and replaying them all as new jobs (each keeps its payload and runs as before). */
export function DeadLetters({ appId, deadCount, refreshMs, manageReason, onOpen, onChanged }: { appId: string; deadCount: number | undefined; refreshMs: number; manageReason: string | undefined; onOpen: (job: JobView) => void; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  const replay = useMutation(trpc.jobs.replayDead.mutationOptions());
  const none = deadCount === 0 ? "There is no dead job to replay." : undefined;

  return (
    <section aria-labelledby="dead-letters-title" className="min-w-0 space-y-3" data-testid="dead-letters">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <h2 id="dead-letters-title" className="text-lg font-semibold">
            Dead letters
          </h2>
          <p className="text-sm text-slate-600 dark:text-slate-400">Jobs that failed on every attempt. Fix the cause, then replay them.</p>
        </div>
        <Button type="button" disabledReason={manageReason ?? none} onClick={() => setConfirming(true)}>
          Replay dead jobs
        </Button>
      </div>
      <JobsTable appId={appId} state="dead" label={`Dead letters of ${appId}`} refreshMs={refreshMs} manageReason={manageReason} onOpen={onOpen} onChanged={onChanged} empty="No dead job." />
      <ConfirmDialog
        open={confirming}
        title={`Replay the dead jobs of ${appId}?`}
        confirmLabel="Replay"
        destructive={false}
        onCancel={() => setConfirming(false)}
        onConfirm={async () => {
          try {
            const r = await replay.mutateAsync({ appId });
            setConfirming(false);
            toast.success(r.replayed === 1 ? "1 dead job queued again." : `${r.replayed} dead jobs queued again.`);
            await onChanged();
          } catch (err) {
            toast.error(err);
          }
        }}
      >
        {deadCount === undefined ? "Every dead job" : deadCount === 1 ? "The dead job" : `All ${deadCount} dead jobs`} will be queued again with a fresh count of attempts, with the same payload and
        owner. If the cause is not fixed they fail again.
      </ConfirmDialog>
    </section>
  );
}
