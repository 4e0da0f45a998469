"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { errorSentence } from "../components/api-error.ts";
import { DataTable, type Column } from "../components/data-table.tsx";
import { FormError } from "../components/form-field.tsx";
import { PageHeader } from "../components/page-header.tsx";
import { usePermissions } from "../components/permissions.tsx";
import { useTRPC } from "../trpc.ts";
import { INSTALL, SELF_SERVICE } from "./app-permissions.ts";
import { ManifestPanel } from "./manifest-panel.tsx";

interface AppRow {
  id: string;
  name: string;
  version: string;
  entities: string[];
}

const COLUMNS: Column<AppRow>[] = [
  {
    key: "id",
    header: "Id",
    hideable: false,
    cell: (a) => (
      <Link href={`/applications/${a.id}`} className="font-mono text-brand-600 hover:underline dark:text-indigo-300">
        {a.id}
      </Link>
    ),
  },
  { key: "name", header: "Name", cell: (a) => a.name },
  { key: "version", header: "Version", cell: (a) => <span className="font-mono">{a.version}</span> },
  { key: "entities", header: "Entities", cell: (a) => <span className="font-mono break-words">{a.entities.join(", ") || "—"}</span> },
];

/** The apps panel: installed apps, and installing one from its manifest after previewing its schema changes. */
export default function AppsPage() {
  const trpc = useTRPC();
  const apps = useQuery(trpc.apps.list.queryOptions());
  const { ready, can } = usePermissions();
  // The server lets anyone install the very first app, and self-service users their own.
  const mayInstall = can(INSTALL) || can(SELF_SERVICE) || apps.data?.length === 0;

  return (
    <section className="min-w-0 space-y-6">
      <PageHeader
        title="Apps"
        breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Apps" }]}
        description="Each app's manifest becomes a schema of tables and a Data API. Preview what an install changes before applying it."
      />
      {apps.isError ? (
        <FormError>{errorSentence(apps.error)}</FormError>
      ) : (
        <DataTable label="Installed apps" columns={COLUMNS} rows={apps.data} loading={apps.isPending} rowKey={(a) => a.id} rowProps={(a) => ({ "data-testid": `app-row-${a.id}` })} empty="No apps installed yet." />
      )}
      {mayInstall ? (
        <ManifestPanel title="Install app" />
      ) : (
        ready && (
          <p data-testid="install-forbidden" className="rounded-md border border-slate-200 bg-white px-4 py-3 text-sm text-slate-700 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-300">
            Installing apps requires the permission {INSTALL}; ask an administrator.
          </p>
        )
      )}
    </section>
  );
}
