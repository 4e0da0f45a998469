"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Badge } from "../components/badge.tsx";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import { formatWhen } from "./format.ts";
import { NewKeyForm } from "./new-key-form.tsx";
import { OneTimeKey } from "./one-time-key.tsx";
import type { AccountDetails, Credential, NewCredential } from "./types.ts";

const COLUMNS: Column<Credential>[] = [
  {
    key: "key",
    header: "Key",
    hideable: false,
    cell: (c) => (
      <>
        <div className="font-medium">{c.name}</div>
        <div className="font-mono text-xs text-slate-600 dark:text-slate-400">{c.prefix}…</div>
      </>
    ),
  },
  {
    key: "expires",
    header: "Expires",
    cell: (c) => (c.expired ? <Badge tone="danger">expired</Badge> : <span>{formatWhen(c.expiresAt, "—")}</span>),
  },
  { key: "lastUsed", header: "Last use", cell: (c) => <span className="text-slate-600 dark:text-slate-400">{formatWhen(c.lastUsedAt, "never")}</span> },
];

/** The account's API keys: made here (the secret shown once), listed by prefix, deleted behind a confirmation. */
export function AccountKeys({ account, onChanged }: { account: AccountDetails; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const remove = useMutation(trpc.serviceAccounts.deleteCredential.mutationOptions());
  const [made, setMade] = useState<NewCredential & { name: string }>();
  const [deleting, setDeleting] = useState<Credential>();

  return (
    <section aria-labelledby="sa-keys-heading" className="space-y-3">
      <h3 id="sa-keys-heading" className="font-semibold">
        API keys
      </h3>
      <DataTable
        label={`API keys of ${account.slug}`}
        columns={COLUMNS}
        rows={account.credentials}
        rowKey={(c) => c.id}
        rowProps={(c) => ({ "data-testid": `key-row-${c.name}` })}
        actions={(c) => (
          <Button variant="danger" aria-label={`Delete key ${c.name}`} onClick={() => setDeleting(c)}>
            Delete
          </Button>
        )}
        empty="No key yet."
      />
      {made ? (
        <OneTimeKey name={made.name} secret={made.key} expiresAt={made.expiresAt} onDone={() => setMade(undefined)} />
      ) : (
        <NewKeyForm
          accountId={account.id}
          slug={account.slug}
          onCreated={async (key) => {
            setMade(key);
            await onChanged();
          }}
        />
      )}

      <ConfirmDialog
        open={deleting !== undefined}
        title={`Delete key ${deleting?.name ?? ""}?`}
        confirmLabel="Delete key"
        onCancel={() => setDeleting(undefined)}
        onConfirm={async () => {
          const c = deleting;
          setDeleting(undefined);
          if (!c) return;
          try {
            await remove.mutateAsync({ id: account.id, credentialId: c.id });
            toast.success(`Key ${c.name} deleted; it is refused from now on.`);
            await onChanged();
          } catch (err) {
            toast.error(err, `Could not delete ${c.name}`);
          }
        }}
      >
        {`Anything using the key ${deleting?.prefix ?? ""}… is refused at once, on every Core process.`}
      </ConfirmDialog>
    </section>
  );
}
