"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { PageHeader } from "../components/page-header.tsx";
import { forbiddenReason, useCan, usePermissions } from "../components/permissions.tsx";
import { useTRPC } from "../trpc.ts";
import { FormError } from "../components/form-field.tsx";
import { SchemaTables } from "./schema-tables.tsx";
import { SqlConsole } from "./sql-console.tsx";

/** The database explorer: schemas, the selected schema's tables and columns, and a read-only SQL console. */
export default function DatabasePage() {
  const trpc = useTRPC();
  const schemas = useQuery(trpc.database.schemas.queryOptions());
  const [selected, setSelected] = useState<string>();
  const { ready } = usePermissions();
  const mayQuery = useCan("admin:db.query");

  return (
    <section className="space-y-5">
      <PageHeader
        title="Database"
        breadcrumbs={[{ label: "Studio", href: "/" }, { label: "Database" }]}
        description="Browse schemas and tables. SQL runs read-only, for 2 minutes at most, and shows the first 500 rows."
      />
      {schemas.isError && <FormError>{schemas.error.message}</FormError>}
      <div className="flex items-start gap-6">
        <nav aria-label="Schemas" className="w-56 shrink-0 rounded-lg border border-slate-200 bg-white p-2 shadow-sm dark:border-slate-700 dark:bg-slate-900">
          <h2 className="px-2 pb-1 text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">Schemas</h2>
          {!schemas.data ? (
            <p className="px-2 text-sm text-slate-600 dark:text-slate-400">Loading…</p>
          ) : (
            <ul className="text-sm">
              {schemas.data.map((s) => (
                <li key={s.schema_name}>
                  <button
                    type="button"
                    aria-pressed={selected === s.schema_name}
                    onClick={() => setSelected(s.schema_name)}
                    className={`flex w-full justify-between rounded-md px-2 py-1.5 text-left font-mono ${selected === s.schema_name ? "bg-brand-500 text-white" : "hover:bg-slate-100 dark:hover:bg-slate-800"}`}
                  >
                    <span>{s.schema_name}</span>
                    <span aria-label={`${s.table_count} tables`} className="opacity-70">
                      {s.table_count}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </nav>
        <div className="min-w-0 flex-1 space-y-6">
          {selected ? <SchemaTables schema={selected} /> : <p className="text-sm text-slate-600 dark:text-slate-400">Choose a schema to see its tables.</p>}
          {/* Hidden, with the reason, rather than failing after a click (issue 11, item 6). */}
          {mayQuery ? (
            <SqlConsole schema={selected} />
          ) : (
            ready && <p className="text-sm text-slate-600 dark:text-slate-400">The SQL console is not available to you. {forbiddenReason("admin:db.query")}</p>
          )}
        </div>
      </div>
    </section>
  );
}
