"use client";
import { useMutation } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { useToast } from "../components/toast.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { useTRPC } from "../trpc.ts";
import type { NewCredential } from "./types.ts";

const FIELDS = ["name", "expiresInDays"] as const;
const DEFAULT_DAYS = 90;
const MAX_DAYS = 365;

/** Names a new key and its lifetime in days (1–365, 90 unless changed). */
export function NewKeyForm({ accountId, slug, onCreated }: { accountId: string; slug: string; onCreated: (key: NewCredential & { name: string }) => Promise<void> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const create = useMutation(trpc.serviceAccounts.createCredential.mutationOptions());
  const { errors, fail, set, clear } = useFormErrors(FIELDS);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const name = String(form.get("name"));
    const days = Number(form.get("expiresInDays"));
    clear();
    // Not a whole number cannot travel as JSON meaningfully (NaN becomes null); say so here.
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) return set("expiresInDays", `Enter a whole number of days from 1 to ${MAX_DAYS}.`);
    try {
      const key = await create.mutateAsync({ id: accountId, name, expiresInDays: days });
      toast.success(`Key ${name} created for ${slug}. Copy it now: it is shown only once.`);
      formEl.reset();
      await onCreated({ ...key, name });
    } catch (err) {
      fail(err);
    }
  }

  return (
    <form noValidate onSubmit={submit} aria-label={`Create an API key for ${slug}`} className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <h4 className="text-sm font-semibold">New key</h4>
      <div className="grid gap-3 sm:grid-cols-2">
        <FormField label="Key name" name="name" autoComplete="off" required error={errors.fields.name} onChange={() => clear("name")} />
        <FormField
          kind="number"
          label="Expires in (days)"
          name="expiresInDays"
          min={1}
          max={MAX_DAYS}
          step={1}
          defaultValue={DEFAULT_DAYS}
          hint={`1 to ${MAX_DAYS}.`}
          error={errors.fields.expiresInDays}
          onChange={() => clear("expiresInDays")}
        />
      </div>
      <FormError>{errors.form}</FormError>
      <Button type="submit" disabled={create.isPending}>
        {create.isPending ? "Creating…" : "Create key"}
      </Button>
    </form>
  );
}
