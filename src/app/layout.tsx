import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { AuthGate } from "./auth/auth-gate.tsx";
import { Sidebar } from "./sidebar.tsx";
import { Providers } from "./providers.tsx";
import { THEME_SCRIPT } from "./components/theme.tsx";

export const metadata: Metadata = {
  title: "RootCX Studio",
  description: "Administer the RootCX Core: users, roles, apps, secrets and workers.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    // The theme script sets the class before hydration, hence suppressHydrationWarning.
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body className="bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        <Providers>
          <div className="flex min-h-screen">
            <Sidebar />
            <main className="min-w-0 flex-1 p-8">
              <AuthGate>{children}</AuthGate>
            </main>
          </div>
        </Providers>
      </body>
    </html>
  );
}
