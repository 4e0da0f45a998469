"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { useFormErrors } from "../components/use-form-errors.ts";
import { useTRPC } from "../trpc.ts";

const FIELDS = ["email"] as const;

/**
 * "E-mail me a sign-in link" (shown when the Core sends mail). The Core answers the same whether or not the
 * address has an account, and so does this form.
 */
export function EmailLinkForm() {
  const trpc = useTRPC();
  const request = useMutation(trpc.magicLink.request.mutationOptions());
  const { errors, fail, clear } = useFormErrors(FIELDS);
  const [open, setOpen] = useState(false);
  const [done, setDone] = useState<string>();

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    clear();
    try {
      const { message } = await request.mutateAsync({ email: String(new FormData(e.currentTarget).get("email")) });
      setDone(message);
    } catch (err) {
      fail(err);
    }
  }

  if (!open) {
    return (
      <Button type="button" variant="secondary" className="w-full" onClick={() => setOpen(true)}>
        E-mail me a sign-in link
      </Button>
    );
  }
  if (done) return <p role="status" className="text-sm text-slate-700 dark:text-slate-300">{done}</p>;
  return (
    <form noValidate onSubmit={submit} aria-label="E-mail me a sign-in link" className="space-y-3 border-t border-slate-200 pt-4 dark:border-slate-700">
      <FormField kind="email" label="E-mail address for the link" name="email" autoComplete="username" required error={errors.fields.email} onChange={() => clear("email")} />
      <FormError>{errors.form}</FormError>
      <Button type="submit" variant="secondary" className="w-full" disabled={request.isPending}>
        {request.isPending ? "Sending…" : "Send the link"}
      </Button>
    </form>
  );
}
