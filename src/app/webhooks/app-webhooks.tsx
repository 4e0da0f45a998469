"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Badge } from "../components/badge.tsx";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { FormError } from "../components/form-field.tsx";
import { forbiddenReason, useCan } from "../components/permissions.tsx";
import { SlideOver } from "../components/slide-over.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import { CopyButton } from "./copy-button.tsx";
import { absoluteUrl, formatWhen, statusTone } from "./format.ts";
import { OneTimeUrl } from "./one-time-url.tsx";
import { webhookManageKey } from "./permissions.ts";
import { SignatureToggle } from "./signature-toggle.tsx";
import type { WebhookView } from "./types.ts";
import { WebhookCalls } from "./webhook-calls.tsx";

const COLUMNS: Column<WebhookView>[] = [
  {
    key: "name",
    header: "Webhook",
    hideable: false,
    cell: (w) => (
      <>
        <div className="font-mono font-medium">{w.name}</div>
        <div className="text-xs text-slate-600 dark:text-slate-400">calls {w.method}</div>
      </>
    ),
  },
  {
    key: "url",
    header: "URL",
    width: 320,
    cell: (w) => (
      <div className="flex items-center gap-2">
        <span className="break-all font-mono text-xs" data-testid="webhook-url-prefix">
          {absoluteUrl(w.url)}
        </span>
        <CopyButton text={absoluteUrl(w.url)} what={`URL prefix of ${w.name}`} />
      </div>
    ),
  },
  {
    key: "signature",
    header: "Signature",
    cell: (w) => (
      <Badge tone={w.requireSignature ? "success" : "warning"} data-testid="webhook-signature">
        {w.requireSignature ? (w.signatureRequiredBy === "manifest" ? "required by manifest" : "required") : "optional"}
      </Badge>
    ),
  },
  {
    key: "last",
    header: "Last call",
    cell: (w) =>
      w.lastCall ? (
        <span className="whitespace-nowrap" data-testid="webhook-last-call">
          <Badge tone={statusTone(w.lastCall.status)}>{String(w.lastCall.status)}</Badge> {formatWhen(w.lastCall.at)} · {w.lastCall.durationMs} ms
        </span>
      ) : (
        <span className="text-slate-600 dark:text-slate-400">never called</span>
      ),
  },
];

type Rotated = { name: string; url: string; secret?: string | null };

/** One app's inbound webhooks: their URL prefix, whether a signature is required, the last call, calls and rotate. */
export function AppWebhooks({ appId }: { appId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const manageReason = useCan(webhookManageKey(appId)) ? undefined : forbiddenReason(webhookManageKey(appId));
  const hooks = useQuery(trpc.webhooks.list.queryOptions({ appId }, { refetchInterval: 10_000 }));
  const rotate = useMutation(trpc.webhooks.rotate.mutationOptions());
  const [confirming, setConfirming] = useState<WebhookView>();
  const [rotated, setRotated] = useState<Rotated>();
  const [calls, setCalls] = useState<WebhookView>();
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey({ appId }) });

  return (
    <section aria-labelledby={`webhooks-${appId}`} className="min-w-0 space-y-3" data-testid={`webhooks-${appId}`}>
      <h2 id={`webhooks-${appId}`} className="font-mono text-lg font-semibold">
        {appId}
      </h2>
      {rotated && <OneTimeUrl name={rotated.name} url={rotated.url} secret={rotated.secret} onDone={() => setRotated(undefined)} />}
      {hooks.isError ? (
        <FormError>{errorSentence(hooks.error)}</FormError>
      ) : (
        <DataTable
          label={`Webhooks of ${appId}`}
          columns={COLUMNS}
          rows={hooks.data}
          loading={hooks.isPending}
          rowKey={(w) => w.id}
          rowProps={(w) => ({ "data-testid": `webhook-row-${w.name}` })}
          actions={(w) => (
            <div className="flex gap-2">
              <Button type="button" variant="secondary" onClick={() => setCalls(w)} aria-label={`Calls of ${w.name}`}>
                Calls
              </Button>
              <SignatureToggle appId={appId} hook={w} manageReason={manageReason} onChanged={refresh} />
              <Button type="button" variant="danger" disabledReason={manageReason} onClick={() => setConfirming(w)} aria-label={`Rotate ${w.name}`}>
                Rotate
              </Button>
            </div>
          )}
          empty="This app declares no webhook (manifest webhooks)."
        />
      )}
      <ConfirmDialog
        open={confirming !== undefined}
        title={`Rotate the URL of ${confirming?.name ?? "the webhook"}?`}
        confirmLabel="Rotate URL"
        onCancel={() => setConfirming(undefined)}
        onConfirm={async () => {
          const w = confirming;
          if (!w) return;
          try {
            const r = await rotate.mutateAsync({ appId, webhookId: w.id });
            setConfirming(undefined);
            setRotated({ name: w.name, url: r.url, secret: r.secret });
            toast.success(`Webhook ${w.name} has a new URL.`);
            await refresh();
          } catch (err) {
            toast.error(err);
          }
        }}
      >
        The current URL stops working at once: every sender must be given the new one, which is shown only once.
      </ConfirmDialog>
      <SlideOver open={calls !== undefined} title={calls ? `Calls of ${calls.name}` : "Calls"} description={calls ? `${appId}, newest first` : undefined} onClose={() => setCalls(undefined)}>
        {calls && <WebhookCalls appId={appId} webhookId={calls.id} name={calls.name} />}
      </SlideOver>
    </section>
  );
}
