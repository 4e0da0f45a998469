"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc.ts";
import { FormError } from "../components/form-field.tsx";
import { TableHead } from "../ui.tsx";

/** One schema's base tables, each with its columns in order. */
export function SchemaTables({ schema }: { schema: string }) {
  const trpc = useTRPC();
  const tables = useQuery(trpc.database.tables.queryOptions({ schema }));

  if (tables.isError) {
    return <FormError>{tables.error.data?.code === "FORBIDDEN" ? "System schemas require admin:db.query." : tables.error.message}</FormError>;
  }
  if (!tables.data) return <p className="text-sm text-slate-600 dark:text-slate-400">Loading…</p>;
  return (
    <section aria-label={`Tables of ${schema}`} className="space-y-3">
      <h2 className="font-semibold">
        Tables of <span className="font-mono">{schema}</span>
      </h2>
      {tables.data.length === 0 && <p className="text-sm text-slate-600 dark:text-slate-400">No tables.</p>}
      <div className="grid items-start gap-3 lg:grid-cols-2">
        {tables.data.map((t) => (
          <details key={t.table_name} data-testid={`table-${t.table_name}`} className="rounded-lg border border-slate-200 bg-white shadow-sm dark:border-slate-700 dark:bg-slate-900">
            <summary className="cursor-pointer px-3 py-2 text-sm">
              <span className="font-mono font-medium">{t.table_name}</span>
              <span className="ml-2 text-slate-600 dark:text-slate-400">
                {t.columns.length} columns{t.row_estimate !== undefined && t.row_estimate > 0 ? `, ~${t.row_estimate} rows` : ""}
              </span>
            </summary>
            <table className="w-full border-t border-slate-100 text-xs dark:border-slate-800">
              <caption className="sr-only">Columns of {t.table_name}</caption>
              <TableHead labels={["Column", "Type", "Null", "Default"]} className="text-left text-slate-600 dark:text-slate-400" cellClassName="px-3 py-1" />
              <tbody>
                {t.columns.map((c) => (
                  <tr key={c.column_name} className="border-t border-slate-100 dark:border-slate-800">
                    <td className="px-3 py-1 font-mono">{c.column_name}</td>
                    <td className="px-3 py-1">{c.data_type}</td>
                    <td className="px-3 py-1">{c.is_nullable ? "yes" : "no"}</td>
                    <td className="max-w-[12rem] truncate px-3 py-1 font-mono" title={c.column_default ?? undefined}>
                      {c.column_default}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        ))}
      </div>
    </section>
  );
}
