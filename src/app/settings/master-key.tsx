"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import { SettingsCard } from "./card.tsx";

/** Rotates the vault's master key (POST /platform/vault/rotate) after a confirmation. */
export function MasterKeyRotation() {
  const trpc = useTRPC();
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  // What the operator must still do (an env-managed key), kept on the page: a toast would fade.
  const [action, setAction] = useState<string | null>(null);
  const rotate = useMutation(trpc.secrets.rotate.mutationOptions());

  return (
    <SettingsCard
      title="Master key"
      description="Every secret is sealed under the vault's master key. Rotating makes a new key and re-encrypts every secret with it."
    >
      <Button type="button" variant="secondary" onClick={() => setConfirming(true)} disabled={rotate.isPending}>
        {rotate.isPending ? "Rotating…" : "Rotate master key"}
      </Button>
      {action && (
        <p role="note" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200">
          {action}
        </p>
      )}
      <ConfirmDialog
        open={confirming}
        title="Rotate the master key?"
        confirmLabel="Rotate"
        destructive={false}
        onCancel={() => setConfirming(false)}
        onConfirm={async () => {
          try {
            const r = await rotate.mutateAsync({});
            toast.success(`Master key rotated to version ${r.version}: ${r.reencrypted} secret${r.reencrypted === 1 ? "" : "s"} re-encrypted${r.unreadable ? `, ${r.unreadable} unreadable` : ""}.`);
            setAction(r.action);
          } catch (err) {
            toast.error(err, "Rotation failed");
          } finally {
            setConfirming(false);
          }
        }}
      >
        A new key is generated and every secret is re-encrypted with it. The old key stops working once this finishes; keep the new key
        file (or environment value) safe.
      </ConfirmDialog>
    </SettingsCard>
  );
}
