"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { errorSentence } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { useToast } from "../components/toast.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { useTRPC } from "../trpc.ts";
import { useHumans } from "./use-humans.ts";
import type { AccountDetails } from "./types.ts";

const FIELDS = ["newOwner"] as const;

/** The account's owner (the person answerable for it) and handing it to another person, confirmed. */
export function TransferOwnership({ account, onChanged }: { account: AccountDetails; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const humans = useHumans();
  const transfer = useMutation(trpc.serviceAccounts.transferOwnership.mutationOptions());
  const { errors, fail, set, clear } = useFormErrors(FIELDS);
  const [newOwner, setNewOwner] = useState("");
  const [confirming, setConfirming] = useState(false);

  const offered = (humans.data ?? []).filter((u) => u.id !== account.owner.id);
  const target = offered.find((u) => u.id === newOwner);

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    clear();
    if (!target) return set("newOwner", "Choose the new owner.");
    setConfirming(true);
  }

  return (
    <section aria-labelledby="sa-owner-heading" className="space-y-3">
      <h3 id="sa-owner-heading" className="font-semibold">
        Owner
      </h3>
      <p className="text-sm" data-testid="sa-owner">
        {account.owner.email}
      </p>
      <form noValidate onSubmit={submit} aria-label={`Transfer the ownership of ${account.slug}`} className="flex flex-wrap items-end gap-3">
        <div className="w-72 max-w-full">
          <FormField
            kind="select"
            label="New owner"
            value={newOwner}
            onChange={(e) => {
              setNewOwner(e.target.value);
              clear("newOwner");
            }}
            placeholder={humans.isPending ? "Loading people…" : offered.length ? "Choose…" : "Nobody else to choose"}
            options={offered.map((u) => ({ value: u.id, label: u.email }))}
            error={errors.fields.newOwner ?? (humans.isError ? errorSentence(humans.error) : undefined)}
          />
        </div>
        <Button type="submit" variant="secondary" disabled={transfer.isPending}>
          Transfer
        </Button>
      </form>
      <FormError>{errors.form}</FormError>
      <ConfirmDialog
        open={confirming}
        title={`Transfer ${account.slug}?`}
        confirmLabel="Transfer ownership"
        destructive={false}
        onCancel={() => setConfirming(false)}
        onConfirm={async () => {
          setConfirming(false);
          if (!target) return;
          try {
            await transfer.mutateAsync({ id: account.id, newOwner: target.id });
            toast.success(`${target.email} now owns ${account.slug}.`);
            setNewOwner("");
            await onChanged();
          } catch (err) {
            fail(err);
          }
        }}
      >
        {`${target?.email ?? ""} becomes the account's owner.`}
      </ConfirmDialog>
    </section>
  );
}
