"use client";
import { useQuery } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useEffect, useRef, useState, type FormEvent } from "react";
import { useSession } from "../auth/session.tsx";
import { errorSentence } from "../components/api-error.ts";
import { Button } from "../components/button.tsx";
import { FormError, FormField } from "../components/form-field.tsx";
import { useTRPC } from "../trpc.ts";
import { EmailLinkForm } from "./email-link-form.tsx";
import { EXCHANGE_FAILED, redirectErrorSentence } from "./redirect-error.ts";

/** Only same-site paths: an attacker-supplied ?next= must not send the user elsewhere. */
function safeNext(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") ? next : "/";
}

/** Where a provider (or a magic link) sends the browser back: this page, with the nonce mode. */
function authorizeUrl(providerId: string, next: string): string {
  const back = new URL("/login", window.location.origin);
  if (next !== "/") back.searchParams.set("next", next);
  const q = new URLSearchParams({ redirect_uri: back.toString(), token_delivery: "nonce" });
  return `/api/v1/auth/oidc/${encodeURIComponent(providerId)}/authorize?${q}`;
}

function LoginForm() {
  const trpc = useTRPC();
  const { signIn, signInWithNonce, state } = useSession();
  const router = useRouter();
  const params = useSearchParams();
  const next = safeNext(params.get("next"));
  const mode = useQuery(trpc.auth.mode.queryOptions());
  const [error, setError] = useState<string | undefined>(() => {
    const redirected = params.get("error");
    return redirected ? redirectErrorSentence(redirected) : undefined;
  });
  const [busy, setBusy] = useState(false);
  const [completing, setCompleting] = useState(() => params.has("auth_nonce"));
  const exchanged = useRef(false);

  useEffect(() => {
    if (state.status === "authenticated") router.replace(next);
  }, [state.status, next, router]);

  // A redirect sign-in (SSO, magic link) arrives with ?auth_nonce=: traded once (the nonce is single use, and
  // React may run effects twice), then dropped from the address so it is neither bookmarked nor shared.
  useEffect(() => {
    const nonce = params.get("auth_nonce");
    if (!nonce || exchanged.current) return;
    exchanged.current = true;
    window.history.replaceState(null, "", next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`);
    signInWithNonce(nonce)
      // The Core's refusal speaks of its nonce; the person only needs to know to start again (a disabled account says so).
      .catch((err: unknown) => setError(/disabled/.test(errorSentence(err)) ? errorSentence(err) : EXCHANGE_FAILED))
      .finally(() => setCompleting(false));
  }, [params, next, signInWithNonce]);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      await signIn(String(form.get("email")), String(form.get("password")));
    } catch (err) {
      setError(errorSentence(err));
    } finally {
      setBusy(false);
    }
  }

  const providers = mode.data?.providers ?? [];
  // Until the Core says otherwise the form shows: a Core that cannot answer /auth/mode still takes passwords.
  const passwordLogin = mode.data?.passwordLoginEnabled ?? true;

  return (
    <div className="mx-auto mt-16 max-w-sm space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-700 dark:bg-slate-900">
      <h1 className="text-xl font-bold">Sign in</h1>
      {completing ? <p role="status">Completing sign-in…</p> : null}
      {providers.length > 0 ? (
        <div className="space-y-2" aria-label="Single sign-on" role="group">
          {providers.map((p) => (
            <Button key={p.id} type="button" variant="secondary" className="w-full" onClick={() => window.location.assign(authorizeUrl(p.id, next))}>
              Continue with {p.displayName}
            </Button>
          ))}
        </div>
      ) : null}
      {passwordLogin ? (
        <form onSubmit={submit} aria-label="Password sign-in" className="space-y-4">
          {providers.length > 0 ? <p className="text-center text-sm text-slate-600 dark:text-slate-400">or with your password</p> : null}
          <FormField kind="email" label="Email" name="email" autoComplete="username" required />
          <FormField kind="password" label="Password" name="password" autoComplete="current-password" required />
          <FormError>{error}</FormError>
          <Button type="submit" disabled={busy} className="w-full">
            {busy ? "Signing in…" : "Sign in"}
          </Button>
        </form>
      ) : (
        <>
          <FormError>{error}</FormError>
          {providers.length === 0 && !mode.data?.magicLinkEnabled && mode.isSuccess ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">Password sign-in is disabled and no identity provider is enabled; ask an administrator.</p>
          ) : null}
        </>
      )}
      {mode.data?.magicLinkEnabled ? <EmailLinkForm /> : null}
    </div>
  );
}

export default function LoginPage() {
  return (
    <Suspense>
      <LoginForm />
    </Suspense>
  );
}
