"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../trpc.ts";
import { ErrorText, TableHead } from "../ui.tsx";
import { ManifestPanel } from "./manifest-panel.tsx";

/** The apps panel: installed apps, and installing one from its manifest after previewing its schema changes. */
export default function AppsPage() {
  const trpc = useTRPC();
  const apps = useQuery(trpc.apps.list.queryOptions());

  return (
    <section className="space-y-6">
      <header>
        <h1 className="text-2xl font-bold tracking-tight">Apps</h1>
        <p className="text-sm text-slate-500">Each app&apos;s manifest becomes a schema of tables and a Data API. Preview what an install changes before applying it.</p>
      </header>
      {apps.isError && <ErrorText>{apps.error.message}</ErrorText>}
      {!apps.data ? (
        !apps.isError && <p className="text-slate-500">Loading apps…</p>
      ) : apps.data.length === 0 ? (
        <p className="text-slate-500">No apps installed yet.</p>
      ) : (
        <table aria-label="Installed apps" className="w-full border-collapse rounded-lg bg-white text-sm shadow-sm">
          <TableHead labels={["Id", "Name", "Version", "Entities"]} />
          <tbody>
            {apps.data.map((app) => (
              <tr key={app.id} className="border-b border-slate-100">
                <td className="px-3 py-2 font-mono">
                  <Link href={`/apps/${app.id}`} className="text-brand-600 hover:underline">
                    {app.id}
                  </Link>
                </td>
                <td className="px-3 py-2">{app.name}</td>
                <td className="px-3 py-2 font-mono">{app.version}</td>
                <td className="px-3 py-2 font-mono">{app.entities.join(", ") || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ManifestPanel title="Install app" />
    </section>
  );
}
