"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { errorSentence } from "../components/api-error.ts";
import { FormError } from "../components/form-field.tsx";
import { useTRPC } from "../trpc.ts";
import { AccountKeys } from "./account-keys.tsx";
import { AccountRoles } from "./account-roles.tsx";
import { ActAsDelegations } from "./act-as.tsx";
import { TransferOwnership } from "./transfer-ownership.tsx";

/** The details panel of one account: its roles, keys, act-as delegations and owner. */
export function AccountDetailsPanel({ id, onChanged }: { id: string; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const account = useQuery(trpc.serviceAccounts.get.queryOptions({ id }));

  if (account.isError) return <FormError>{errorSentence(account.error)}</FormError>;
  if (!account.data) return <p className="text-sm text-slate-600 dark:text-slate-400">Loading the account…</p>;
  const a = account.data;
  // After a change both this panel and the list are stale (counts, states, owner).
  const changed = () => Promise.all([onChanged(), qc.invalidateQueries({ queryKey: trpc.serviceAccounts.get.queryKey({ id }) })]);

  return (
    <div className="space-y-8" data-testid="account-details">
      {a.disabled ? (
        <p className="rounded-md bg-amber-100 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200">
          This account is disabled: its keys are refused until it is enabled again.
        </p>
      ) : null}
      <AccountRoles account={a} onChanged={changed} />
      <AccountKeys account={a} onChanged={changed} />
      <ActAsDelegations account={a} onChanged={changed} />
      <TransferOwnership account={a} onChanged={changed} />
    </div>
  );
}
