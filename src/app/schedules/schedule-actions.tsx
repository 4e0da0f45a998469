"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { forbiddenReason } from "../components/permissions.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import type { CronView } from "./types.ts";

export interface CronRights {
  /** cron.write on the app and the schedule is the caller's (or they hold cron.manage_others). */
  write: string | undefined;
  /** cron.trigger on the app, and the same ownership. */
  trigger: string | undefined;
}

/** Why a control is disabled, or undefined when it may be used: spec §2.9's key plus its ownership rule. */
export function cronRights(cron: CronView, me: string | undefined, can: (key: string) => boolean): CronRights {
  const keys = { write: `app:${cron.appId}:cron.write`, trigger: `app:${cron.appId}:cron.trigger`, others: `app:${cron.appId}:cron.manage_others` };
  const owns = cron.createdBy !== null && cron.createdBy === me;
  const ownership = owns || can(keys.others) ? undefined : `Made by someone else: requires the permission ${keys.others}.`;
  return {
    write: can(keys.write) ? ownership : forbiddenReason(keys.write),
    trigger: can(keys.trigger) ? ownership : forbiddenReason(keys.trigger),
  };
}

/** A schedule's row buttons: its runs, edit, run now, enable/disable and delete (confirmed). */
export function ScheduleActions({ cron, rights, onRuns, onEdit, onChanged }: { cron: CronView; rights: CronRights; onRuns: () => void; onEdit: () => void; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const [deleting, setDeleting] = useState(false);
  const trigger = useMutation(trpc.crons.trigger.mutationOptions());
  const update = useMutation(trpc.crons.update.mutationOptions());
  const remove = useMutation(trpc.crons.remove.mutationOptions());
  const ids = { appId: cron.appId, cronId: cron.id };

  async function runNow() {
    try {
      const r = await trigger.mutateAsync(ids);
      toast.success(`Schedule ${cron.name} triggered: job #${r.msgId} enqueued.`);
      await onChanged();
    } catch (err) {
      toast.error(err);
    }
  }

  async function toggle() {
    try {
      await update.mutateAsync({ ...ids, enabled: !cron.enabled });
      toast.success(`Schedule ${cron.name} ${cron.enabled ? "disabled" : "enabled"}.`);
      await onChanged();
    } catch (err) {
      toast.error(err);
    }
  }

  return (
    <div className="flex gap-2">
      <Button type="button" variant="secondary" onClick={onRuns} aria-label={`Runs of ${cron.name}`}>
        Runs
      </Button>
      <Button type="button" variant="secondary" disabledReason={rights.write} onClick={onEdit} aria-label={`Edit ${cron.name}`}>
        Edit
      </Button>
      <Button type="button" variant="secondary" disabledReason={rights.trigger} disabled={trigger.isPending} onClick={() => void runNow()} aria-label={`Run ${cron.name} now`}>
        Run now
      </Button>
      <Button type="button" variant="secondary" disabledReason={rights.write} disabled={update.isPending} onClick={() => void toggle()} aria-label={`${cron.enabled ? "Disable" : "Enable"} ${cron.name}`}>
        {cron.enabled ? "Disable" : "Enable"}
      </Button>
      <Button type="button" variant="danger" disabledReason={rights.write} onClick={() => setDeleting(true)} aria-label={`Delete ${cron.name}`}>
        Delete
      </Button>
      <ConfirmDialog
        open={deleting}
        title={`Delete schedule ${cron.name}?`}
        confirmLabel="Delete schedule"
        onCancel={() => setDeleting(false)}
        onConfirm={async () => {
          try {
            await remove.mutateAsync(ids);
            setDeleting(false);
            toast.success(`Schedule ${cron.name} deleted.`);
            await onChanged();
          } catch (err) {
            toast.error(err);
          }
        }}
      >
        It stops firing at once. Jobs it already enqueued still run; its run history goes with it.
      </ConfirmDialog>
    </div>
  );
}
