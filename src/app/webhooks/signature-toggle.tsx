"use client";
import { useMutation } from "@tanstack/react-query";
import { Button } from "../components/button.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import type { WebhookView } from "./types.ts";

/**
 * Requires or stops requiring a valid signature on the webhook's calls (`webhooks.update`). A manifest that
 * demands signatures cannot be overridden here, so the button then says why it is disabled.
 */
export function SignatureToggle({ appId, hook, manageReason, onChanged }: { appId: string; hook: WebhookView; manageReason: string | undefined; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const update = useMutation(trpc.webhooks.update.mutationOptions());
  const fixed = hook.signatureRequiredBy === "manifest" ? "The app's manifest requires a signature; only a new manifest can change that." : undefined;
  const next = !hook.requireSignature;
  return (
    <Button
      type="button"
      variant="secondary"
      disabledReason={manageReason ?? fixed}
      disabled={update.isPending}
      aria-label={`${next ? "Require" : "Stop requiring"} a signature for ${hook.name}`}
      onClick={async () => {
        try {
          await update.mutateAsync({ appId, webhookId: hook.id, requireSignature: next });
          toast.success(next ? `Webhook ${hook.name} now refuses unsigned calls.` : `Webhook ${hook.name} accepts unsigned calls again.`);
          await onChanged();
        } catch (err) {
          toast.error(err);
        }
      }}
    >
      {next ? "Require signature" : "Allow unsigned"}
    </Button>
  );
}
