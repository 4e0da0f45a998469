"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Badge } from "../components/badge.tsx";
import { Button } from "../components/button.tsx";
import { DataTable, type Column } from "../components/data-table.tsx";
import { FormError } from "../components/form-field.tsx";
import { PageHeader } from "../components/page-header.tsx";
import { forbiddenReason, usePermissions } from "../components/permissions.tsx";
import { SlideOver } from "../components/slide-over.tsx";
import { useTRPC } from "../trpc.ts";
import { AccountActions } from "./account-actions.tsx";
import { AccountDetailsPanel } from "./account-details.tsx";
import { CreateAccountForm } from "./create-account.tsx";
import { formatWhen } from "./format.ts";
import { MANAGE_KEY, type AccountRow } from "./types.ts";

const COLUMNS: Column<AccountRow>[] = [
  {
    key: "account",
    header: "Account",
    hideable: false,
    cell: (a) => (
      <>
        <div className="font-mono font-medium">{a.slug}</div>
        {a.displayName ? <div className="text-xs text-slate-600 dark:text-slate-400">{a.displayName}</div> : null}
      </>
    ),
  },
  { key: "email", header: "Email", cell: (a) => <span className="break-all">{a.email}</span> },
  {
    key: "state",
    header: "State",
    cell: (a) => (
      <Badge tone={a.disabled ? "danger" : "success"} data-testid="account-state">
        {a.disabled ? "disabled" : "active"}
      </Badge>
    ),
  },
  { key: "owner", header: "Owner", cell: (a) => <span className="break-all">{a.owner.email}</span> },
  { key: "keys", header: "Keys", cell: (a) => <span data-testid="account-keys">{a.credentialCount}</span> },
  {
    key: "lastUsed",
    header: "Last use",
    cell: (a) => (
      <span data-testid="account-last-use" className="text-slate-600 dark:text-slate-400">
        {formatWhen(a.lastUsedAt, "never")}
      </span>
    ),
  },
  { key: "created", header: "Created", cell: (a) => <span className="text-slate-600 dark:text-slate-400">{formatWhen(a.createdAt, "—")}</span> },
];

/**
 * Service accounts: machine identities for integrations and scripts. Each holds no permission until a role is
 * assigned and authenticates with API keys (`rcs_…`) shown once when made.
 */
export default function ServiceAccountsPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const perms = usePermissions();
  const canManage = perms.can(MANAGE_KEY);
  const accounts = useQuery(trpc.serviceAccounts.list.queryOptions(undefined, { enabled: canManage }));
  const [creating, setCreating] = useState(false);
  const [detailsId, setDetailsId] = useState<string>();

  // The list shows counts and states that any change in the details panel may alter.
  const refresh = () => Promise.all([qc.invalidateQueries({ queryKey: trpc.serviceAccounts.list.queryKey() }), qc.invalidateQueries({ queryKey: trpc.serviceAccounts.get.queryKey() })]);
  const shown = accounts.data?.find((a) => a.id === detailsId);

  return (
    <section className="space-y-6">
      <PageHeader
        title="Service accounts"
        breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Service accounts" }]}
        description="Identities for integrations and scripts. A new account holds no permission until a role is assigned; it signs in with API keys, never a password."
        actions={
          <Button disabledReason={canManage ? undefined : forbiddenReason(MANAGE_KEY)} onClick={() => setCreating(true)}>
            Create service account
          </Button>
        }
      />
      <SlideOver open={creating} title="Create service account" description="The slug names the account; its e-mail address is derived from it." onClose={() => setCreating(false)}>
        {creating && (
          <CreateAccountForm
            onCreated={async (id) => {
              setCreating(false);
              await refresh();
              setDetailsId(id);
            }}
          />
        )}
      </SlideOver>
      <SlideOver open={detailsId !== undefined} title={shown ? `Service account ${shown.slug}` : "Service account"} description={shown?.email} onClose={() => setDetailsId(undefined)}>
        {detailsId !== undefined && <AccountDetailsPanel id={detailsId} onChanged={refresh} />}
      </SlideOver>

      {accounts.isError ? (
        <FormError>{errorSentence(accounts.error)}</FormError>
      ) : (
        <DataTable
          label="Service accounts"
          columns={COLUMNS}
          // Until the caller's keys are known the table is loading; without the key it is empty, saying why.
          rows={perms.ready && !canManage ? [] : accounts.data}
          loading={!perms.ready || (canManage && accounts.isPending)}
          rowKey={(a) => a.id}
          rowProps={(a) => ({ "data-testid": `account-row-${a.slug}` })}
          actions={(a) => <AccountActions account={a} onDetails={() => setDetailsId(a.id)} onChanged={refresh} />}
          empty={canManage ? "No service account yet. Create one for each integration or script that calls the Core." : forbiddenReason(MANAGE_KEY)}
        />
      )}
    </section>
  );
}
