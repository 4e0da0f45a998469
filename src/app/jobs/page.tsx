"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { errorSentence } from "../components/api-error.ts";
import { DataTable, type Column } from "../components/data-table.tsx";
import { FormError } from "../components/form-field.tsx";
import { PageHeader } from "../components/page-header.tsx";
import { usePermissions } from "../components/permissions.tsx";
import { useTRPC } from "../trpc.ts";
import { jobReadKey } from "./permissions.ts";

interface AppRow {
  id: string;
  name: string;
}

const COLUMNS: Column<AppRow>[] = [
  {
    key: "id",
    header: "App",
    hideable: false,
    cell: (a) => (
      <Link href={`/jobs/${encodeURIComponent(a.id)}`} className="font-mono text-brand-600 hover:underline dark:text-indigo-300">
        {a.id}
      </Link>
    ),
  },
  { key: "name", header: "Name", cell: (a) => a.name },
];

/** Which app's queue to open: the apps whose jobs the caller may see (app:{id}:job.read). */
export default function JobsIndexPage() {
  const trpc = useTRPC();
  const perms = usePermissions();
  const apps = useQuery(trpc.apps.list.queryOptions());
  const rows = perms.ready && apps.data ? apps.data.filter((a) => perms.can(jobReadKey(a.id))).map((a) => ({ id: a.id, name: a.name })) : undefined;
  return (
    <section className="min-w-0 space-y-6">
      <PageHeader title="Jobs" breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Jobs" }]} description="Each app has its own job queue. Open one to see its jobs, rates, failures and dead letters." />
      {apps.isError ? (
        <FormError>{errorSentence(apps.error)}</FormError>
      ) : (
        <DataTable label="Apps with a job queue" columns={COLUMNS} rows={rows} loading={rows === undefined} rowKey={(a) => a.id} rowProps={(a) => ({ "data-testid": `jobs-app-${a.id}` })} empty="No app lets you see its jobs (that needs app:{app}:job.read)." />
      )}
    </section>
  );
}
