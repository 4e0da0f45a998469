"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { ADMIN, useCan } from "../components/permissions.tsx";
import { useSession } from "../auth/session.tsx";
import { useToast } from "../components/toast.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { useTRPC } from "../trpc.ts";
import { useHumans } from "./use-humans.ts";
import type { AccountDetails } from "./types.ts";

const FIELDS = ["userId"] as const;

/**
 * Act-as delegations (spec §7.4): the people this account may run jobs, schedules and hooks as — and then
 * only for permissions its own roles also cover; the Core checks that at each use.
 */
export function ActAsDelegations({ account, onChanged }: { account: AccountDetails; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const humans = useHumans();
  const add = useMutation(trpc.serviceAccounts.addActAs.mutationOptions());
  const remove = useMutation(trpc.serviceAccounts.removeActAs.mutationOptions());
  const { errors, fail, set, clear } = useFormErrors(FIELDS);
  const [userId, setUserId] = useState("");
  const [removing, setRemoving] = useState<AccountDetails["actAs"][number]>();

  const isAdmin = useCan(ADMIN);
  const { state } = useSession();
  const selfId = state.status === "authenticated" ? state.user.id : undefined;
  const delegated = new Set(account.actAs.map((d) => d.userId));
  // A delegation is the person's own consent, or an administrator's: anyone else may only offer themselves.
  const offered = (humans.data ?? []).filter((u) => !delegated.has(u.id) && (isAdmin || u.id === selfId));

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    clear();
    if (!userId) return set("userId", "Choose a person.");
    const email = offered.find((u) => u.id === userId)?.email ?? userId;
    try {
      await add.mutateAsync({ id: account.id, userId });
      toast.success(`${account.slug} may now act as ${email}.`);
      setUserId("");
      await onChanged();
    } catch (err) {
      fail(err);
    }
  }

  return (
    <section aria-labelledby="sa-act-as-heading" className="space-y-3">
      <h3 id="sa-act-as-heading" className="font-semibold">
        Acts as
      </h3>
      {account.actAs.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No delegation: this account acts only as itself.</p>
      ) : (
        <ul className="space-y-1 text-sm">
          {account.actAs.map((d) => (
            <li key={d.userId} data-testid={`act-as-${d.email}`} className="flex items-center justify-between gap-3 rounded-md border border-slate-200 px-3 py-1.5 dark:border-slate-700">
              <span className="min-w-0 break-all">{d.email}</span>
              <Button variant="secondary" aria-label={`Remove the delegation from ${d.email}`} onClick={() => setRemoving(d)}>
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      <form noValidate onSubmit={submit} aria-label={`Let ${account.slug} act as a person`} className="flex flex-wrap items-end gap-3">
        <div className="w-72 max-w-full">
          <FormField
            kind="select"
            label="Person"
            value={userId}
            onChange={(e) => {
              setUserId(e.target.value);
              clear("userId");
            }}
            placeholder={humans.isPending ? "Loading people…" : offered.length ? "Choose…" : "Nobody else to add"}
            options={offered.map((u) => ({ value: u.id, label: u.displayName ? `${u.displayName} (${u.email})` : u.email }))}
            error={errors.fields.userId ?? (humans.isError ? errorSentence(humans.error) : undefined)}
          />
        </div>
        <Button type="submit" disabled={add.isPending}>
          Add delegation
        </Button>
      </form>
      <FormError>{errors.form}</FormError>

      <ConfirmDialog
        open={removing !== undefined}
        title="Remove the delegation?"
        confirmLabel="Remove delegation"
        onCancel={() => setRemoving(undefined)}
        onConfirm={async () => {
          const d = removing;
          setRemoving(undefined);
          if (!d) return;
          try {
            await remove.mutateAsync({ id: account.id, userId: d.userId });
            toast.success(`${account.slug} no longer acts as ${d.email}.`);
            await onChanged();
          } catch (err) {
            toast.error(err, `Could not remove the delegation from ${d.email}`);
          }
        }}
      >
        {`Jobs, schedules and hooks that ${account.slug} starts as ${removing?.email ?? ""} are refused from now on.`}
      </ConfirmDialog>
    </section>
  );
}
