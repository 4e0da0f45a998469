"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { useTRPC } from "../trpc.ts";
import { hasSessionHint, setAccessToken, setSessionHint } from "./token-store.ts";

export interface SessionUser {
  id: string;
  email: string;
  displayName: string | null;
}

export type SessionState =
  | { status: "loading" }
  | { status: "setup" }
  | { status: "anonymous" }
  | { status: "authenticated"; user: SessionUser };

interface SessionApi {
  state: SessionState;
  signIn(email: string, password: string): Promise<void>;
  /** Completes a redirect sign-in (SSO, magic link): trades the `auth_nonce` it brought for the cookie session. */
  signInWithNonce(nonce: string): Promise<void>;
  signOut(): Promise<void>;
  /** Re-reads the Core's auth mode and the cookie session (after setup, say). */
  reload(): Promise<void>;
}

const isUnauthorized = (err: unknown) =>
  typeof err === "object" && err !== null && (err as { data?: { code?: unknown } | null }).data?.code === "UNAUTHORIZED";

const SessionContext = createContext<SessionApi | undefined>(undefined);

export function useSession(): SessionApi {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}

/** Keeps the in-memory access token fresh from the cookie session, a minute before it expires. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [state, setState] = useState<SessionState>({ status: "loading" });
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refresh = useMutation(trpc.auth.refresh.mutationOptions());
  const login = useMutation(trpc.auth.login.mutationOptions());
  const logout = useMutation(trpc.auth.logout.mutationOptions());
  const exchangeNonce = useMutation(trpc.oidc.exchangeNonce.mutationOptions());

  const schedule = useCallback(
    (expiresIn: number, renew: () => Promise<void>) => {
      clearTimeout(timer.current);
      timer.current = setTimeout(() => void renew(), Math.max(10, expiresIn - 60) * 1000);
    },
    [],
  );

  const renew = useCallback(async (): Promise<void> => {
    // Without a cookie session there is nothing to refresh; asking anyway logs a 401 in the console.
    if (!hasSessionHint()) {
      setAccessToken(undefined);
      setState({ status: "anonymous" });
      return;
    }
    try {
      const { accessToken, expiresIn } = await refresh.mutateAsync({});
      setAccessToken(accessToken);
      const me = await queryClient.fetchQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 0 }));
      setState({ status: "authenticated", user: me });
      schedule(expiresIn, renew);
    } catch (err) {
      // Only the Core saying the session is over ends the hint: a refresh cut off by navigating away (or a
      // network blip) must not sign the user out of the next page load.
      if (isUnauthorized(err)) setSessionHint(false);
      setAccessToken(undefined);
      setState({ status: "anonymous" });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- mutation objects change identity every render
  }, [queryClient, trpc, schedule]);

  const reload = useCallback(async () => {
    const mode = await queryClient.fetchQuery(trpc.auth.mode.queryOptions(undefined, { staleTime: 0 }));
    if (mode.setupRequired) {
      setAccessToken(undefined);
      setState({ status: "setup" });
      return;
    }
    await renew();
  }, [queryClient, trpc, renew]);

  useEffect(() => {
    void reload().catch(() => setState({ status: "anonymous" }));
    return () => clearTimeout(timer.current);
  }, [reload]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      const result = await login.mutateAsync({ email, password, cookie: true });
      setAccessToken(result.accessToken);
      setSessionHint(true);
      setState({ status: "authenticated", user: result.user });
      schedule(result.expiresIn, renew);
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps -- mutation objects change identity every render
    [schedule, renew],
  );

  const signInWithNonce = useCallback(
    async (nonce: string) => {
      const result = await exchangeNonce.mutateAsync({ nonce, cookie: true });
      setAccessToken(result.accessToken);
      setSessionHint(true);
      const me = await queryClient.fetchQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 0 }));
      setState({ status: "authenticated", user: me });
      schedule(result.expiresIn, renew);
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps -- mutation objects change identity every render
    [queryClient, trpc, schedule, renew],
  );

  const signOut = useCallback(async () => {
    clearTimeout(timer.current);
    await logout.mutateAsync({}).catch(() => undefined);
    setSessionHint(false);
    setAccessToken(undefined);
    queryClient.clear();
    setState({ status: "anonymous" });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- mutation objects change identity every render
  }, [queryClient]);

  return <SessionContext.Provider value={{ state, signIn, signInWithNonce, signOut, reload }}>{children}</SessionContext.Provider>;
}
