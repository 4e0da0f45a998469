"use client";
import { useState } from "react";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { SlideOver } from "../components/slide-over.tsx";
import { useToast } from "../components/toast.tsx";
import { SecretForm } from "./secret-form.tsx";
import type { SecretKind } from "./secret-rules.ts";

interface Secret {
  name: string;
}

const COLUMNS: Column<Secret>[] = [
  { key: "name", header: "Name", hideable: false, cell: (s) => <span className="font-mono break-all">{s.name}</span> },
  { key: "value", header: "Value", cell: () => <span className="text-slate-600 dark:text-slate-400"><span aria-hidden="true">••••••••</span><span className="sr-only">hidden</span></span> },
];

/** `undefined`: closed; `""`: a new secret; a name: replacing that secret's value. */
type Editing = string | undefined;

/**
 * One scope's secrets: names only (values are never shown, not even right after saving), a panel to add a
 * secret or replace a value, and deletion behind a confirmation.
 */
export function SecretScope({
  title,
  tableLabel,
  kind,
  names,
  loading,
  onSave,
  onDelete,
}: {
  title: string;
  /** The table's own name: distinct from `title`, so each region can be found by its name alone. */
  tableLabel: string;
  kind: SecretKind;
  names: string[] | undefined;
  loading?: boolean;
  /** Resolves with the success sentence for the toast. */
  onSave: (key: string, value: string) => Promise<string>;
  onDelete: (key: string) => Promise<unknown>;
}) {
  const toast = useToast();
  const [editing, setEditing] = useState<Editing>();
  const [deleting, setDeleting] = useState<string>();

  return (
    <section aria-label={title} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-700 dark:bg-slate-900">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 className="font-semibold">{title}</h2>
        <Button onClick={() => setEditing("")}>New secret</Button>
      </div>
      <DataTable
        label={tableLabel}
        columns={COLUMNS}
        rows={names?.map((name) => ({ name }))}
        loading={loading}
        rowKey={(s) => s.name}
        rowProps={(s) => ({ "data-testid": `secret-${s.name}` })}
        actions={(s) => (
          <>
            <Button variant="secondary" aria-label={`Replace the value of ${s.name}`} onClick={() => setEditing(s.name)}>
              Replace value
            </Button>
            <Button variant="danger" aria-label={`Delete ${s.name}`} onClick={() => setDeleting(s.name)}>
              Delete
            </Button>
          </>
        )}
        empty="No secrets yet."
      />

      <SlideOver open={editing !== undefined} title={editing ? `Replace ${editing}` : "New secret"} description={title} onClose={() => setEditing(undefined)}>
        {editing !== undefined && (
          <SecretForm
            kind={kind}
            scopeLabel={title}
            fixedName={editing || undefined}
            onSave={async (key, value) => {
              const done = await onSave(key, value);
              setEditing(undefined);
              toast.success(done);
            }}
          />
        )}
      </SlideOver>
      <ConfirmDialog
        open={deleting !== undefined}
        title={`Delete ${deleting ?? ""}?`}
        confirmLabel="Delete secret"
        onCancel={() => setDeleting(undefined)}
        onConfirm={async () => {
          const name = deleting ?? "";
          setDeleting(undefined);
          try {
            await onDelete(name);
            toast.success(`Deleted ${name}.`);
          } catch (err) {
            toast.error(err, `Could not delete ${name}`);
          }
        }}
      >
        Backends that read it get no value from their next start on. The value cannot be recovered.
      </ConfirmDialog>
    </section>
  );
}
