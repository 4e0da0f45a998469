import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { Nav } from "./nav.tsx";
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
            <aside className="w-56 shrink-0 bg-slate-900">
              <div className="px-6 py-5 text-lg font-semibold tracking-tight text-white">RootCX Studio</div>
              <Nav />
            </aside>
            <main className="flex-1 overflow-x-auto p-8">{children}</main>
          </div>
        </Providers>
      </body>
    </html>
  );
}
