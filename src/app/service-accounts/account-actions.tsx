"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import type { AccountRow } from "./types.ts";

type Open = "none" | "disable" | "enable" | "delete";

/** One account's row buttons: details, disable/enable and delete, each change behind a confirmation. */
export function AccountActions({ account, onDetails, onChanged }: { account: AccountRow; onDetails: () => void; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const [open, setOpen] = useState<Open>("none");
  const disable = useMutation(trpc.serviceAccounts.disable.mutationOptions());
  const enable = useMutation(trpc.serviceAccounts.enable.mutationOptions());
  const remove = useMutation(trpc.serviceAccounts.remove.mutationOptions());
  const close = () => setOpen("none");

  async function run(action: () => Promise<unknown>, done: string) {
    try {
      await action();
      close();
      toast.success(done);
      await onChanged();
    } catch (err) {
      close();
      toast.error(err);
    }
  }

  return (
    <>
      <Button variant="secondary" onClick={onDetails}>
        Details
      </Button>
      <Button variant="secondary" onClick={() => setOpen(account.disabled ? "enable" : "disable")}>
        {account.disabled ? "Enable" : "Disable"}
      </Button>
      <Button variant="danger" onClick={() => setOpen("delete")}>
        Delete
      </Button>

      <ConfirmDialog
        open={open === "disable"}
        title={`Disable ${account.slug}?`}
        confirmLabel="Disable account"
        onCancel={close}
        onConfirm={() => run(() => disable.mutateAsync({ id: account.id }), `${account.slug} disabled; its keys are refused from now on.`)}
      >
        Every API key of this account is refused at once, on every Core process, until it is enabled again.
      </ConfirmDialog>
      <ConfirmDialog
        open={open === "enable"}
        title={`Enable ${account.slug}?`}
        confirmLabel="Enable account"
        destructive={false}
        onCancel={close}
        onConfirm={() => run(() => enable.mutateAsync({ id: account.id }), `${account.slug} enabled; its unexpired keys work again.`)}
      >
        Its keys that have not expired or been deleted are accepted again, with the permissions of its roles.
      </ConfirmDialog>
      <ConfirmDialog
        open={open === "delete"}
        title={`Delete ${account.slug}?`}
        confirmLabel="Delete account"
        typeToConfirm={account.slug}
        onCancel={close}
        onConfirm={() => run(() => remove.mutateAsync({ id: account.id }), `${account.slug} deleted.`)}
      >
        Its keys, role assignments and act-as delegations go with it; anything still using its keys is refused. This cannot be undone.
      </ConfirmDialog>
    </>
  );
}
