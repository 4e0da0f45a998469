"use client";
import { useRouter } from "next/navigation";
import { useSession } from "./auth/session.tsx";
import { Nav } from "./nav.tsx";

export function Sidebar() {
  const { state, signOut } = useSession();
  const router = useRouter();
  return (
    <aside className="flex w-56 shrink-0 flex-col bg-slate-900">
      <div className="px-6 py-5 text-lg font-semibold tracking-tight text-white">RootCX Studio</div>
      {state.status === "authenticated" && (
        <>
          <Nav />
          <div className="mt-auto border-t border-slate-800 p-4 text-sm text-slate-300">
            <div data-testid="signed-in-as" className="truncate">
              {state.user.displayName ?? state.user.email}
            </div>
            <button
              type="button"
              onClick={async () => {
                await signOut();
                router.replace("/login");
              }}
              className="mt-2 text-slate-400 underline hover:text-white"
            >
              Sign out
            </button>
          </div>
        </>
      )}
    </aside>
  );
}
