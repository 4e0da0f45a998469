"use client";
import { useMutation } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { useToast } from "../components/toast.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { useTRPC } from "../trpc.ts";

const FIELDS = ["slug", "displayName"] as const;

/** The create form: a slug (the Core checks its pattern and uniqueness) and an optional display name. */
export function CreateAccountForm({ onCreated }: { onCreated: (id: string) => Promise<void> }) {
  const trpc = useTRPC();
  const toast = useToast();
  const create = useMutation(trpc.serviceAccounts.create.mutationOptions());
  const { errors, fail, clear } = useFormErrors(FIELDS);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const slug = String(form.get("slug"));
    const displayName = String(form.get("displayName") ?? "").trim();
    clear();
    try {
      const made = await create.mutateAsync({ slug, displayName: displayName || undefined });
      toast.success(`Service account ${slug} created (${made.email}). It holds no permission until a role is assigned.`);
      await onCreated(made.id);
    } catch (err) {
      fail(err);
    }
  }

  return (
    <form noValidate onSubmit={submit} aria-label="Create service account" className="space-y-3">
      <FormField
        label="Slug"
        name="slug"
        required
        autoComplete="off"
        hint="Lower-case letters, digits, - and _, at most 48 characters."
        error={errors.fields.slug}
        onChange={() => clear("slug")}
      />
      <FormField label="Display name" name="displayName" autoComplete="off" error={errors.fields.displayName} onChange={() => clear("displayName")} />
      <FormError>{errors.form}</FormError>
      <Button type="submit" disabled={create.isPending}>
        {create.isPending ? "Creating…" : "Create"}
      </Button>
    </form>
  );
}
