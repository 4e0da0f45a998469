"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { useSession } from "../auth/session.tsx";
import { useTRPC } from "../trpc.ts";
import { Button } from "../components/button.tsx";
import { FormError } from "../components/form-field.tsx";
import { errorMessage, Field } from "../ui.tsx";

/** First run: the first account created here becomes the administrator. */
export default function SetupPage() {
  const trpc = useTRPC();
  const register = useMutation(trpc.auth.register.mutationOptions());
  const { signIn, state } = useSession();
  const router = useRouter();
  const [error, setError] = useState<string>();

  // Setup happens once; afterwards this page leads to sign-in (or home, once signed in).
  useEffect(() => {
    if (state.status === "anonymous") router.replace("/login");
    else if (state.status === "authenticated") router.replace("/");
  }, [state.status, router]);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const email = String(form.get("email"));
    const password = String(form.get("password"));
    if (password !== form.get("confirm")) {
      setError("the two passwords differ");
      return;
    }
    setError(undefined);
    try {
      await register.mutateAsync({ email, password, displayName: String(form.get("displayName") || "") || undefined });
      await signIn(email, password);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  if (state.status === "loading") return <p className="text-slate-500">Loading…</p>;
  return (
    <form onSubmit={submit} className="mx-auto mt-16 max-w-md space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <h1 className="text-xl font-bold">Set up RootCX</h1>
      <p className="text-sm text-slate-500">Create the administrator account. It holds every permission.</p>
      <Field label="Email" name="email" type="email" autoComplete="username" required />
      <Field label="Display name" name="displayName" autoComplete="name" />
      <Field label="Password" name="password" type="password" autoComplete="new-password" required />
      <Field label="Confirm password" name="confirm" type="password" autoComplete="new-password" required />
      <p className="text-xs text-slate-500">At least 10 characters, with an upper-case letter, a lower-case letter and a digit.</p>
      <FormError>{error}</FormError>
      <Button type="submit" disabled={register.isPending} className="w-full">
        Create administrator
      </Button>
    </form>
  );
}
