"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState, type FormEvent } from "react";
import type { AppRouter } from "../../../client/index.ts";
import { errorSentence } from "../../components/api-error.ts";
import { Badge } from "../../components/badge.tsx";
import { Button } from "../../components/button.tsx";
import { ConfirmDialog } from "../../components/confirm-dialog.tsx";
import { DataTable, type Column } from "../../components/data-table.tsx";
import { FormError, FormField } from "../../components/form-field.tsx";
import { useCan } from "../../components/permissions.tsx";
import { SlideOver } from "../../components/slide-over.tsx";
import { useToast } from "../../components/toast.tsx";
import { useFormErrors } from "../../components/use-form-errors.ts";
import { useTRPC } from "../../trpc.ts";

type Outputs = inferRouterOutputs<AppRouter>["publicShares"];
type Share = Outputs["list"][number];
type MadeShare = Outputs["create"];

const FIELDS = ["context", "expiresInDays"] as const;
const MAX_DAYS = 365;

function stateOf(s: Share): "revoked" | "expired" | "active" {
  if (s.revoked) return "revoked";
  if (s.expiresAt && new Date(s.expiresAt).getTime() <= Date.now()) return "expired";
  return "active";
}
const STATE_TONE = { active: "success", expired: "warning", revoked: "neutral" } as const;

const COLUMNS: Column<Share>[] = [
  { key: "token", header: "Token", hideable: false, cell: (s) => <span className="font-mono">{s.tokenPrefix}…</span> },
  { key: "context", header: "Context", cell: (s) => <code className="font-mono text-xs break-all">{JSON.stringify(s.context)}</code> },
  {
    key: "created",
    header: "Created",
    cell: (s) => (
      <>
        <div>{new Date(s.createdAt).toLocaleString()}</div>
        <div className="text-xs break-all text-slate-600 dark:text-slate-400">by {s.createdBy.email}</div>
      </>
    ),
  },
  { key: "expires", header: "Expires", cell: (s) => (s.expiresAt ? new Date(s.expiresAt).toLocaleString() : "never") },
  {
    key: "state",
    header: "State",
    cell: (s) => (
      <Badge tone={STATE_TONE[stateOf(s)]} data-testid="share-state">
        {stateOf(s)}
      </Badge>
    ),
  },
];

/** The context a share is bound to: a JSON object, checked here so a typo reads as a sentence, not a 400. */
function parseContext(text: string): { value: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `The context is not valid JSON: ${err instanceof SyntaxError ? err.message : "it cannot be read"}.` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { error: 'The context must be a JSON object, e.g. {"board_id": "…"}.' };
  return { value: value as Record<string, unknown> };
}

/**
 * An app's public shares (spec §2.19): links that let anyone holding them open the app's frontend and call its
 * public RPCs for one context, read-only, as the share's creator. Shown only to holders of `app:{id}:public.share`.
 */
export function PublicShares({ appId }: { appId: string }) {
  const canShare = useCan(`app:${appId}:public.share`);
  return canShare ? <SharesSection appId={appId} /> : null;
}

function SharesSection({ appId }: { appId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const shares = useQuery(trpc.publicShares.list.queryOptions({ appId }));
  const revoke = useMutation(trpc.publicShares.revoke.mutationOptions());
  const [creating, setCreating] = useState(false);
  const [made, setMade] = useState<MadeShare>();
  const [revoking, setRevoking] = useState<Share>();

  const refresh = () => qc.invalidateQueries({ queryKey: trpc.publicShares.list.queryKey({ appId }) });
  const close = () => {
    setCreating(false);
    setMade(undefined);
  };

  return (
    <section aria-labelledby="shares-heading" className="min-w-0 space-y-3" data-testid="public-shares">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="shares-heading" className="text-lg font-semibold">
          Public shares
        </h2>
        <Button onClick={() => setCreating(true)}>Create share</Button>
      </div>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        A share link opens this app for someone without an account; it may call only the app&apos;s public RPCs whose scope matches the share&apos;s context, read-only, as you.
      </p>
      {shares.isError ? (
        <FormError>{errorSentence(shares.error)}</FormError>
      ) : (
        <DataTable
          label={`Public shares of ${appId}`}
          columns={COLUMNS}
          rows={shares.data}
          loading={shares.isPending}
          rowKey={(s) => s.id}
          rowProps={(s) => ({ "data-testid": `share-row-${s.tokenPrefix}` })}
          actions={(s) =>
            stateOf(s) === "active" ? (
              <Button variant="danger" aria-label={`Revoke share ${s.tokenPrefix}`} onClick={() => setRevoking(s)}>
                Revoke
              </Button>
            ) : null
          }
          empty="No active share: revoked and expired ones are not listed."
        />
      )}

      <SlideOver open={creating} title="Create public share" description={`Anyone holding the link can open ${appId} for this context.`} onClose={close}>
        {made ? (
          <ShareLink share={made} onDone={close} />
        ) : (
          creating && (
            <CreateShareForm
              appId={appId}
              onCreated={async (share) => {
                setMade(share);
                await refresh();
              }}
            />
          )
        )}
      </SlideOver>
      <ConfirmDialog
        open={revoking !== undefined}
        title={`Revoke share ${revoking?.tokenPrefix ?? ""}…?`}
        confirmLabel="Revoke share"
        onCancel={() => setRevoking(undefined)}
        onConfirm={async () => {
          const s = revoking;
          setRevoking(undefined);
          if (!s) return;
          try {
            await revoke.mutateAsync({ appId, shareId: s.id });
            toast.success(`Share ${s.tokenPrefix}… revoked; its link no longer opens.`);
            await refresh();
          } catch (err) {
            toast.error(err, "Could not revoke the share");
          }
        }}
      >
        Its link stops working at once, for everyone who has it. This cannot be undone; a new share makes a new link.
      </ConfirmDialog>
    </section>
  );
}

function CreateShareForm({ appId, onCreated }: { appId: string; onCreated: (share: MadeShare) => Promise<void> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const create = useMutation(trpc.publicShares.create.mutationOptions());
  const { errors, fail, set, clear } = useFormErrors(FIELDS);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const daysText = String(form.get("expiresInDays") ?? "").trim();
    clear();
    const context = parseContext(String(form.get("context") ?? ""));
    if ("error" in context) return set("context", context.error);
    const days = daysText === "" ? undefined : Number(daysText);
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > MAX_DAYS)) return set("expiresInDays", `Enter a whole number of days from 1 to ${MAX_DAYS}, or leave it empty.`);
    try {
      const share = await create.mutateAsync({ appId, context: context.value, expiresInDays: days });
      toast.success("Share created. Copy its link now: it is shown only once.");
      await onCreated(share);
    } catch (err) {
      fail(err);
    }
  }

  return (
    <form noValidate onSubmit={submit} aria-label="Create public share" className="space-y-3">
      <FormField
        kind="textarea"
        label="Context (JSON object)"
        name="context"
        rows={6}
        defaultValue={"{}"}
        spellCheck={false}
        className="font-mono"
        hint={'The values the share is bound to; a public RPC\'s scope keys must equal these, e.g. {"board_id": "…"}.'}
        error={errors.fields.context}
        onChange={() => clear("context")}
      />
      <FormField
        kind="number"
        label="Expires in (days)"
        name="expiresInDays"
        min={1}
        max={MAX_DAYS}
        step={1}
        hint="Leave empty for a link that lasts until revoked."
        error={errors.fields.expiresInDays}
        onChange={() => clear("expiresInDays")}
      />
      <FormError>{errors.form}</FormError>
      <Button type="submit" disabled={create.isPending}>
        {create.isPending ? "Creating…" : "Create share"}
      </Button>
    </form>
  );
}

/** The new share's link, shown once: only its hash is kept, so it cannot be listed again. */
function ShareLink({ share, onDone }: { share: MadeShare; onDone: () => void }) {
  const toast = useToast();
  // The Core answers the link under its public URL; a relative one is completed with the Studio's origin.
  const url = new URL(share.url, window.location.origin).toString();

  async function copy() {
    try {
      await navigator.clipboard.writeText(url);
      toast.success("Share link copied.");
    } catch {
      toast.error("The browser refused to copy; select the link and copy it.");
    }
  }

  return (
    <div className="space-y-3" data-testid="share-link">
      <p role="alert" className="rounded-md bg-amber-100 px-3 py-2 text-sm font-medium text-amber-900 dark:bg-amber-950 dark:text-amber-200">
        Copy this link now. It is shown only once: the Core keeps only a hash of its token.
      </p>
      <FormField label="Share link" name="link" readOnly value={url} className="font-mono" onFocus={(e) => e.currentTarget.select()} />
      <div className="flex flex-wrap gap-2">
        <Button type="button" onClick={() => void copy()}>
          Copy link
        </Button>
        <Button type="button" variant="secondary" onClick={onDone}>
          Done
        </Button>
      </div>
    </div>
  );
}
