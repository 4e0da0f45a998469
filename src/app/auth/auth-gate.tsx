"use client";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, type ReactNode } from "react";
import { useSession } from "./session.tsx";

const PUBLIC_PATHS = ["/login", "/setup"];

/** Sends people to first-run setup or sign-in as needed; signed-in pages render only for a signed-in user. */
export function AuthGate({ children }: { children: ReactNode }) {
  const { state } = useSession();
  const pathname = usePathname();
  const router = useRouter();
  const isPublic = PUBLIC_PATHS.includes(pathname);

  useEffect(() => {
    if (state.status === "setup" && pathname !== "/setup") router.replace("/setup");
    else if (state.status === "anonymous" && !isPublic) router.replace(`/login?next=${encodeURIComponent(pathname)}`);
  }, [state.status, pathname, isPublic, router]);

  if (isPublic) return <>{children}</>;
  if (state.status !== "authenticated") return <p className="text-slate-500">Loading…</p>;
  return <>{children}</>;
}
