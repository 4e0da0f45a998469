import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { AuthGate } from "./auth/auth-gate.tsx";
import { Sidebar } from "./sidebar.tsx";
import { Providers } from "./providers.tsx";

export const metadata: Metadata = {
  title: "RootCX Studio",
  description: "Administer the RootCX Core: users, roles, apps, secrets and workers.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="bg-slate-50 text-slate-900 antialiased">
        <Providers>
          <div className="flex min-h-screen">
            <Sidebar />
            <main className="flex-1 overflow-x-auto p-8">
              <AuthGate>{children}</AuthGate>
            </main>
          </div>
        </Providers>
      </body>
    </html>
  );
}
