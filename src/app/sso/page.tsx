"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { FormError } from "../components/form-field.tsx";
import { PageHeader } from "../components/page-header.tsx";
import { SlideOver } from "../components/slide-over.tsx";
import { useToast } from "../components/toast.tsx";
import { useTRPC } from "../trpc.ts";
import { ProviderForm } from "./provider-form.tsx";

interface Provider {
  id: string;
  displayName: string;
  issuerUrl: string;
  clientId: string;
  hasClientSecret: boolean;
  defaultRole: string;
  autoRegister: boolean;
  enabled: boolean;
  linkedUsers: number;
}

const COLUMNS: Column<Provider>[] = [
  {
    key: "provider",
    header: "Provider",
    hideable: false,
    cell: (p) => (
      <>
        <div className="font-medium">{p.displayName}</div>
        <div className="text-xs text-slate-600 dark:text-slate-400">{p.id}</div>
      </>
    ),
  },
  { key: "issuer", header: "Issuer", cell: (p) => <span className="break-all">{p.issuerUrl}</span> },
  { key: "client", header: "Client", cell: (p) => `${p.clientId}${p.hasClientSecret ? " (secret in vault)" : " (public)"}` },
  { key: "accounts", header: "New accounts", cell: (p) => (p.autoRegister ? `created, role ${p.defaultRole}` : "not created") },
  { key: "linked", header: "Linked users", cell: (p) => <span data-testid="linked-users">{p.linkedUsers}</span> },
  {
    key: "state",
    header: "State",
    cell: (p) => (
      <span data-testid="provider-state" className={p.enabled ? "text-emerald-700 dark:text-emerald-400" : "text-slate-600 dark:text-slate-400"}>
        {p.enabled ? "enabled" : "disabled"}
      </span>
    ),
  },
];

/** Single sign-on: the OpenID Connect providers whose buttons the sign-in page shows. Admin only. */
export default function SsoPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const providers = useQuery(trpc.oidc.listAll.queryOptions());
  const setEnabled = useMutation(trpc.oidc.setEnabled.mutationOptions());
  const remove = useMutation(trpc.oidc.delete.mutationOptions());
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<Provider>();

  const refresh = () => qc.invalidateQueries({ queryKey: trpc.oidc.listAll.queryKey() });

  async function toggle(p: Provider) {
    try {
      await setEnabled.mutateAsync({ id: p.id, enabled: !p.enabled });
      toast.success(`${p.displayName} ${p.enabled ? "disabled" : "enabled"}.`);
      await refresh();
    } catch (err) {
      toast.error(err);
    }
  }

  async function confirmDelete(p: Provider) {
    try {
      // The count was shown and, when users are linked, the id typed: that is the explicit `force`.
      await remove.mutateAsync({ id: p.id, force: p.linkedUsers > 0 });
      toast.success(`${p.displayName} deleted.`);
      setDeleting(undefined);
      await refresh();
    } catch (err) {
      toast.error(err);
    }
  }

  return (
    <section className="space-y-6">
      <PageHeader
        title="Single sign-on"
        breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Single sign-on" }]}
        description="OpenID Connect providers people can sign in with. Client secrets are kept in the vault and never shown."
        actions={<Button onClick={() => setAdding(true)}>Add provider</Button>}
      />
      <SlideOver open={adding} title="Add identity provider" description="Saving fetches the issuer's discovery document; a provider whose discovery fails is refused." onClose={() => setAdding(false)}>
        <ProviderForm
          onSaved={() => {
            setAdding(false);
            void refresh();
          }}
        />
      </SlideOver>
      <ConfirmDialog
        open={deleting !== undefined}
        title={`Delete ${deleting?.displayName ?? ""}?`}
        confirmLabel="Delete provider"
        typeToConfirm={deleting && deleting.linkedUsers > 0 ? deleting.id : undefined}
        onConfirm={() => (deleting ? confirmDelete(deleting) : undefined)}
        onCancel={() => setDeleting(undefined)}
      >
        {deleting && deleting.linkedUsers > 0 ? (
          <p data-testid="delete-linked-warning">
            {deleting.linkedUsers} user{deleting.linkedUsers === 1 ? " is" : "s are"} linked to this provider. Deleting it unlinks them: their
            accounts stay, but they can no longer sign in with {deleting.displayName}.
          </p>
        ) : (
          <p>No user is linked to this provider. Its client secret is removed from the vault.</p>
        )}
      </ConfirmDialog>
      {providers.isError ? (
        <FormError>{providers.error.data?.code === "FORBIDDEN" ? "Managing single sign-on requires the admin role." : errorSentence(providers.error)}</FormError>
      ) : (
        <DataTable
          label="Identity providers"
          columns={COLUMNS}
          rows={providers.data}
          loading={providers.isPending}
          rowKey={(p) => p.id}
          rowProps={(p) => ({ "data-testid": `provider-row-${p.id}` })}
          actions={(p) => (
            <div className="flex gap-2">
              <Button variant="secondary" disabled={setEnabled.isPending} onClick={() => void toggle(p)}>
                {p.enabled ? "Disable" : "Enable"}
              </Button>
              <Button variant="danger" onClick={() => setDeleting(p)}>
                Delete
              </Button>
            </div>
          )}
          empty="No identity provider yet. Add one to show its button on the sign-in page."
        />
      )}
    </section>
  );
}
