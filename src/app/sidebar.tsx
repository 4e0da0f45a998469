"use client";
import { useRouter } from "next/navigation";
import { useSession } from "./auth/session.tsx";
import { ThemeToggle } from "./components/theme.tsx";
import { Nav } from "./nav.tsx";

export function Sidebar() {
  const { state, signOut } = useSession();
  const router = useRouter();
  // The aside scrolls on its own when the entries outgrow a short window: overflowing it, the footer would sit on
  // the page's light background (axe contrast failures at 720 px high once the nav had 16 entries).
  return (
    <aside className="sticky top-0 flex h-screen w-56 shrink-0 flex-col overflow-y-auto bg-slate-900 dark:border-r dark:border-slate-800">
      <div className="px-6 py-5 text-lg font-semibold tracking-tight text-white">RootCX Studio</div>
      {state.status === "authenticated" && <Nav />}
      <div className="mt-auto space-y-3 border-t border-slate-800 p-4 text-sm text-slate-300">
        <ThemeToggle />
        {state.status === "authenticated" && (
          <div>
            <div data-testid="signed-in-as" className="truncate">
              {state.user.displayName ?? state.user.email}
            </div>
            <button
              type="button"
              onClick={async () => {
                await signOut();
                router.replace("/login");
              }}
              className="mt-2 text-slate-300 underline hover:text-white"
            >
              Sign out
            </button>
          </div>
        )}
      </div>
    </aside>
  );
}
