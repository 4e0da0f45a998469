"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { forbiddenReason, useCan } from "../components/permissions.tsx";
import { useToast } from "../components/toast.tsx";
import type { WorkerState } from "../../server/workers/contracts.ts";
import { useTRPC } from "../trpc.ts";
import { WORKERS_MANAGE } from "./worker-permissions.ts";

type Action = "start" | "stop" | "restart";
const DONE: Record<Action, string> = { start: "started", stop: "stopped", restart: "restarted" };

/** Start, stop (after a confirmation) and restart an app's workers, and its live logs. */
export function WorkerActions({ appId, state, onDeploy }: { appId: string; state: WorkerState | undefined; onDeploy: () => void }) {
  const mayManage = useCan(WORKERS_MANAGE);
  const trpc = useTRPC();
  const qc = useQueryClient();
  const mutations = {
    start: useMutation(trpc.workers.start.mutationOptions()),
    stop: useMutation(trpc.workers.stop.mutationOptions()),
    restart: useMutation(trpc.workers.restart.mutationOptions()),
  };
  const toast = useToast();
  const [pending, setPending] = useState<Action | undefined>();
  const [confirmStop, setConfirmStop] = useState(false);
  const active = state === "running" || state === "starting";
  const forbidden = mayManage ? undefined : forbiddenReason(WORKERS_MANAGE);

  async function run(action: Action) {
    setPending(action);
    try {
      await mutations[action].mutateAsync({ appId });
      toast.success(`Workers of ${appId} ${DONE[action]}.`);
    } catch (err) {
      toast.error(err, `The workers of ${appId} could not be ${DONE[action]}`);
    } finally {
      setPending(undefined);
      await qc.invalidateQueries(trpc.workers.pathFilter());
    }
  }

  return (
    <div className="flex flex-wrap items-center gap-2">
      <Button type="button" variant="secondary" disabled={pending !== undefined} disabledReason={forbidden ?? (active ? "Already running." : undefined)} onClick={() => void run("start")}>
        Start
      </Button>
      <Button type="button" variant="secondary" disabled={pending !== undefined} disabledReason={forbidden ?? (active ? undefined : "Not running.")} onClick={() => setConfirmStop(true)}>
        Stop
      </Button>
      <Button type="button" variant="secondary" disabled={pending !== undefined} disabledReason={forbidden} onClick={() => void run("restart")}>
        Restart
      </Button>
      <Button type="button" onClick={onDeploy}>
        Deploy…
      </Button>
      <Link href={`/workers/${appId}/logs`} className="text-sm font-medium text-brand-600 hover:underline dark:text-indigo-300">
        Logs
      </Link>
      <ConfirmDialog
        open={confirmStop}
        title={`Stop the workers of ${appId}?`}
        confirmLabel="Stop workers"
        onConfirm={async () => {
          setConfirmStop(false);
          await run("stop");
        }}
        onCancel={() => setConfirmStop(false)}
      >
        <p>Every process of the app stops: its RPCs, jobs and webhooks fail until it is started again. Calls in flight are cut off.</p>
      </ConfirmDialog>
    </div>
  );
}
